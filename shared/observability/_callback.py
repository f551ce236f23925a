"""Counters read from an object that already counts (the simulator's request stats) at each
scrape, instead of a second set of counters kept in step with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class CallbackCounter(Collector):
    """One counter family whose values, by one label, `read` returns at scrape time."""

    def __init__(
        self, name: str, documentation: str, label: str, read: Callable[[], Mapping[str, float]]
    ) -> None:
        self._name, self._doc, self._label, self._read = name, documentation, label, read

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self._name, self._doc, labels=[self._label])
        for value, count in sorted(self._read().items()):
            family.add_metric([value], count)
        yield family


def register_callback_counter(
    counter: CallbackCounter, registry: CollectorRegistry = REGISTRY
) -> None:
    registry.register(counter)
