"""One consumed topic's real handler on the in-memory broker, over real Postgres, and the check
every fuzzed input must pass: the handler returns, and the input is either processed or in the
topic's `.dlq` (once, as sent, with a reason) with nothing written and nothing published."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import asyncpg
from faststream.kafka import KafkaBroker
from hypothesis import HealthCheck, settings

from shared.clients.broker import ORIGIN_HEADER, REASON_HEADER
from shared.messages import topics
from tests.fakes.kafka import Delivered, TopicRecorder

from .tally import reason_class, record

# STOCKS_ELT_FUZZ_SCALE=10 runs ten times the examples (a deeper local hunt); CI runs 1.
SCALE = float(os.environ.get("STOCKS_ELT_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    """Examples per test sized for the tier's budget (3 minutes on 2 cores), no deadline (real
    Postgres), no example database on disk (CI clones fresh; failures print a reproducer)."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


async def tables_fingerprint(checks: asyncpg.Pool) -> str:
    """A query giving, for every table of the control and raw schemas, its row count and newest
    row version (`xmin`): any insert, update or delete changes one of the two."""
    names = await checks.fetch(
        "select schemaname || '.' || tablename as name from pg_tables"
        " where schemaname in ('control', 'raw') order by 1"
    )
    return " union all ".join(
        f"select '{r['name']}' as t, count(*) as n, max(xmin::text::bigint) as x from {r['name']}"
        for r in names
    )


@dataclass(frozen=True)
class Db:
    ingest: asyncpg.Pool
    transform: asyncpg.Pool
    checks: asyncpg.Pool
    fingerprint_sql: str

    async def fingerprint(self) -> dict[str, tuple[int, int | None]]:
        rows = await self.checks.fetch(self.fingerprint_sql)
        return {r["t"]: (r["n"], r["x"]) for r in rows}


@dataclass(frozen=True)
class Delivery:
    """One input and everything it caused."""

    topic: str
    body: bytes
    dead: list[Delivered]
    published: dict[str, list[Delivered]]
    changed: list[str]  # tables, or "side effects", whose state the input changed


class Rig:
    """Publishes raw bytes to `topic` on a broker inside `TestKafkaBroker`, whose router is the
    service's own, and records its dead letters, its publishes and what changed."""

    def __init__(
        self,
        broker: KafkaBroker,
        topic: str,
        db: Db,
        outputs: tuple[str, ...],
        side_effects: Callable[[], Hashable] = lambda: None,
    ) -> None:
        self.broker, self.topic, self.db = broker, topic, db
        self._dlq = TopicRecorder(broker, topics.dlq(topic))
        self._outputs = {t: TopicRecorder(broker, t) for t in outputs}
        self._side_effects = side_effects

    async def deliver(self, body: bytes) -> Delivery:
        for recorder in (self._dlq, *self._outputs.values()):
            recorder.messages.clear()
        before, effects = await self.db.fingerprint(), self._side_effects()
        try:
            await self.broker.publish(body, topic=self.topic, key=b"fuzz")
        except Exception as exc:  # TestKafkaBroker raises what the handler let out
            raise AssertionError(f"an exception escaped the handler: {exc!r}") from exc
        after = await self.db.fingerprint()
        changed = [t for t in after if after[t] != before.get(t)]
        if self._side_effects() != effects:
            changed.append("side effects")
        published = {t: list(r.messages) for t, r in self._outputs.items()}
        return Delivery(self.topic, body, list(self._dlq.messages), published, changed)


def dead_letter_reason(d: Delivery, recorded_in: frozenset[str] = frozenset()) -> str | None:
    """None when the input was not dead-lettered; else its reason, once the dead letter is
    checked: one copy, the original bytes, reason and origin headers, nothing written (but the
    record of the refusal itself, in `recorded_in`) or published, and no 'gave up' (no fault is
    injected here, so a transient failure would be a permanent one misclassified: in production
    it holds its partition for minutes of retries)."""
    if not d.dead:
        return None
    assert 1 == len(d.dead), f"dead-lettered {len(d.dead)} times"
    [letter] = d.dead
    reason = letter.headers.get(REASON_HEADER, "")
    assert (d.body, d.topic, True) == (
        letter.body,
        letter.headers.get(ORIGIN_HEADER),
        bool(reason.strip()),
    ), "a dead letter carries the bytes as sent, its origin and a reason"
    written = [t for t in d.changed if t not in recorded_in]
    assert [] == written, f"dead-lettered ({reason[:300]}) after writing {written}"
    assert {} == {t: len(m) for t, m in d.published.items() if m}, f"published, then: {reason}"
    assert not reason.startswith("gave up"), f"a permanent failure retried as transient: {reason}"
    return reason


def tally(d: Delivery, processed: str, started: float, key: str | None = None) -> None:
    """Count the input under its outcome: `processed` (what the caller saw), or its dead-letter
    reason's class (with the object `key` it names blanked)."""
    reason = d.dead[0].headers.get(REASON_HEADER, "") if d.dead else None
    outcome = processed if reason is None else "dead-lettered: " + reason_class(reason, key)
    record(d.topic, outcome, started)


def now() -> float:
    return time.monotonic()
