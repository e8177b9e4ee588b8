"""How the process asks the C allocator for memory while it reads a large export.

Reading a file of a million responses makes and frees the same arrays a chunk at a time (a hundred thousand
rows: 0.8 MB a column). glibc's malloc serves each block above its mmap threshold (128 KiB at first) with a
fresh mapping and gives it back to the kernel when freed, and frees the top of its heap back too once 128 KiB
are unused: every chunk then touches new pages, which the kernel zeroes and maps one fault at a time. On the
1M-row export, `score FILE` took about 195,000 page faults and 0.6-0.8 s of system time. Keeping freed memory
in the process (blocks up to 32 MiB from the heap, which is given back only once 1 GiB of it is free) brings
it to about 115,000 faults and 0.3-0.4 s, the user time unchanged (bench/README.md). The peak memory is about
the same: what the process keeps, it uses again for the next chunk.

Only glibc has ``mallopt``; elsewhere (macOS, musl) nothing changes.
"""

from __future__ import annotations

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
_TRIM_THRESHOLD = 1024 * 1024 * 1024

_done = False


def keep_freed_memory() -> None:
    """Ask glibc to keep freed blocks for reuse instead of returning them to the kernel (once a process)."""
    global _done
    if _done:
        return
    _done = True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
