"""Reading an HTTP answer without trusting its size: at most `limit` bytes are ever held, after
decompression too, however small the compressed body (a gzip bomb) or however long it goes on
(an endless body). Shared by the kiosk's backend client and the backend's upstream client;
both open their sessions with `auto_decompress=False`, so that the inflating happens here,
under the bound, and ask only for gzip (`ACCEPT_ENCODING`)."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp  # the callers have it loaded; the kiosk imports it only when first needed

ACCEPT_ENCODING = "gzip"
CHUNK = 64 * 1024
INFLATE_STEP = 1024 * 1024


class AnswerTooLarge(ValueError):
    """The answer would be larger than the limit; nothing of it is kept."""


class AnswerUnreadable(ValueError):
    """The answer's encoding is unknown or its compression broken."""


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, decompressed, or AnswerTooLarge / AnswerUnreadable; `limit` in bytes."""
    if (response.content_length or 0) > limit:
        raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(47)  # 32 + 15: a gzip or zlib header, whichever comes
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise AnswerUnreadable(f"the answer is in an encoding that is not read here ({encoding[:20]!r})")
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(CHUNK):
            # Inflated a step at a time: 64 kB of a bomb alone would make 64 MB in one call.
            while chunk:
                body += inflater.decompress(chunk, INFLATE_STEP) if inflater else chunk
                if len(body) > limit:
                    raise AnswerTooLarge(f"the answer is larger than {_size(limit)}")
                chunk = inflater.unconsumed_tail if inflater else b""
    except zlib.error:
        raise AnswerUnreadable("the answer's compression is broken") from None
    return bytes(body)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"
