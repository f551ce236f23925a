"""The transactional outbox (control.outbox, migration 0007): an event that follows a state
change is written in the transaction that makes the change, and relayed to Kafka afterwards, at
least once, by the transformer. Any service's repository writes it; consumers are idempotent by
message_id."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.messages.envelope import Envelope

# No conflict target: naming one needs SELECT on the outbox, and a writer that only inserts
# (the lister) has no other use for it. message_id is the only key a new row can repeat.
_INSERT = (
    "insert into control.outbox (message_id, topic, key, payload) values ($1, $2, $3, $4::jsonb)"
    " on conflict do nothing"
)


@dataclass(frozen=True)
class OutboxMessage:
    """An event to publish once the change that caused it is committed."""

    message_id: str
    topic: str
    key: str
    payload: str  # JSON

    @classmethod
    def of(cls, event: Envelope, topic: str) -> OutboxMessage:
        """The event bound for `topic`, keyed by its run, as every run event and alert is."""
        return cls(event.message_id, topic, event.run_id, event.model_dump_json())


@dataclass(frozen=True)
class PendingMessage:
    """A row of the outbox not published yet, in publish order (`id`)."""

    id: int
    topic: str
    key: str
    payload: str


async def write_outbox(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, events: list[OutboxMessage]
) -> None:
    """Add the events inside the caller's transaction; one already there is kept as it is."""
    await conn.executemany(_INSERT, [(m.message_id, m.topic, m.key, m.payload) for m in events])


__all__ = ["OutboxMessage", "PendingMessage", "write_outbox"]
