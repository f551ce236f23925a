"""MinIO's object-created notification, parsed as MinIO's Kafka target sends it.

The value is `{"EventName", "Key", "Records": [one S3-style record]}`. In the record the object
key is query-escaped (Go's url.QueryEscape: '/' -> %2F, ' ' -> '+'), so it is unescaped here.
"""

from __future__ import annotations

from urllib.parse import quote_plus, unquote_plus

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class S3Object(_Model):
    key: str = Field(description="Query-escaped object key")
    size: int | None = None
    e_tag: str | None = Field(None, alias="eTag")
    sequencer: str | None = None


class S3Bucket(_Model):
    name: str


class S3Entity(_Model):
    bucket: S3Bucket
    object: S3Object


class S3Record(_Model):
    event_name: str = Field(alias="eventName")
    event_time: str | None = Field(None, alias="eventTime")
    s3: S3Entity


class ObjectCreated(_Model):
    """An object was created in the bucket (event, on the raw-object-events topic)."""

    event_name: str = Field(alias="EventName", examples=["s3:ObjectCreated:Put"])
    records: list[S3Record] = Field(alias="Records", min_length=1, max_length=1)

    @classmethod
    def reannounce(cls, bucket: str, key: str) -> ObjectCreated:
        """The event MinIO sends for a put of `key`, for an object whose own event was lost
        (the reconciler). The key is query-escaped as MinIO escapes it."""
        record = {
            "eventName": "s3:ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="")}},
        }
        return cls.model_validate(
            {"EventName": "s3:ObjectCreated:Put", "Key": f"{bucket}/{key}", "Records": [record]}
        )

    @property
    def record(self) -> S3Record:
        return self.records[0]

    @property
    def bucket(self) -> str:
        return self.record.s3.bucket.name

    @property
    def key(self) -> str:
        """The object key as written, unescaped."""
        return unquote_plus(self.record.s3.object.key)

    @property
    def is_created(self) -> bool:
        return self.event_name.startswith("s3:ObjectCreated:")
