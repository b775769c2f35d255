"""Hosts that log plain syslog: Linux servers (RFC 5424 or RFC 3164), switches, the legacy HMI.

Linux servers log sshd logons, sudo, cron and systemd; switches log link and
configuration changes; the legacy HMI in the utilities cell (an old Windows XP Embedded
panel with a syslog agent) logs operator actions — alarm acknowledgements, setpoint
writes, screen changes — under a Latin-1 host name, which is not valid UTF-8.
"""

# ruff: noqa: UP031 - lines are filled from precomputed %-templates, the fastest formatting per event
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .clock import I64, PlantClock
from .people import LINUX_USERS, OPERATOR_SHIFTS
from .source import Source, ints, mix, picks, shift_index, take

ADMIN_IPS = ("10.10.5.21", "10.10.5.22", "10.40.2.10", "10.30.1.50")
CRON = ("/usr/lib/sa/sa1 1 1", "run-parts /etc/cron.hourly", "/usr/local/bin/backup-config.sh",
        "test -x /usr/sbin/logrotate && /usr/sbin/logrotate /etc/logrotate.conf")
SUDO = ("/usr/bin/systemctl restart historian-collector", "/usr/bin/journalctl -u opcua-bridge --since today",
        "/usr/bin/apt-get upgrade -y", "/usr/bin/systemctl status zeek", "/usr/sbin/ss -tnp")
UNITS = ("apt-daily.service", "logrotate.service", "sysstat-collect.service", "man-db.service", "fstrim.service")


class LinuxSource(Source):
    """One Linux server's syslog file (``linux/HOST.syslog``)."""

    carrier = "syslog"

    def __init__(self, clock: PlantClock, host: str, rfc: str, share: float, app: tuple[str, ...]) -> None:
        super().__init__(clock)
        self.host = host
        self.rfc = rfc
        self.path = f"linux/{host}.syslog"
        self.share = share
        self.profile = "mixed"
        self.app = app
        self.pid = 1000 + sum(host.encode()) * 7

    def _heads(self, t: I64, prog: str, pri: int, pids: list[int]) -> list[str]:
        if self.rfc == "5424":
            ts = self.clock.iso_local(t)
            return ["<%d>1 %s %s %s %d - - " % (pri, s, self.host, prog, p) for s, p in zip(ts, pids)]
        d, hms = self.clock.local_parts(t, "bsd")
        return ["<%d>%s %s %s %s[%d]: " % (pri, a, b, self.host, prog, p) for a, b, p in zip(d, hms, pids)]

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        pids = ints(rng, 1200, 65000, n)
        users = picks(rng, LINUX_USERS, n)
        ips = picks(rng, ADMIN_IPS, n)
        port = ints(rng, 40000, 65000, n)

        def sshd(text: str, pri: int = 38) -> Callable[[np.ndarray], list[str]]:
            def fn(idx: np.ndarray) -> list[str]:
                heads = self._heads(t[idx], "sshd", pri, take_i(pids, idx))
                return [h + text % (u, a, p) + "\n" for h, u, a, p in
                        zip(heads, take(users, idx), take(ips, idx), take_i(port, idx))]
            return fn

        def simple(prog: str, pri: int, texts: tuple[str, ...]) -> Callable[[np.ndarray], list[str]]:
            def fn(idx: np.ndarray) -> list[str]:
                heads = self._heads(t[idx], prog, pri, take_i(pids, idx))
                body = picks(rng, texts, len(idx))
                return [h + b % {"u": u, "p": p} + "\n" for h, b, u, p in
                        zip(heads, body, take(users, idx), take_i(pids, idx))]
            return fn

        return mix(rng, n, [
            (10, sshd("Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:Xk2b9QmV0x1TT4dJ0Ky3ngcEm3S8p1X2yQv5wZ8a7bE")),
            (1, sshd("Failed password for %s from %s port %d ssh2", 37)),
            (9, sshd("Disconnected from user %s %s port %d")),
            (9, simple("systemd-logind", 38, ("New session %(p)d of user %(u)s.",))),
            (8, simple("sudo", 85, tuple("%(u)s : TTY=pts/0 ; PWD=/home/%(u)s ; USER=root ; COMMAND=" + c for c in SUDO))),
            (8, simple("sudo", 86, ("pam_unix(sudo:session): session opened for user root(uid=0) by %(u)s(uid=1000)",))),
            (20, simple("CRON", 78, tuple("(root) CMD (%s)" % c for c in CRON))),
            (15, simple("CRON", 86, ("pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                                     "pam_unix(cron:session): session closed for user root"))),
            (10, simple("systemd", 30, tuple(f"Started {u} - daily activities." for u in UNITS)
                        + tuple(f"{u}: Deactivated successfully." for u in UNITS))),
            (10, simple(self.app[0], 134, self.app[1:])),
        ])


def take_i(values: list[int], idx: np.ndarray) -> list[int]:
    return [values[i] for i in idx.tolist()]


class SwitchSource(Source):
    """Syslog of the managed switches (Cisco IOS and Hirschmann HiOS), all in one file."""

    carrier = "syslog"

    def __init__(self, clock: PlantClock, switches: list[str], share: float) -> None:
        super().__init__(clock)
        self.host = "switches"
        self.switches = switches
        self.path = "network/switches.syslog"
        self.share = share
        self.profile = "flat"

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        d, hms = self.clock.local_parts(t, "bsd")
        sw = picks(rng, self.switches, n)
        ifs = ints(rng, 1, 24, n)
        which = rng.integers(0, 5, n).tolist()
        msgs = ("%%LINK-3-UPDOWN: Interface GigabitEthernet1/0/%d, changed state to up",
                "%%LINK-3-UPDOWN: Interface GigabitEthernet1/0/%d, changed state to down",
                "%%LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet1/0/%d, changed state to up",
                "%%SYS-6-LOGGINGHOST_STARTSTOP: Logging to host 10.30.1.70 port 514 started - CLI initiated (vty%d)",
                "%%SNMP-5-COLDSTART_TRAP: SNMP agent on host, interface %d, sent coldstart trap")
        return ["<189>%s %s %s %s\n" % (a, b, s, msgs[w] % i) for a, b, s, w, i in zip(d, hms, sw, which, ifs)]


AREAS = ("BOIL1", "CW3", "WTP5", "SUB6", "AIR2")
TAGS = ("TT305", "PT204", "FT101", "LT410", "PIC620", "FIC701")
ALARMS = ("HI", "HIHI", "LO", "LOLO", "DEV")


class LegacyHmiSource(Source):
    """The utilities cell's old HMI: RFC 3164 with a Latin-1 host name (written as Latin-1 bytes)."""

    carrier = "syslog"
    encoding = "latin-1"

    def __init__(self, clock: PlantClock, host: str, share: float) -> None:
        super().__init__(clock)
        self.host = host
        self.path = "hmi/waerme-hmi05.syslog"
        self.share = share
        self.profile = "shift"

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        d, hms = self.clock.local_parts(t, "bsd")
        ops = OPERATOR_SHIFTS.pick(rng, shift_index(self.clock, t))
        area, tag, alarm = picks(rng, AREAS, n), picks(rng, TAGS, n), picks(rng, ALARMS, n)
        v1, v2 = rng.uniform(0, 500, n).tolist(), rng.uniform(0, 500, n).tolist()
        which = rng.choice(4, n, p=[0.45, 0.15, 0.3, 0.1]).tolist()
        pid = 2211
        out = []
        for i in range(n):
            w = which[i]
            if w == 0:
                msg = f"operator {ops[i]} acknowledged alarm {alarm[i]} on {area[i]}.{tag[i]}"
            elif w == 1:
                msg = f"operator {ops[i]} changed setpoint {area[i]}.{tag[i]}.SP from {v1[i]:.1f} to {v2[i]:.1f}"
            elif w == 2:
                msg = f"screen {area[i]}_overview opened by {ops[i]}, {int(v1[i])} tags read"
            else:
                msg = f"user {ops[i]} logged on at console 1 role Operator"
            out.append(f"<134>{d[i]} {hms[i]} {self.host} wincc[{pid}]: {msg}\n")
        return out
