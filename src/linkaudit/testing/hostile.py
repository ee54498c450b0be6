"""Bodies and answers that hostile or broken servers send, for tests and benchmarks.

Bombs are built without ever holding what they expand to: a deflate stream of
zeros, flushed at a block boundary, repeats byte for byte, so a gibibyte of
zeros is a few hundred copies of one block.  Nested layers are then ordinary
gzip of that (small) stream.
"""

from __future__ import annotations

import gzip
import struct
import zlib

MIB = 1024 * 1024
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def zeros_gzip(size: int, byte: bytes = b"\0") -> bytes:
    """A gzip stream of ``size`` bytes (a multiple of 1 MiB) of ``byte``, built in
    milliseconds.  Its trailer is valid, so a reader that decodes it all gets
    exactly ``size`` bytes."""
    if size % MIB:
        raise ValueError("size must be a whole number of MiB")
    block = byte * MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    body = first + repeat * (size // MIB - 1) + end
    crc = _repeated_crc(zlib.crc32(block), size // MIB)
    return _GZIP_HEADER + body + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _repeated_crc(block_crc: int, count: int) -> int:
    """CRC-32 of ``count`` copies of a 1 MiB block, by doubling (log2(count) combines)."""
    result: tuple[int, int] | None = None  # (crc, length) of the copies taken so far
    power, length = block_crc, MIB
    while count:
        if count & 1:
            result = (
                (power, length)
                if result is None
                else (_crc32_combine(result[0], power, length), result[1] + length)
            )
        power, length = _crc32_combine(power, power, length), length * 2
        count >>= 1
    return result[0] if result is not None else 0


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    index = 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine (not exposed by Python's zlib), for bomb trailers."""
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def nested_gzip(size: int, layers: int, byte: bytes = b"\0") -> bytes:
    """``layers`` of gzip around ``size`` bytes of ``byte``: send with
    ``Content-Encoding: gzip, gzip, ...`` (one per layer)."""
    body = zeros_gzip(size, byte)
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


def response(
    body: bytes,
    *,
    status: str = "200 OK",
    headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "text/html; charset=utf-8",
) -> bytes:
    """A raw HTTP/1.1 response with a correct ``Content-Length`` and ``close``."""
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}"]
    head += [f"{name}: {value}" for name, value in headers]
    head += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
