"""The scheduler's pure logic: cron slots in a time zone, their deterministic run ids, and which
slots are due now (the latest, plus the missed ones within the catch-up bound)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from shared.messages import RunRequest
from shared.messages.ids import ID_PATTERN
from shared.messages.run_rules import market_date

# How many upcoming slots the run-id format is checked against at start.
_ID_CHECK_SLOTS = 20


class ScheduleError(ValueError):
    """A schedule setting that cannot work; the message names the setting."""


@dataclass(frozen=True)
class Slot:
    """One firing of the schedule: its time (aware, in the schedule's zone) and its run id."""

    at: datetime
    run_id: str


@dataclass(frozen=True)
class Schedule:
    cron: str
    zone: ZoneInfo
    run_id_format: str

    def slot(self, at: datetime) -> Slot:
        local = at.astimezone(self.zone)
        return Slot(local, local.strftime(self.run_id_format))

    def next_slots(self, now: datetime, n: int) -> list[Slot]:
        """The n slots after `now`, in order."""
        it = croniter(self.cron, now.astimezone(self.zone))
        return _distinct([self.slot(it.get_next(datetime)) for _ in range(n)])

    def previous_slots(self, now: datetime, n: int) -> list[Slot]:
        """The n latest slots at or before `now`, oldest first."""
        if n <= 0:
            return []
        # croniter's get_prev is strictly before its start: start a hair after `now`.
        it = croniter(self.cron, now.astimezone(self.zone) + timedelta(microseconds=1))
        found = [self.slot(it.get_prev(datetime)) for _ in range(n)]
        return _distinct(found[::-1])


def _distinct(slots: list[Slot]) -> list[Slot]:
    """One slot per run id, the first firing kept: a daily time that exists twice on the day
    clocks fall back (01:30 in New York) is still one slot, one run."""
    seen: set[str] = set()
    out = []
    for s in slots:
        if s.run_id not in seen:
            seen.add(s.run_id)
            out.append(s)
    return out


def parse_schedule(cron: str, tz: str, run_id_format: str, now: datetime) -> Schedule:
    """The schedule, or ScheduleError naming the setting that is wrong."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"SCHEDULE_TZ={tz!r} is not a known time zone (e.g. America/New_York)"
        ) from exc
    try:
        croniter(cron, now)
    except (CroniterError, ValueError) as exc:
        raise ScheduleError(f"SCHEDULE_CRON={cron!r} is not a cron expression: {exc}") from exc
    schedule = Schedule(cron, zone, run_id_format)
    _check_run_ids(schedule, now)
    return schedule


def _check_run_ids(schedule: Schedule, now: datetime) -> None:
    it = croniter(schedule.cron, now.astimezone(schedule.zone))
    times = [it.get_next(datetime) for _ in range(_ID_CHECK_SLOTS)]
    by_id: dict[str, datetime] = {}
    for at in times:
        run_id = schedule.slot(at).run_id
        if not re.fullmatch(ID_PATTERN, run_id):
            raise ScheduleError(
                f"SCHEDULE_RUN_ID_FORMAT={schedule.run_id_format!r} gives {run_id!r}, not a run "
                "id (letters, digits, '.', '_', '-'; at most 64)"
            )
        first = by_id.setdefault(run_id, at)
        # The same wall-clock time twice is a DST fold, one slot; two times are two slots.
        if first.replace(tzinfo=None, fold=0) != at.replace(tzinfo=None, fold=0):
            raise ScheduleError(
                f"SCHEDULE_RUN_ID_FORMAT={schedule.run_id_format!r} gives {run_id!r} to the "
                f"slots at {first:%Y-%m-%d %H:%M:%S} and {at:%Y-%m-%d %H:%M:%S}: they would run "
                "once; add the time to the format (e.g. %H%M)"
            )


def due_slots(schedule: Schedule, now: datetime, catchup: int, began: datetime) -> list[Slot]:
    """Slots to start now, oldest first: the latest slot at or before `now` and up to `catchup`
    before it, none before the schedule `began` (a new deployment waits for its next slot: it
    never starts history, nor the slot that fired before it was installed). Slots already run
    are the caller's to skip."""
    return [s for s in schedule.previous_slots(now, catchup + 1) if s.at >= began]


def run_request(slot: Slot, extra: dict[str, Any]) -> RunRequest:
    """The slot's incremental run: every ticker from the day after its last bar, through the
    slot's own date in New York (a catch-up run of a missed slot loads what that evening would
    have). Not its date in the schedule's zone: a slot at 00:30 UTC is the evening before in New
    York, and the lister refuses a `to` after its New York today."""
    return RunRequest.model_validate({**extra, "run_id": slot.run_id, "to": market_date(slot.at)})


def check_request(extra: dict[str, Any]) -> None:
    """SCHEDULE_REQUEST may narrow the runs (tickers, max_tickers, batch_size, plan), never make
    them non-incremental or name them."""
    fixed = sorted({"run_id", "from", "from_", "to"} & set(extra))
    if fixed:
        raise ScheduleError(f"SCHEDULE_REQUEST may not set {', '.join(fixed)}: the slot does")
    try:
        RunRequest.model_validate(extra)
    except ValueError as exc:
        raise ScheduleError(f"SCHEDULE_REQUEST is not a valid run request: {exc}") from exc
