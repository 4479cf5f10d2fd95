"""A page gzipped once, with holes: what the page cache keeps for browsers that accept gzip.

A cached visitor page differs between answers only in the visitor's form token. Compressing
the whole page again for each answer cost a quarter of the time a cached page takes; instead
the page is compressed once, in parts that end at the token (each part a raw DEFLATE stream
flushed with Z_FULL_FLUSH, so it stands alone, byte-aligned and not final: RFC 1951), and each
answer only compresses its token (a few dozen bytes), strings the parts together, closes the
stream with an empty final block and writes the gzip header and trailer (RFC 1952: CRC-32 and
length of the whole page as sent). A token is random text that would not compress: it goes in
as a stored block (RFC 1951, 3.2.4), which costs no compressor at all.

The result is one ordinary gzip member; tests decompress it with Python's gzip and with GNU
gzip, and the browser journeys read these pages in Chromium.
"""

import struct
import zlib

# Magic, DEFLATE, no flags, no modification time, no extra flags, unknown OS.
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_END = zlib.compressobj(wbits=-15).flush(zlib.Z_FINISH)  # an empty final block


def _deflated(data: bytes, level: int) -> bytes:
    """`data` as a raw DEFLATE stream that stands alone and does not end the whole."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _stored(data: bytes) -> bytes:
    """`data` as one stored, not final, DEFLATE block, starting on a byte boundary (the parts
    end on one): a header byte (not final, type 00, padding), LEN and its complement, data."""
    if len(data) > 0xFFFF:
        raise ValueError("a stored block holds at most 65,535 bytes")
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


class HoledGzip:
    """`parts` of a page, compressed once; `fill(text)` is the gzip of the page with `text`
    between every two parts."""

    def __init__(self, parts: list[str], level: int = 6) -> None:
        self._raw = [part.encode() for part in parts]
        self._deflated = [_deflated(part, level) for part in self._raw]

    def fill(self, text: str) -> bytes:
        filling = text.encode()
        between = _stored(filling)
        out = [_HEADER]
        crc = size = 0
        for index, (raw, packed) in enumerate(zip(self._raw, self._deflated, strict=True)):
            if index:
                out.append(between)
                crc = zlib.crc32(filling, crc)
                size += len(filling)
            out.append(packed)
            crc = zlib.crc32(raw, crc)
            size += len(raw)
        out.append(_END)
        out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(out)
