"""The base every payload is built on: ids that trace a message through the pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from .ids import Id, MessageId


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """Common fields. Unknown fields are ignored, so adding an optional field breaks no one."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    run_id: Id = Field(description="The run this message belongs to", examples=["20261126-a1b2c3"])
    message_id: MessageId = Field(
        description="Deterministic id: the same logical message always has the same id",
        examples=["20261126-a1b2c3/b00007/loaded"],
    )
    produced_at: datetime = Field(
        default_factory=utc_now, description="When the producer built the message (UTC)"
    )
    schema_version: int = Field(1, description="Version of this payload's schema", examples=[1])
