"""What the fuzz tier fed each topic and what became of it, for the session's closing table."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict

OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)
SECONDS: defaultdict[str, float] = defaultdict(float)

# Values that vary per input (quoted text, numbers, object keys) are blanked, so reasons group.
_VARYING = (
    (re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""), "'…'"),
    (re.compile(r"raw/\S*"), "<key>"),
    (re.compile(r"\d+"), "N"),
)


def reason_class(reason: str, key: str | None = None) -> str:
    """The kind of a dead-letter reason: the model and top-level field of a validation error,
    else the reason with its values (and the object `key`) blanked, up to its first detail."""
    if key:
        reason = reason.replace(key, "<key>")
    if reason == "malformed object <key>: <key>":
        return "malformed object: no such object"
    if reason.startswith("gave up after"):
        return "transient, gave up: " + reason_class(reason.split(": ", 1)[-1])
    parsed = re.match(r"invalid (\w+): ([\w-]+)(?:\.\S*)?: ", reason)
    if parsed:
        return f"invalid {parsed[1]}: {parsed[2]}"
    text = reason
    for pattern, blank in _VARYING:
        text = pattern.sub(blank, text)
    return re.split(r" at line|, | \(|\n", text)[0][:80]


def record(topic: str, outcome: str, started: float) -> None:
    OUTCOMES[topic][outcome] += 1
    SECONDS[topic] += time.monotonic() - started


def summary_lines() -> list[str]:
    """One block per topic: inputs, seconds, then each outcome with its count."""
    lines = []
    for topic in sorted(OUTCOMES):
        counts = OUTCOMES[topic]
        lines.append(f"{topic}: {sum(counts.values())} inputs, {SECONDS[topic]:.1f} s")
        for outcome, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:6d}  {outcome}")
    return lines
