"""The fetcher's repository fake (`FetcherRepository`): control.batches' fetch columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.fetcher.ports import FetcherRepository
from shared.messages import FetchBatch

from ._network import network_pause


class FakeBatchRepository:
    """`FetcherRepository` over dicts keyed like control.batches (run_id, batch_id): a batch is
    wanted while `wanted` (the lister registered it, its run is running) and it is not fetched;
    `mark_fetched` sets its key and request counts, as the UPDATE does."""

    def __init__(
        self, wanted: bool = True, registered: Iterable[FetchBatch] = (), refetch: bool = False
    ) -> None:
        self.wanted = wanted
        self.refetch = refetch  # True: a fetched batch stays wanted (its object was lost)
        self.registered = {(c.run_id, c.batch_id): c for c in registered}
        self.fetched: dict[tuple[str, str], tuple[str, int]] = {}
        self.statuses: dict[tuple[str, str], dict[str, int]] = {}  # api_statuses, set not added
        self.marks = 0  # mark_fetched calls

    async def wants(self, run_id: str, batch_id: str) -> bool:
        await network_pause()
        return self.wanted and (self.refetch or (run_id, batch_id) not in self.fetched)

    async def with_tickers(self, batch: FetchBatch) -> FetchBatch:
        if not batch.tickers_held:
            return batch
        return self.registered[(batch.run_id, batch.batch_id)]

    async def mark_fetched(
        self,
        run_id: str,
        batch_id: str,
        key: str,
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        await network_pause()
        self.fetched[(run_id, batch_id)] = (key, api_requests)
        self.statuses[(run_id, batch_id)] = dict(api_statuses)
        self.marks += 1


# mypy holds the fake to the port here.
_REPOSITORY: type[FetcherRepository] = FakeBatchRepository
