"""Who works at the plant: operators by shift, engineers, administrators, office staff, service accounts.

Accounts are fixed like the inventory; their security identifiers are derived from a
fixed domain SID and a relative id per account, as Active Directory assigns them.
"""

from __future__ import annotations

from .source import ShiftPools

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"

OPERATORS_EARLY = ("mmueller", "jschmidt", "aschneider", "kfischer", "lweber", "tmeyer")
OPERATORS_LATE = ("pwagner", "sbecker", "cschulz", "dhoffmann", "nkoch", "rbauer")
OPERATORS_NIGHT = ("mrichter", "fklein", "bwolf", "hschroeder")
OPERATORS_WEEKEND = ("mrichter", "pwagner", "fklein")
ENGINEERS = ("eng.kwagner", "eng.lfischer", "eng.tbecker")
ADMINS = ("adm.jweber", "adm.shoffmann")
OFFICE = ("akrueger", "bhartmann", "cwerner", "dlange", "eschmitz", "fkrause", "gmeier", "hlehmann",
          "ischmid", "jschulze", "kmaier", "lkoehler", "mherrmann", "nkoenig", "owalter", "phuber")
SERVICES = ("svc-historian", "svc-scada", "svc-mes", "svc-backup", "svc-wsus", "svc-sql", "svc-opc")
LINUX_USERS = ("operator1", "eng.kwagner", "adm.jweber", "ansible", "backup")

#: operators on duty, by shift index (early, late, night, weekend)
OPERATOR_SHIFTS = ShiftPools([OPERATORS_EARLY, OPERATORS_LATE, OPERATORS_NIGHT, OPERATORS_WEEKEND])
#: everyone who logs on through the domain controllers, by shift
DOMAIN_SHIFTS = ShiftPools([
    OPERATORS_EARLY + OFFICE + ENGINEERS + ADMINS + SERVICES,
    OPERATORS_LATE + OFFICE[:6] + ENGINEERS[:1] + SERVICES,
    OPERATORS_NIGHT + SERVICES,
    OPERATORS_WEEKEND + ADMINS[:1] + SERVICES,
])

_ALL = sorted(set(OPERATORS_EARLY + OPERATORS_LATE + OPERATORS_NIGHT + ENGINEERS + ADMINS + OFFICE + SERVICES))
SID = {name: f"{DOMAIN_SID}-{1104 + i}" for i, name in enumerate(_ALL)}
