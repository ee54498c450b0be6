"""Reading a response body without letting the server decide how much memory it takes.

httpx decodes ``Content-Encoding`` chunk by chunk with no bound on what one
chunk expands to: three kilobytes of nested gzip become a gibibyte in one call.
So the engine reads the raw bytes and decodes them here, every layer pulled a
step (``STEP`` bytes) at a time, and stops as soon as enough is decoded: memory
stays at a few steps per layer whatever the server sends.  What was read is then
called what it is: a prefix of a big page (``truncated``), a decompression bomb
(past the limit at an expansion no real page has), a body whose encoding is
corrupt, or one in an encoding we never asked for and cannot decode.

Beyond the ``cap`` kept for the classifier, a caller may ``scan`` further (the
engine looks for ``#fragment`` ids on long pages): scanned bytes are handed over
step by step and never held here.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx

#: What the engine asks for; a browser asks for more (br, zstd), but these are the
#: encodings decoded here with a bound on every layer.
ACCEPT_ENCODING = "gzip, deflate"
#: Decoded bytes per raw byte (all layers multiplied) beyond which a body that
#: goes past the limit is a bomb.  One layer of deflate cannot exceed 1032:1 (a run
#: of one byte); real pages, even endless tables of one row, stay below 100:1.
BOMB_RATIO = 500
#: The most one layer decodes in one call.
STEP = 64 * 1024


class BodyError(Exception):
    """The body cannot be turned into what the server says it is."""


@dataclass(frozen=True)
class Body:
    """A body as far as it was read: ``data`` is at most the cap, decoded."""

    data: bytes
    truncated: bool  # there was more than ``data``
    raw_bytes: int  # bytes taken off the wire
    complete: bool = True  # everything was decoded (kept or scanned)
    bomb: bool = False  # past the limit at more than BOMB_RATIO:1
    unsupported: str = ""  # a Content-Encoding we cannot decode: data is raw
    cut: bool = False  # the server hung up before the body it announced was complete


class _Layer:
    """One ``Content-Encoding`` layer, decoded a step at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        wbits = zlib.MAX_WBITS | 16 if name in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(wbits)
        self._first = True
        self.taken = 0  # input bytes decoded
        self.produced = 0  # output bytes

    def _decompress(self, data: bytes) -> bytes:
        try:
            out = self._zlib.decompress(data, STEP)
        except zlib.error as exc:
            if self.name == "deflate" and self._first:
                # "deflate" is often sent without its zlib header, as raw deflate.
                self._first = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise BodyError(f"the {self.name} encoding is corrupt ({exc})") from exc
        self._first = False
        self.taken += len(data) - len(self._zlib.unconsumed_tail)
        self.produced += len(out)
        return out

    def decode(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        """Decode ``pieces`` lazily: at most ``STEP`` bytes are produced per pull."""
        for piece in pieces:
            data = piece
            while data:
                out = self._decompress(data)
                data = self._zlib.unconsumed_tail
                if out:
                    yield out
                if self._zlib.eof:
                    return  # anything after the end of the stream is not the body

    def finish(self) -> Iterator[bytes]:
        while not self._zlib.eof:
            out = self._zlib.flush(STEP)
            self.produced += len(out)
            if not out:
                return
            yield out

    @property
    def expansion(self) -> float:
        return self.produced / max(self.taken, 1)


def _layers(header: str | None) -> tuple[list[_Layer], str]:
    """Decoders for a ``Content-Encoding`` value, outermost first, or the first unknown one."""
    names = [part.strip().lower() for part in (header or "").split(",") if part.strip()]
    layers: list[_Layer] = []
    for name in reversed(names):  # the last encoding applied is undone first
        if name == "identity":
            continue
        if name not in ("gzip", "x-gzip", "deflate"):
            return [], name
        layers.append(_Layer(name))
    return layers, ""


def _through(layers: list[_Layer], pieces: Iterator[bytes]) -> Iterator[bytes]:
    for layer in layers:
        pieces = layer.decode(pieces)
    return pieces


def _finish(layers: list[_Layer]) -> Iterator[bytes]:
    """What the layers still hold at the end of the input, each through the ones after it."""
    for index, layer in enumerate(layers):
        yield from _through(layers[index + 1 :], layer.finish())


def _expansion(layers: list[_Layer]) -> float:
    total = 1.0
    for layer in layers:
        total *= layer.expansion
    return total


class _Reader:
    """Where decoded bytes go: the kept prefix, then the scan, until the limit."""

    def __init__(self, cap: int, scan: Callable[[bytes], None] | None, scan_cap: int) -> None:
        self.cap = cap
        self.scan = scan
        self.limit = max(cap, scan_cap) if scan is not None else cap
        self.kept = bytearray()
        self.total = 0

    def take(self, piece: bytes) -> bool:
        """Take one decoded piece; False once the limit is reached (read no further)."""
        piece = piece[: self.limit - self.total]
        self.total += len(piece)
        if len(self.kept) < self.cap:
            self.kept += piece[: self.cap - len(self.kept)]
        if self.scan is not None and piece:
            self.scan(piece)
        return self.total < self.limit


async def read_body(
    response: httpx.Response,
    cap: int,
    *,
    scan: Callable[[bytes], None] | None = None,
    scan_cap: int = 0,
) -> Body:
    """Read ``response`` until ``cap`` decoded bytes are kept (and, with ``scan``, until
    ``scan_cap`` decoded bytes were handed to it), however the body is encoded.

    Raises ``BodyError`` for a body whose declared encoding is corrupt.  A body in
    an encoding we cannot decode is returned raw with ``unsupported`` set.  A server
    that hangs up mid-body after sending part of it gives that part (``cut``), as a
    browser shows what arrived; one that sent nothing of the body raises as before.
    """
    layers, unknown = _layers(response.headers.get("content-encoding"))
    try:
        chunks: AsyncIterator[bytes] = _already(response.content)
        layers, unknown = [], ""  # read and decoded before us (a test's mock transport)
    except httpx.ResponseNotRead:
        chunks = response.aiter_raw()
    reader = _Reader(cap, None if unknown else scan, scan_cap)
    raw_bytes = 0
    more = True
    try:
        async for chunk in chunks:
            raw_bytes += len(chunk)
            pieces = iter((chunk,)) if unknown else _through(layers, iter((chunk,)))
            more = all(reader.take(piece) for piece in pieces)
            if not more:
                break
        else:
            more = all(reader.take(piece) for piece in _finish(layers))
    except (httpx.RemoteProtocolError, httpx.ReadError):
        if not reader.total:
            raise
        return _body(reader, raw_bytes, layers, unknown, over=False, cut=True)
    # Stopping at the limit means there may be more: it counts as more.
    over = not more
    return _body(reader, raw_bytes, layers, unknown, over=over, cut=False)


async def _already(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _body(
    reader: _Reader, raw_bytes: int, layers: list[_Layer], unknown: str, *, over: bool, cut: bool
) -> Body:
    return Body(
        bytes(reader.kept),
        truncated=over or cut or reader.total > len(reader.kept),
        raw_bytes=raw_bytes,
        complete=not over and not cut,
        bomb=over and bool(layers) and _expansion(layers) >= BOMB_RATIO,
        unsupported=unknown,
        cut=cut,
    )
