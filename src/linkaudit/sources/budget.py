"""Whether an input can be audited in the memory this process may use.

A 20 MB page of 400,000 links needs about a gigabyte to extract; on a CI runner
with less, the kernel's out-of-memory killer ends the run with no word (Python's
``MemoryError`` only comes when an address-space limit is set).  So before an
input is parsed, its peak is estimated from its size and the URLs it holds, and
an input that would not fit is refused with one line that says why, what it
needs, and what is free.

The estimate is measured, not guessed: ``benchmarks/hostile_inputs.py`` extracts
pages of links and long texts in a child process and reads its peak resident
memory.  Extraction holds the parsed document (about ``_PER_BYTE`` bytes of
memory a byte of input, most of it the lxml tree and the tag index) and each
citation with its text and sentence (about ``_PER_URL`` a URL, the upper end of
what was measured).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from linkaudit.errors import InputError

#: Memory a byte of input costs while it is parsed (lxml tree, tag index, text).
_PER_BYTE = 10
#: Memory one URL of the input costs until the run ends (citation, text, sentence).
_PER_URL = 2_000
#: Inputs smaller than this are never refused: whatever is free, they fit or
#: nothing would.
_ALWAYS = 8 * 1024 * 1024


def estimate(data: bytes) -> int:
    """Bytes of memory extracting ``data`` is expected to take at its peak."""
    urls = max(data.count(b"://"), data.count(b"href") + data.count(b"src"))
    return len(data) * _PER_BYTE + urls * _PER_URL


@dataclass(frozen=True)
class Free:
    """Memory this process may still take, and what limits it."""

    bytes: int
    limit: str  # "memory available", "cgroup memory.max", "address-space limit"


def free_memory() -> Free | None:
    """The tightest of what the machine, the container and ``ulimit -v`` leave; None
    where none of them can be read (then nothing is refused)."""
    found = [f for f in (_machine(), _cgroup(), _address_space()) if f is not None]
    return min(found, key=lambda f: f.bytes) if found else None


def ensure_fits(origin: str, data: bytes, *, free: Callable[[], Free | None] = free_memory) -> None:
    """Refuse ``data`` (an :class:`InputError`, one line) when it cannot be audited here."""
    if len(data) < _ALWAYS:
        return
    needed = estimate(data)
    left = free()
    if left is None or needed <= left.bytes:
        return
    raise InputError(
        f"{origin}: too big to audit in the memory available: needs about "
        f"{_mb(needed)} MB, {_mb(left.bytes)} MB free ({left.limit}); "
        "split it, or give linkaudit more memory"
    )


def _mb(n: int) -> int:
    return max(1, round(n / (1024 * 1024)))


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _machine() -> Free | None:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemAvailable:"):
            return Free(int(line.split()[1]) * 1024, "memory available")
    return None


def _cgroup() -> Free | None:
    """What the container's memory limit leaves (cgroup v2, else v1)."""
    v2 = Path("/sys/fs/cgroup")
    limit, used = _read_int(v2 / "memory.max"), _read_int(v2 / "memory.current")
    if limit is None or used is None:
        v1 = v2 / "memory"
        limit = _read_int(v1 / "memory.limit_in_bytes")
        used = _read_int(v1 / "memory.usage_in_bytes")
        if limit is None or used is None or limit >= 1 << 60:  # v1's "no limit"
            return None
    return Free(max(limit - used, 0), "container memory limit")


def _address_space() -> Free | None:
    """What ``ulimit -v`` leaves of the address space."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        status = Path(f"/proc/{os.getpid()}/status").read_text().splitlines()
    except OSError:
        return None
    size = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:")), 0)
    return Free(max(soft - size, 0), "address-space limit")
