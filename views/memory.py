"""The app server's memory. glibc raises its mmap threshold each time a large block is freed, so the figures'
later arrays (a few MB each) are carved from per-thread heaps that are never handed back: twenty sessions held
about 200 MB more (the load benchmark, 752 → 538 MB). A fixed threshold hands every large block back when freed.
Imported once per process, by app.py."""
import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h); setting it turns the moving threshold off
THRESHOLD = 128 * 1024  # glibc's own starting value


def fix_mmap_threshold() -> bool:
    """Whether the threshold was fixed (False where the C library is not glibc)."""
    try:
        return bool(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(M_MMAP_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):
        return False


fix_mmap_threshold()
