"""Windows hosts: Security, Sysmon and System channels, as XML exports or Winlogbeat JSON lines.

Each kind of event is a spec (provider, id, task, keywords) plus a function that returns its
``EventData`` for a batch: a constant string or one value per event. A template per kind
and host is built once, with the constants baked in, and filled with ``%`` per event —
escaping is applied to the pools and constants, never per event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .clock import I64, PlantClock
from .plant import Asset, Plant
from .source import Source, ints, kinds, objects, take

SECURITY = ("Microsoft-Windows-Security-Auditing", "54849625-5478-4994-A5BA-3E3B0328C30D", "Security")
SYSMON = ("Microsoft-Windows-Sysmon", "5770385F-C22A-43E0-BF4C-06F5698FFBD9", "Microsoft-Windows-Sysmon/Operational")
SCM = ("Service Control Manager", "555908D1-A6D7-4695-8E1E-26931D2012F4", "System")
WUA = ("Microsoft-Windows-WindowsUpdateClient", "945A8954-C147-4ACD-923F-40C45405A658", "System")

Column = str | list[str] | list[int]
DataFn = Callable[["WinContext", np.random.Generator, I64], dict[str, Column]]


@dataclass(frozen=True)
class WinSpec:
    provider: tuple[str, str, str]
    event_id: int
    task: int
    keywords: str
    version: int = 0
    level: int = 0
    task_name: str = ""


@dataclass
class WinContext:
    host: Asset
    clock: PlantClock
    servers: list[str]
    clients: list[str]
    xml: bool = True
    _cache: dict[tuple[int, bool], list[str]] = field(default_factory=dict)

    def pool(self, values: tuple[str, ...]) -> list[str]:
        """``values`` escaped for the output format (cached: pools are module constants)."""
        key = (id(values), self.xml)
        got = self._cache.get(key)
        if got is None:
            esc = _xml_escape if self.xml else _json_escape
            got = self._cache[key] = [esc(v) for v in values]
        return got


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_escape(s: str) -> str:
    return json.dumps(s)[1:-1]


def _pct(s: str) -> str:
    return s.replace("%", "%%")


def _template(spec: WinSpec, host: Asset, data: dict[str, Column], xml: bool) -> tuple[str, list[str]]:
    """(template, names of the per-event columns in template order after time and record id)."""
    variable = [k for k, v in data.items() if not isinstance(v, str)]
    provider, guid, channel = spec.provider
    if xml:
        body = "".join(f'<Data Name="{k}">%s</Data>' if k in variable else
                       f'<Data Name="{k}">{_pct(_xml_escape(str(v)))}</Data>' for k, v in data.items())
        tpl = ('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
               f'<Provider Name="{provider}" Guid="{{{guid}}}"/><EventID>{spec.event_id}</EventID>'
               f'<Version>{spec.version}</Version><Level>{spec.level}</Level><Task>{spec.task}</Task>'
               f'<Opcode>0</Opcode><Keywords>{spec.keywords}</Keywords><TimeCreated SystemTime="%s"/>'
               f'<EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID="%d" ThreadID="%d"/>'
               f'<Channel>{channel}</Channel><Computer>{host.fqdn}</Computer><Security/></System>'
               f'<EventData>{body}</EventData></Event>\n')
    else:
        body = ",".join(f'"{k}":"%s"' if k in variable else f'"{k}":"{_pct(_json_escape(str(v)))}"'
                        for k, v in data.items())
        short = host.hostname.lower()
        tpl = ('{"@timestamp":"%s","winlog":{' f'"channel":"{channel}","provider_name":"{provider}",'
               f'"provider_guid":"{{{guid}}}","event_id":"{spec.event_id}","record_id":%d,'
               f'"computer_name":"{host.fqdn}","task":"{spec.task_name}","opcode":"Info",'
               '"process":{"pid":%d,"thread":{"id":%d}},"api":"wineventlog",'
               f'"event_data":{{{body}}}}},"event":{{"code":"{spec.event_id}","kind":"event"}},'
               f'"host":{{"name":"{short}","os":{{"family":"windows"}}}},'
               f'"agent":{{"type":"winlogbeat","version":"8.15.3","name":"{short}"}},"ecs":{{"version":"8.0"}}}}\n')
    return tpl, variable


class WindowsSource(Source):
    """One Windows event channel of one host, as an XML export (``.xml``) or JSON lines (``.jsonl``)."""

    carrier = "json"

    def __init__(self, clock: PlantClock, plant: Plant, host: Asset, channel: str, xml: bool, share: float,
                 profile: str, parts: list[tuple[float, WinSpec, DataFn]],
                 chooser: Callable[[WinContext, np.random.Generator, I64], np.ndarray] | None = None) -> None:
        super().__init__(clock)
        self.host_asset = host
        self.host = host.hostname
        self.xml = xml
        self.path = f"windows/{host.hostname}.{channel}.{'xml' if xml else 'jsonl'}"
        self.share = share
        self.profile = profile
        self.parts = parts
        self.chooser = chooser
        self.ctx = WinContext(host, clock, plant.ips("domain_controller", "file_server", "mes_server", "historian",
                                                     "scada_server", "batch_server", "quality_server"),
                              plant.ips("hmi", "engineering_workstation", "office_workstation"))
        self.record = 1000 + sum(host.hostname.encode()) * 97
        self._templates: dict[tuple[int, bool], tuple[str, list[str]]] = {}

    @property
    def as_xml(self) -> bool:
        return self.xml and not self.json_mode

    def header(self, t0: int) -> str:
        return '<?xml version="1.0" encoding="utf-8"?>\n<Events>\n' if self.as_xml else ""

    def footer(self) -> str:
        return "</Events>\n" if self.as_xml else ""

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        xml = self.as_xml
        times = self.clock.iso_utc(t, 7 if xml else 3)
        rec = list(range(self.record, self.record + n))
        self.record += n
        which = self.chooser(self.ctx, rng, t) if self.chooser else kinds(rng, [w for w, _, _ in self.parts], n)
        out = np.empty(n, dtype=object)
        for k, (_, spec, fn) in enumerate(self.parts):
            idx = np.flatnonzero(which == k)
            if not len(idx):
                continue
            self.ctx.xml = xml
            data = fn(self.ctx, rng, t[idx])
            key = (k, xml)
            if key not in self._templates:
                self._templates[key] = _template(spec, self.host_asset, data, xml)
            tpl, variable = self._templates[key]
            cols = [data[name] for name in variable]
            m = len(idx)
            pid = [652 if spec.provider is SECURITY else 3120] * m
            rows = zip(take(times, idx), take_int(rec, idx), pid, ints(rng, 1000, 9000, m), *cols)
            out[idx] = objects([tpl % r for r in rows])
        return list(out.tolist())


def take_int(values: list[int], idx: np.ndarray) -> list[int]:
    return [values[i] for i in idx.tolist()]
