"""Creating what the pipeline needs, idempotently: Kafka topics, the bucket and its notification
rule, and the database with its schemas, roles and migrations. Used by the CLI (`stocks-elt
bootstrap`), compose's init job and the tests."""

from .database import bootstrap_database
from .runner import bootstrap_all
from .storage import bootstrap_storage
from .topics import bootstrap_topics

__all__ = ["bootstrap_all", "bootstrap_database", "bootstrap_storage", "bootstrap_topics"]
