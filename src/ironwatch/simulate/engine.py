"""Running the simulation: simulated time in windows, every source per window, noise, output.

Time advances in windows of at most an hour (shorter at high rates, so a window's events
fit in memory), aligned to UTC hours so that a window never straddles a change of the
plant's UTC offset or of a profile hour. In each window every source, in a fixed order,
draws its arrivals and renders its lines with its own generator, seeded from
``(seed, source path)``: the output depends only on the seed and the arguments.

The deliberate noise (docs/simulator.md) is applied here and recorded in the manifest:
one host's clock runs ahead, one source is silent for an hour, three lines are malformed
(each must be dead-lettered), and the legacy HMI's host name is not UTF-8.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalogue import build_sources
from .clock import HOUR_US, I64, US, PlantClock
from .plant import TIME_ZONE, Plant
from .source import Source

DEFAULT_START = "2026-11-23T00:00:00"
DEFAULT_RATE = 300.0
#: most events (over all sources) in one window
WINDOW_EVENTS = 400_000

SKEWED_SOURCE = "linux/hist-col01.syslog"
SKEW_US = (7 * 60 + 23) * US
SILENT_SOURCE = "linux/opc01.syslog"
#: (fraction of the duration, source, what goes wrong, dead-letter reason)
MALFORMED = (
    (0.25, "suricata/eve.json", "truncated", "EVE record cut off when the sensor's disk filled (invalid JSON)"),
    (0.5, "linux/mes-app01.syslog", "stack", "a Java stack trace line written as its own syslog line (no PRI, no timestamp)"),
    (0.75, "zeek/conn.log", "short", "a conn.log line cut short at a log rotation (fewer fields than #fields)"),
)


@dataclass
class SimulationConfig:
    seed: int = 0
    start_us: int = 0
    duration_us: int = 3600 * US
    rate: float = DEFAULT_RATE
    json_mode: bool = False


@dataclass
class Batch:
    source: Source
    lines: list[str]


@dataclass
class Manifest:
    config: SimulationConfig
    events: dict[str, int] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    noise: dict[str, Any] = field(default_factory=dict)


def source_rng(seed: int, path: str) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(path.encode())])))


class Simulation:
    """The plant's events in time order per source, window by window."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.clock = PlantClock(TIME_ZONE)
        self.plant = Plant()
        self.sources = build_sources(self.clock, self.plant, config.json_mode)
        self.rngs = {s.path: source_rng(config.seed, s.path) for s in self.sources}
        self.manifest = Manifest(config, {s.path: 0 for s in self.sources})
        self.records = {s.path: 0 for s in self.sources}
        end = config.start_us + config.duration_us
        self.silence = self._silence(config.start_us, end)
        self.malformed = {src: (config.start_us + int(config.duration_us * frac), kind, why)
                          for frac, src, kind, why in MALFORMED}
        self._note_noise()

    @staticmethod
    def _silence(start: int, end: int) -> tuple[int, int] | None:
        if end - start < 3 * HOUR_US:
            return None
        s = ((start + end) // 2) // HOUR_US * HOUR_US
        return s, s + HOUR_US

    def _note_noise(self) -> None:
        n = self.manifest.noise
        n["clock_skew"] = {"file": SKEWED_SOURCE, "host": "hist-col01", "ahead_seconds": SKEW_US // US,
                           "why": "the VM's NTP client is disabled: its timestamps run 7 min 23 s ahead"}
        if self.silence:
            n["silence"] = {"file": SILENT_SOURCE, "host": "opc01", "from": _iso(self.clock, self.silence[0]),
                            "to": _iso(self.clock, self.silence[1]), "why": "the gateway's syslog agent hung for an hour"}
        n["non_utf8_hostname"] = {"file": "hmi/waerme-hmi05.syslog", "hostname_latin1": "W\u00c4RME-HMI05",
                                  "why": "an old HMI writes its host name in Latin-1 (byte 0xC4); it must still parse"}

    def windows(self) -> Iterator[tuple[int, int]]:
        cfg = self.config
        parts = 1
        while cfg.rate * 3600 / parts > WINDOW_EVENTS and parts < 3600:
            parts *= 2
        step = HOUR_US // parts
        t, end = cfg.start_us, cfg.start_us + cfg.duration_us
        while t < end:
            # the first window runs to the next step boundary (UTC-aligned)
            nxt = min(end, (t // step + 1) * step)
            yield t, nxt - t
            t = nxt

    def run(self) -> Iterator[Batch]:
        for w0, length in self.windows():
            for src in self.sources:
                lines = self._render(src, w0, length)
                if lines:
                    yield Batch(src, lines)

    def _render(self, src: Source, w0: int, length: int) -> list[str]:
        rng = self.rngs[src.path]
        rate = self.config.rate * src.share * self.clock.factor(src.profile, w0)
        t = self.clock.arrivals(rng, rate, w0, length)
        if src.path == SILENT_SOURCE and self.silence:
            t = t[(t < self.silence[0]) | (t >= self.silence[1])]
        shown: I64 = t + SKEW_US if src.path == SKEWED_SOURCE else t
        lines = src.render(shown, rng) if len(t) else []
        self.manifest.events[src.path] += len(lines)
        bad = self.malformed.get(src.path)
        if bad and w0 <= bad[0] < w0 + length and not self.config.json_mode:
            pos = int(np.searchsorted(t, bad[0]))
            sample = lines[min(pos, len(lines) - 1)] if lines else ""
            lines.insert(pos, malformed_line(bad[1], sample))
            self.manifest.dead_letters.append({"file": src.path, "line": src.header_lines + self.records[src.path] + pos + 1,
                                               "why": bad[2]})
        self.records[src.path] += len(lines)
        return lines


def malformed_line(kind: str, sample: str) -> str:
    """A broken line of the kind, made from a real line of the file where there is one."""
    if kind == "truncated":
        body = sample.rstrip("\n") or '{"timestamp":"2026-11-23T00:00:00.000000+0100","flow_id":1,"event_type":"flow"}'
        return body[:max(20, len(body) * 3 // 5)] + "\n"
    if kind == "short":
        fields = sample.rstrip("\n").split("\t")
        if len(fields) < 9:
            fields = ["1795392000.000000", "CtruncatedAtRotate", "10.30.1.20", "50211", "10.20.3.11", "502", "tcp",
                      "modbus", "0.0"]
        return "\t".join(fields[:9]) + "\n"
    return "\tat com.plant.mes.order.OrderService.release(OrderService.java:214)\n"


def _iso(clock: PlantClock, t: int) -> str:
    return clock.iso_utc(np.array([t], dtype=np.int64))[0]
