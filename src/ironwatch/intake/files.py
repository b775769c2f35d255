"""Files as records: what ``ironwatch import`` and ``ironwatch parse`` read, framed by format.

A log file is not always one record per line. The format of each file is detected from
its first bytes (and name), unless one is pinned, and decides the framing:

============  ==========================================================================
kind          records
============  ==========================================================================
evtx          one per EVTX record, rendered as XML (the stored original); corrupt
              records are counted and dead-lettered with their position, and reading
              goes on
zeek-tsv      one per data line, pinned to ``zeek`` with the file's header as options;
              lines before any ``#fields`` header are dead-lettered with that reason
zeek-json     one per line, pinned to ``zeek`` with the log path taken from the name
auditd        one per audit event: the records of one serial, grouped
json-stream   one per element of a JSON array, or per object of pretty-printed
              (multi-line) JSON; each is stored as compact JSON
winxml        one per ``<Event>`` element of a Windows XML export
lines         one per line (the default), format detected per record unless pinned
============  ==========================================================================

gzip-compressed files are read transparently. Every kind yields ``Group`` lists (records
that share a pinned format) and the position reached in the file, for progress (``None``
while a whole-document or EVTX file is still being read).
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import orjson

from ..errors import IronwatchError
from ..parsers import auditd, windows, zeek

CHUNK = 4 << 20
HEAD = 64 << 10
#: whole-document kinds (JSON arrays, pretty-printed JSON, XML exports) are read at once
MAX_DOCUMENT = 1 << 30
_RECORDS = 5_000

_ZEEK_LINE = re.compile(rb"\d{9,10}\.\d{1,9}\t(?:[^\t\n]*\t){4}")
_XML_EVENT = re.compile(rb"<Event[\s>].*?</Event\s*>", re.DOTALL)
_XML_HEAD = re.compile(rb"(?:<\?xml[^>]{0,200}\?>\s*)?(?:<!--.*?-->\s*)*<Events?[\s>]", re.DOTALL)

#: what ``--input-format`` may name besides the record parsers: formats of whole files
FILE_FORMATS = ("evtx",)


@dataclass
class Group:
    """Records sharing one pinned format ("" = the listener's default, i.e. per-record
    detection; ``!reason`` = dead-letter them with that reason)."""

    fmt: str
    records: list[bytes] = field(default_factory=list)

    @property
    def multiline(self) -> bool:
        return any(b"\n" in r for r in self.records)


def open_maybe_gzip(path: Path) -> BinaryIO:
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    f.seek(0)
    return f


def read_head(path: Path) -> bytes:
    with open_maybe_gzip(path) as f:
        return f.read(HEAD)


def _first_line(head: bytes) -> bytes:
    return head.lstrip().split(b"\n", 1)[0].strip()


def detect_kind(path: Path, head: bytes, fmt: str = "auto") -> str:
    """The framing of a file: one of the kinds in the module text."""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    name = path.name
    if fmt == "evtx" or head.startswith(windows.EVTX_MAGIC):
        return "evtx"
    if fmt == "zeek":
        return "zeek-tsv" if body.startswith(b"#") or _ZEEK_LINE.match(body) else "zeek-json"
    if fmt == "auditd":
        return "auditd"
    if fmt == "winxml":
        return "winxml"
    if fmt not in ("auto", "syslog", "json", "suricata", "winjson"):
        return "lines"
    if fmt == "auto":
        if zeek.looks_like_zeek_tsv(body) or _ZEEK_LINE.match(body):
            return "zeek-tsv"
        if auditd.looks_like_auditd(body):
            return "auditd"
        if _XML_HEAD.match(body):
            return "winxml"
    if body.startswith(b"["):
        return "json-stream"
    if body.startswith(b"{"):
        first = _first_line(body)
        try:
            doc = orjson.loads(first)
        except orjson.JSONDecodeError:
            return "json-stream"
        if fmt == "auto" and isinstance(doc, dict) and "ts" in doc and zeek.zeek_path_from_filename(name):
            return "zeek-json"
    return "lines"


class FileReader:
    """One file's records, in groups, with the file position reached (for progress)."""

    def __init__(self, path: Path, fmt: str = "auto", size: int | None = None) -> None:
        self.path = path
        self.fmt = fmt
        self.size = path.stat().st_size if size is None else size
        with open(path, "rb") as f:  # one open for the head (many small EVTX files are usual)
            head = f.read(HEAD)
        self.gzipped = head[:2] == b"\x1f\x8b"
        self.kind = detect_kind(path, read_head(path) if self.gzipped else head, fmt)
        #: EVTX records that could not be read (each also dead-lettered)
        self.corrupt = 0

    def __iter__(self) -> Iterator[tuple[list[Group], int | None]]:
        reader = {"evtx": self._evtx, "zeek-tsv": self._zeek_tsv, "zeek-json": self._zeek_json,
                  "auditd": self._auditd, "json-stream": self._json_stream, "winxml": self._winxml,
                  "lines": self._lines}[self.kind]
        return reader()

    # -- line-based kinds --------------------------------------------------------------------
    def _chunks(self) -> Iterator[tuple[list[bytes], int]]:
        """(non-empty lines of a chunk of whole lines, raw bytes consumed so far)."""
        with open_maybe_gzip(self.path) as f:
            raw = getattr(f, "fileobj", None)
            rest = b""
            while True:
                data = f.read(CHUNK)
                if not data:
                    break
                data = rest + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                pos = raw.tell() if raw is not None else f.tell()
                yield split_lines(data[:cut + 1]), pos
                rest = data[cut + 1:]
            if rest.strip():
                yield split_lines(rest), self.size

    def _lines(self) -> Iterator[tuple[list[Group], int | None]]:
        pinned = "" if self.fmt in ("auto", "syslog") else self.fmt
        for lines, pos in self._chunks():
            yield [Group(pinned, lines)], pos

    def _zeek_tsv(self) -> Iterator[tuple[list[Group], int | None]]:
        framer = zeek.ZeekTsvFramer()
        for lines, pos in self._chunks():
            yield [Group(fmt, recs) for fmt, recs in framer.feed(lines) if recs], pos

    def _zeek_json(self) -> Iterator[tuple[list[Group], int | None]]:
        path = zeek.zeek_path_from_filename(self.path.name)
        fmt = f"zeek\n#path\t{path}" if path else "zeek"
        for lines, pos in self._chunks():
            yield [Group(fmt, lines)], pos

    def _auditd(self) -> Iterator[tuple[list[Group], int | None]]:
        grouper = auditd.AuditGrouper()
        pos = 0
        for lines, pos in self._chunks():
            yield [Group("auditd", grouper.feed(lines))], pos
        yield [Group("auditd", grouper.flush())], pos

    # -- record-based kinds ------------------------------------------------------------------
    def _evtx(self) -> Iterator[tuple[list[Group], int | None]]:
        size = self.size
        index = 0
        source: Path | BinaryIO = self.path
        if self.gzipped:
            source = io.BytesIO(self._document())
        for records, error in windows.read_evtx_batches(source, _RECORDS):
            index += len(records)
            groups = [Group("winxml", records)]
            if error is not None:
                index += 1
                self.corrupt += 1
                groups.append(Group(f"!evtx: record {index} of {self.path.name} could not be read: {error}", [b""]))
            yield groups, None
        yield [], size

    def _document(self) -> bytes:
        with open_maybe_gzip(self.path) as f:
            data = f.read(MAX_DOCUMENT + 1)
        if len(data) > MAX_DOCUMENT:
            raise IronwatchError(f"{self.path}: a whole-document file larger than {MAX_DOCUMENT >> 20} MiB "
                                 "(JSON array, pretty-printed JSON, XML export) cannot be imported; "
                                 "convert it to one record per line")
        return data

    def _json_stream(self) -> Iterator[tuple[list[Group], int | None]]:
        pinned = "" if self.fmt in ("auto", "syslog") else self.fmt
        size = self.size
        batch = Group(pinned)
        for record in json_records(self._document()):
            batch.records.append(record)
            if len(batch.records) >= _RECORDS:
                yield [batch], None
                batch = Group(pinned)
        yield [batch], size

    def _winxml(self) -> Iterator[tuple[list[Group], int | None]]:
        size = self.size
        batch = Group("winxml")
        for m in _XML_EVENT.finditer(self._document()):
            batch.records.append(m.group(0))
            if len(batch.records) >= _RECORDS:
                yield [batch], None
                batch = Group("winxml")
        yield [batch], size


def split_lines(chunk: bytes) -> list[bytes]:
    return [ln.rstrip(b"\r") for ln in chunk.split(b"\n") if ln.strip()]


def json_records(data: bytes) -> Iterator[bytes]:
    """Compact JSON of each element of a top-level array, or of each of a sequence of
    (possibly pretty-printed) objects; a part that is not JSON is returned as it is, so
    that it is dead-lettered rather than lost."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            items = None
        if isinstance(items, list):
            for item in items:
                yield orjson.dumps(item)
            return
    decoder = json.JSONDecoder()
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            break
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            end = text.find("\n", pos)
            end = n if end < 0 else end
            yield text[pos:end].encode()
            pos = end
            continue
        yield orjson.dumps(obj)
        pos = end


#: a file in an imported directory listing what is not logs there (``.gitignore``-like:
#: one pattern per line, relative to the directory, ``dir/`` for a whole folder, ``#`` comments)
IGNORE_FILE = ".ironwatchignore"


def _ignored(root: Path) -> Callable[[Path], bool]:
    ignore = root / IGNORE_FILE
    patterns = [] if not ignore.is_file() else [
        ln.strip() for ln in ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")]

    def test(path: Path) -> bool:
        rel = path.relative_to(root).as_posix()
        if rel == IGNORE_FILE:
            return True
        for pattern in patterns:
            if pattern.endswith("/"):
                if rel.startswith(pattern) or fnmatch.fnmatch(rel.split("/", 1)[0] + "/", pattern):
                    return True
            elif fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(path.name, pattern):
                return True
        return False

    return test


def iter_files(paths: list[str]) -> Iterator[Path]:
    """The files to read: named files as they are; directories walked, in name order,
    leaving out what their ``.ironwatchignore`` lists."""
    for p in map(Path, paths):
        if p.is_dir():
            ignored = _ignored(p)
            yield from sorted(x for x in p.rglob("*") if x.is_file() and not ignored(x))
        elif p.is_file():
            yield p
        else:
            raise IronwatchError(f"no such file or directory: {p}")


__all__ = ["FILE_FORMATS", "IGNORE_FILE", "FileReader", "Group", "detect_kind", "iter_files", "json_records",
           "open_maybe_gzip", "split_lines"]
