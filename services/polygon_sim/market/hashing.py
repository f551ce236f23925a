"""Counter-based randomness: every random number is a pure function of (key, counter, stream).

A bar can then be computed on its own, in any order and in any batch shape, and always comes out
the same; that is what makes the range and grouped endpoints agree without a shared cache.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_STREAM = 0xD1B54A32D192ED03
_MASK64 = (1 << 64) - 1
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK16 = np.uint64(0xFFFF)
_SQRT3 = 3.0**0.5


def stable_u64(*parts: object) -> int:
    """A 64-bit integer from any printable parts, stable across processes (unlike `hash`)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def mix(keys: U64, counters: npt.NDArray[np.int64], stream: int) -> U64:
    """SplitMix64 finalizer of key ^ counter ^ stream, elementwise (numpy wraps uint64 maths)."""
    x = keys ^ (counters.astype(np.uint64) * _GOLDEN) ^ np.uint64((stream * _STREAM) & _MASK64)
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def unit(h: U64, lane: int) -> F64:
    """The lane-th (0..3) 16-bit slice of a hash as a uniform number in [0, 1)."""
    return ((h >> np.uint64(16 * lane)) & _MASK16).astype(np.float64) / 65536.0


def normal(h: U64) -> F64:
    """An approximately standard normal number (Irwin-Hall sum of the four 16-bit lanes)."""
    lanes = (h & _MASK16) + ((h >> np.uint64(16)) & _MASK16) + ((h >> np.uint64(32)) & _MASK16)
    total: F64 = (lanes + (h >> np.uint64(48))).astype(np.float64)
    scaled: F64 = (total / 65536.0 - 2.0) * _SQRT3
    return scaled


def uniform_scalar(*parts: object) -> float:
    """One uniform number in [0, 1) from printable parts, for per-request decisions."""
    return (stable_u64(*parts) >> 11) / float(1 << 53)
