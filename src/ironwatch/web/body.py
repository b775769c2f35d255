"""Request bodies with a size cap, gzip (as shippers send) decompressed within the same cap."""

from __future__ import annotations

import zlib

from fastapi import HTTPException, Request


async def read_body(request: Request, max_body: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise HTTPException(413, f"body larger than {max_body} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    enc = request.headers.get("content-encoding", "").lower()
    if enc == "gzip":
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = d.decompress(body, max_body)
            if d.unconsumed_tail:
                raise HTTPException(413, f"decompressed body larger than {max_body} bytes")
        except zlib.error as exc:
            raise HTTPException(400, f"invalid gzip body: {exc}") from exc
    elif enc not in ("", "identity"):
        raise HTTPException(415, f"unsupported content-encoding {enc!r}")
    return body


