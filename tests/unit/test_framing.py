"""RFC 6587 framing: octet counting, newline, fallback, oversize, arbitrary chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ironwatch.intake.framing import NEWLINE, OCTET, StreamFramer


def frame_all(chunks: list[bytes], max_bytes: int = 100) -> tuple[list[bytes], list[tuple[bytes, int]], str]:
    over: list[tuple[bytes, int]] = []
    f = StreamFramer(max_bytes, lambda head, n: over.append((head, n)))
    out: list[bytes] = []
    for c in chunks:
        out += f.feed(c)
    out += f.flush()
    return out, over, f.mode


def test_newline_framing_with_crlf_and_tail() -> None:
    out, over, mode = frame_all([b"<13>a\r\n<13>b\n\n<13", b">c"])
    assert out == [b"<13>a", b"<13>b", b"<13>c"] and mode == NEWLINE and not over


def test_octet_counting() -> None:
    msgs = [b"<13>1 - - - - - - hello", b"<14>1 - - - - - - with\nnewline"]
    stream = b"".join(str(len(m)).encode() + b" " + m for m in msgs)
    out, _, mode = frame_all([stream[:7], stream[7:30], stream[30:]])
    assert out == msgs and mode == OCTET


def test_octet_fallback_to_newline() -> None:
    out, _, mode = frame_all([b"081109 203615 148 INFO dfs.DataNode\n2nd line\n"])
    assert mode == NEWLINE and out == [b"081109 203615 148 INFO dfs.DataNode", b"2nd line"]


def test_oversize_is_cut_reported_and_skipped() -> None:
    big = b"<13>" + b"x" * 300
    out, over, _ = frame_all([big[:50], big[50:] + b"\n<13>ok\n"])
    assert out == [b"<13>ok"]
    assert len(over) == 1 and len(over[0][0]) == 100
    stream = b"300 <" + b"y" * 299 + b"5 hello"
    out, over, _ = frame_all([stream[:120], stream[120:]])
    assert out == [b"hello"] and over[0][1] == 300


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b and b"\x00" not in b and not b.endswith(b"\r")),
                min_size=1, max_size=20), st.data(), st.booleans())
def test_any_chunking_gives_the_same_messages(msgs: list[bytes], data: st.DataObject, octet: bool) -> None:
    if octet:
        msgs = [b"<" + m for m in msgs]
        stream = b"".join(str(len(m)).encode() + b" " + m for m in msgs)
    else:
        msgs = [m for m in msgs if m[:1] != b"" and not m[:1].isdigit()] or [b"<1>x"]
        stream = b"".join(m + b"\n" for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    out, over, _ = frame_all(chunks)
    assert out == msgs and not over


def test_oversize_octet_frame_split_across_reads_keeps_a_full_head() -> None:
    body = b"<" + b"z" * 299
    stream = b"300 " + body + b"5 <1>ok"
    out, over, _ = frame_all([stream[i:i + 7] for i in range(0, len(stream), 7)])
    assert out == [b"<1>ok"] and over == [(body[:100], 300)]
