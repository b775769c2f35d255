"""The CEF fast path (``pipeline/columnar_cef.py``) must give exactly the reference parser's rows.

Hypothesis builds CEF records, bare and behind RFC 5424 / RFC 3164 headers, from parts picked
to hit each rule of ``parsers/cef.py`` and each edge of the fast path (escapes, repeated keys
and labels, unescaped ``=``, IPv6, odd ports and severities, text times, non-ASCII); whole
batches go through ``Normalizer.process_batch`` and through the reference parsers, and the
two tables must be equal row for row. Other tests check that the plain shapes really take the
fast path, and that the reference parser's rewritten parts agree with simple oracles.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_columnar import NORM, assert_same, records

from ironwatch.config import Settings, SourceZone
from ironwatch.errors import ParseError
from ironwatch.intake.wal import RecordColumns
from ironwatch.parsers.cef import parse_extension, valid_ip
from ironwatch.pipeline import columnar_cef
from ironwatch.pipeline.normalize import LISTENER_FORMATS, Normalizer

#: syslog headers the fast path reads, then others (structured data, bad times, no space before
#: CEF:, another zone for plcgw-03, no PRI, junk)
FAST_HEADS = ["", "<134>", "<134>1 2026-11-27T10:00:00Z fw01 CEF 1 m - ", "<134>1 2026-11-27T10:00:00.5+01:00 fw01 app - - - text ",
              "<38>Nov 27 10:00:00 fw01 cef[1]: ", "<38>Nov 27 10:00:00 fw01 ", "<38>Nov  4 10:00:00 fw01 tag: words ",
              "<38>Jan  1 00:10:00 fw01 t[9]: ", "<38>Dec 31 23:59:00 fw02 x: ", "<38>Nov 27 10:00:00 fw01 sshd[1]: "]
HEADS = [*FAST_HEADS, "<999>", "<13> ", '<134>1 2026-11-27T10:00:00Z fw01 app - - [x@1 a="1"] ', "<134>1 - fw01 app - - - ",
         "<134>1 2026-02-30T10:00:00Z fw01 app - - - ", "<38>Dec 31 23:59:00 plcgw-03 x: ", "<38>Feb 29 10:00:00 fw01 ",
         "Nov 27 10:00:00 fw01 ", "junk ", " ", "<38>Nov 27 10:00:00 fw01 cef[1]:", "\ufeff"]
KEYS = ["src", "dst", "dvc", "spt", "dpt", "rt", "end", "start", "msg", "act", "suser", "duser", "shost", "dhost",
        "smac", "dmac", "request", "requestMethod", "fname", "filePath", "app", "dvchost", "proto", "outcome",
        "cs1", "cs1Label", "cs2", "cs2Label", "cn1", "cn1Label", "flexString1", "flexString1Label", "Label",
        "deviceCustomDate1Label", "deviceCustomDate1", "cs1LabelLabel", "k.x", "a[1]", "x-y", "_"]
TIMES = {"rt", "end", "start"}
#: values of every kind the mapping treats differently; the last ones make a record slow
FAST_VALUES = ["10.20.3.17", " 10.0.0.1 ", "010.0.0.1", "256.1.1.1", "0.0.0.0", "fe80::1", "FE80::0001", "::ffff:10.0.0.1",
               "fe80::1%eth0", "not-an-ip", "", " ", "502", "0", "65535", "65536", "00080", " 443 ", "\uff11\uff12\uff13",
               "6", "17", "TCP", " Udp ", "ICMP", "Tcp\u00a0", "/Failure", "success", " /SUCCESS ", "UNKNOWN",
               "un\u212anown", "partial", "Zone A", "a/b c", "___", "Zone", "\u00e9", 'with "quotes"', "pipe|inside",
               "trailing  ", "\u00fcn\u00efcode \u2713", "\u2028", "Cell 4  Line 2", "-", "CEF:0|x"]
VALUES = [*FAST_VALUES, "x=y", "esc\\=aped", "back\\\\slash", "tab\there", "Nov 27 2026 10:00:00", "2026-11-27T10:00:00Z",
          "99999999999999999999", "1795773600123456789"]
EPOCHS = ["1795773600123", "1795773600", "1795773600123456", "179577360012345678", " 1795773600123 ", "0", "00042"]
FAST_FIELDS = ["Acme", "", "OT FW", 'say "x"', "\u00e9\u2713", "x=y", "7", "a b "]
HEADER_FIELDS = [*FAST_FIELDS, "a\\|b", "c\\\\d", "tab\there"]
SEVERITIES = ["0", "5", "10", "11", " 7 ", "Low", "medium", "HIGH", "Very-High", "very high", "veryhigh", "Unknown",
              "bogus", "", "-1", "0000000000000000000005", "\u0663", "\u017f", "10 ", 'q"']

_key = st.one_of(st.sampled_from(KEYS), st.from_regex(r"[A-Za-z0-9_.\[\]-]{1,12}", fullmatch=True))
_fast_value = st.one_of(st.sampled_from(FAST_VALUES), st.text(st.sampled_from("ab Z09.:/-_\"|\u00e9"), max_size=12))
_value = st.one_of(st.sampled_from(VALUES), st.text(st.sampled_from("ab Z09.:/-_\"|=\\\u00e9\t"), max_size=12))


@st.composite
def cef_lines(draw: st.DrawFn) -> bytes:
    """Three lines in four are built from parts the fast path reads (still with every kind of
    odd value), the others from any parts."""
    plain = draw(st.integers(0, 3)) > 0
    version = draw(st.sampled_from(["0", "1"] if plain else ["0", "1", "2", "00"]))
    fields = [draw(st.sampled_from(FAST_FIELDS if plain else HEADER_FIELDS)) for _ in range(5)]
    keys = draw(st.lists(_key, max_size=12, unique=plain))
    values = [draw(st.sampled_from(EPOCHS) if plain and key in TIMES else _fast_value if plain else _value) for key in keys]
    extension = draw(st.sampled_from([" ", " ", "  "])).join(f"{k}={v}" for k, v in zip(keys, values))
    if not plain:
        extension = draw(st.sampled_from(["", " ", "free text then "])) + extension
    closed = draw(st.sampled_from(["|", "|", ""] if not extension else ["|"] if plain else ["|", ""]))
    head = draw(st.sampled_from(FAST_HEADS if plain else HEADS))
    severity = draw(st.sampled_from(SEVERITIES))
    return f"{head}CEF:{version}|{'|'.join(fields)}|{severity}{closed}{extension}{draw(st.sampled_from(['', '  ']))}".encode()


#: typical firewall/IDS lines, each shape the fast path takes
PLAIN = [
    (b"CEF:0|Fortinet|FortiGate-OT|7.2.5|0419016384|ICS Modbus write blocked|7|rt=1795773243512 src=10.20.3.17"
     b" spt=50211 dst=10.20.1.5 dpt=502 proto=6 act=deny app=Modbus dvchost=fw-ot-cell4 dvc=10.20.0.1"
     b" cs1Label=Policy cs1=OT_IN Cell 4 cs2Label=Zone cs2=Packaging Line 2"),
    (b"<134>CEF:1|Nozomi|Guardian|22.6.0|SIGN:PROC-VAR|Process variable out of range|Low|flexString1Label=Tag"
     b" flexString1=TIC-204.PV cs3Label=Asset / Line cs3=Oven 3 cs4=unlabelled rt=1795770000000"),
    (b"<134>1 2026-11-27T09:14:03.512+01:00 ids-ot-01 CTD 2211 ALERT - CEF:0|Claroty|CTD|4.9.1|PLC-STOP-17|PLC"
     b" CPU set to STOP|Very-High|start=1795767242900 suser=eng01 src=10.20.9.44 dst=fe80::1 dpt=102 proto=TCP"
     b" cn1Label=Rack cn1=0 outcome=Success msg=stop \"now\""),
    (b"<38>Nov 27 10:15:30 plcgw-03 pi-auth[4410]: CEF:0|AVEVA|PI Server|2023 SP1|AUTH-4625|Login failed|Medium"
     b"|rt=1795773600000 suser=opr.shift2 shost=hmi-07 src=10.20.5.31 outcome=failure msg=bad password"),
    b"<38>Nov 27 10:15:30 fw01 CEF:0|Acme|OT-FW|1.0|X1|Odd values|11|src=not-an-ip spt=70000 dpt=502 proto=17 act=",
    b"<129>CEF:0|Siemens|SCALANCE S615|7.1|FW-17|Firewall rule set reloaded|3",
]
#: one reason each to leave a CEF record to the reference parser
SLOW = [
    b"CEF:0|Acme \\| OT|Gate|3.0|fw|Drop|5|src=10.20.3.17",  # header escape
    b"CEF:0|Dragos|Platform|2.3|D-1|File|6|msg=Tag\\=412 fname=x",  # extension escape
    b"CEF:0|A|B|1|s|n|5|src=10.0.0.1 src=10.0.0.2",  # a key twice
    b"CEF:0|A|B|1|s|n|5|cs1Label=Zone cs1=a cs2Label=Zone cs2=b",  # a custom label twice
    b"CEF:0|A|B|1|s|n|5|request=http://h/?a=b",  # '=' inside a value, unescaped
    b"CEF:0|A|B|1|s|n|5|rt=Nov 27 2026 10:00:00",  # a time in words
    b'<134>1 2026-11-27T10:00:00Z fw01 app - - [x@1 a="1"] CEF:0|A|B|1|s|n|1|src=10.0.0.1',  # structured data
    b"CEF:0|A|B|1|s|n|5| free text then src=10.20.3.17",  # dead letter
    b"CEF:2|A|B|1|s|n|5|src=1.2.3.4",  # dead letter
]


@settings(max_examples=300, deadline=None)
@given(st.lists(cef_lines(), min_size=1, max_size=12))
# a PRI-only header out of range beside a good one: the bad row once shifted the good row's times
@example([b"CEF:0|Acme|Acme|Acme|Acme|Acme|0|", b"<999>CEF:0|Acme|Acme|Acme|Acme|Acme|0|",
          b"<134>CEF:0|Acme|Acme|Acme|Acme|Acme|0|"])
def test_cef_batches_match_the_reference_parser(lines: list[bytes]) -> None:
    assert_same(NORM, records(lines))


@settings(max_examples=100, deadline=None)
@given(st.lists(cef_lines(), min_size=1, max_size=6))
def test_imported_cef_keeps_the_file_path_last(lines: list[bytes]) -> None:
    assert_same(NORM, records(lines, listener="import:/var/log/fw \"ot\".log"))


@settings(max_examples=100, deadline=None)
@given(st.lists(cef_lines(), min_size=1, max_size=6))
def test_cef_from_senders_in_other_zones(lines: list[bytes]) -> None:
    for norm in ZONED:
        assert_same(norm, records(lines))


def _zoned(rule: SourceZone) -> Normalizer:
    s = Settings()
    s.time.sources = [rule]
    return Normalizer(s)


#: a host in another zone (its RFC 3164 headers go slow), every sender in another zone
ZONED = [_zoned(SourceZone(match="plcgw-03", zone="Europe/Berlin")), _zoned(SourceZone(match="10.1.0.0/16", zone="Asia/Tokyo"))]


def test_plain_cef_takes_the_fast_path_and_the_rest_does_not() -> None:
    lines = PLAIN + SLOW
    fast, slow = NORM.columnar.parse(RecordColumns.from_records(records(lines)), LISTENER_FORMATS)
    assert slow == list(range(len(PLAIN), len(lines)))
    assert fast is not None and fast.column("parser").to_pylist() == ["cef"] * len(PLAIN)
    assert_same(NORM, records(lines))


def test_a_large_mixed_batch_scanned_in_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_cef, "_CHUNK", 997)  # chunk edges fall anywhere in the records
    lines = [PLAIN[i % len(PLAIN)].replace(b"10.20", f"10.{i % 200}".encode()) for i in range(3000)] + SLOW
    assert_same(NORM, records(lines))
    _, slow = NORM.columnar.parse(RecordColumns.from_records(records(lines)), LISTENER_FORMATS)
    assert slow == list(range(3000, len(lines)))


def test_repeated_keys_found_by_sorting_when_the_key_table_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_cef, "DENSE_LIMIT", 0)
    lines = [*PLAIN, *SLOW, b"CEF:0|A|B|1|s|n|5|cs1Label=Zone cs1=a cs3Label=Zone cs3=b"]
    assert_same(NORM, records(lines))
    _, slow = NORM.columnar.parse(RecordColumns.from_records(records(lines)), LISTENER_FORMATS)
    assert slow == list(range(len(PLAIN), len(lines)))


def test_labels_beyond_the_kept_bases_take_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar_cef, "MAX_LABEL_BASES", 1)
    lines = [b"CEF:0|A|B|1|s|n|5|cs1Label=Zone cs1=a", b"CEF:0|A|B|1|s|n|5|cs1Label=Zone cs1=b",
             b"CEF:0|A|B|1|s|n|5|cs2Label=Line cs2=c", b"CEF:0|A|B|1|s|n|5|cs2=d"]
    _, slow = NORM.columnar.parse(RecordColumns.from_records(records(lines)), LISTENER_FORMATS)
    assert slow == [2]
    assert_same(NORM, records(lines))


def _extension_by_finditer(text: str) -> dict[str, str]:
    """``parse_extension`` as first written (match by match): the oracle for its faster split."""
    text = text.strip(" ")
    if not text:
        return {}
    keys = list(re.finditer(r"(?:^| )([A-Za-z0-9_.\[\]-]+)=", text, re.ASCII))
    if not keys or keys[0].start() != 0:
        raise ParseError("does not start with key=value", parser="cef")
    pairs = {}
    for m, following in zip(keys, [*keys[1:], None]):
        value = text[m.end():following.start() if following else len(text)]
        pairs[m.group(1)] = re.sub(r"\\([\\=nr])", lambda e: {"n": "\n", "r": "\r"}.get(e.group(1), e.group(1)), value)
    return pairs


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab =\\nr|.[]-_\u00e9"), max_size=40))
def test_parse_extension_matches_the_match_by_match_reading(text: str) -> None:
    try:
        expected: dict[str, str] | None = _extension_by_finditer(text)
    except ParseError:
        expected = None
    if expected is None:
        with pytest.raises(ParseError):
            parse_extension(text)
    else:
        assert parse_extension(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.sampled_from(VALUES), st.text(st.sampled_from("0123456789.:abf% \u0663"), max_size=20)))
def test_valid_ip_matches_ipaddress(text: str) -> None:
    try:
        expected: str | None = str(ipaddress.ip_address(text.strip())) if text else None
    except ValueError:
        expected = None
    assert valid_ip(text) == expected
