"""The emulator clock inside a function's JVM.

libfaketime (Debian's faketime package), preloaded into a process, adds a fixed offset to the wall clock the
process reads (clock_gettime(CLOCK_REALTIME), gettimeofday, time: what System.currentTimeMillis and Instant.now
use). The offset is read once, when the process starts, so a JVM keeps the offset it started with; the local
stack retires environments that started on another offset than the emulator clock's.

`python3 -m hybrid_local.jvm_clock` exits with 1 when the library is missing (bin/check-prerequisites).
"""

import glob
import sys

# Where the faketime packages of Debian, Ubuntu and Fedora, and a source install, put the library.
LIBRARY_PATTERNS = (
    "/usr/lib/*/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/lib64/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)


class FaketimeMissing(RuntimeError):
    """The emulator clock is off real time and no function can follow it."""


def faketime_library() -> str | None:
    for pattern in LIBRARY_PATTERNS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def shifted_environment(offset_seconds: float, library: str | None) -> dict[str, str]:
    """The variables that start a JVM with its wall clock offset_seconds off real time; none for no offset."""
    if offset_seconds == 0:
        return {}
    if library is None:
        raise FaketimeMissing(
            f"the emulator clock is {offset_seconds:+.0f} s off real time, and functions follow it "
            "only through libfaketime: install the faketime package (see bin/check-prerequisites)"
        )
    return {
        "LD_PRELOAD": library,
        "FAKETIME": f"{offset_seconds:+.3f}s",
        # A JVM whose monotonic clock is faked hangs (libfaketime's README); nanoTime and timeouts stay real.
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # libfaketime turns this workaround on for current glibc versions; with it every timed wait of the JVM
        # (LockSupport.parkNanos, Object.wait) returns at once, and waiting threads spin.
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }


if __name__ == "__main__":
    sys.exit(0 if faketime_library() else 1)
