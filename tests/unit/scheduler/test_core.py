"""The scheduler's slot logic: deterministic run ids, due slots with a bounded catch-up, DST,
and settings that refuse to start."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.core import (
    ScheduleError,
    check_request,
    due_slots,
    parse_schedule,
    run_request,
)

pytestmark = pytest.mark.unit
NY = ZoneInfo("America/New_York")
DAILY = "30 18 * * 1-5"


def ny(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=NY)


class TestRunIds:
    def test_a_slot_is_named_by_its_local_date(self) -> None:
        """The default schedule's slot of 28 March 2024 is run `daily-2024-03-28`, whatever
        zone the clock reads in."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 28))

        slots = schedule.previous_slots(datetime(2024, 3, 29, 0, 0, tzinfo=UTC), 1)

        assert [("daily-2024-03-28", ny(2024, 3, 28, 18, 30))] == [(s.run_id, s.at) for s in slots]

    def test_the_same_slot_gets_the_same_id_from_any_later_instant(self) -> None:
        """Two replicas, or a restart, computing the slot at different times agree on its id."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 28))

        a = schedule.previous_slots(ny(2024, 3, 28, 18, 30, 0), 1)
        b = schedule.previous_slots(ny(2024, 3, 28, 23, 59, 59), 1)

        assert a == b


class TestDueSlots:
    def test_a_new_deployment_starts_no_slot_before_it_began(self) -> None:
        """Installed on Thursday morning: not Wednesday evening's slot nor any before it."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 28))
        began = ny(2024, 3, 28, 10, 0)

        due = due_slots(schedule, began, catchup=5, began=began)

        assert [] == due

    def test_missed_slots_come_oldest_first_and_skip_the_weekend(self) -> None:
        """Down from Thursday evening to Tuesday noon: Thursday... Monday, in order."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))

        due = due_slots(schedule, ny(2024, 3, 12, 12, 0), catchup=3, began=ny(2024, 3, 1))

        assert [
            "daily-2024-03-06",
            "daily-2024-03-07",
            "daily-2024-03-08",
            "daily-2024-03-11",
        ] == [s.run_id for s in due]

    def test_catchup_is_bounded(self) -> None:
        """catchup=0 starts only the latest slot, however long it was down."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))

        due = due_slots(schedule, ny(2024, 3, 12, 12, 0), catchup=0, began=ny(2024, 3, 1))

        assert ["daily-2024-03-11"] == [s.run_id for s in due]

    def test_no_slot_before_the_first_one_ever_started(self) -> None:
        """Catch-up stops at the deployment's first slot."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))

        first = ny(2024, 3, 8, 18, 30)
        due = due_slots(schedule, ny(2024, 3, 12, 12, 0), catchup=10, began=first)

        assert ["daily-2024-03-08", "daily-2024-03-11"] == [s.run_id for s in due]

    def test_a_slot_is_due_from_its_own_instant(self) -> None:
        """At 18:30:00 the day's slot is due; a microsecond before, it is not."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))
        at = ny(2024, 3, 28, 18, 30)

        before = due_slots(schedule, at.replace(microsecond=0) - _US, 0, ny(2024, 3, 1))
        on = due_slots(schedule, at, 0, ny(2024, 3, 1))

        assert (["daily-2024-03-27"], ["daily-2024-03-28"]) == (
            [s.run_id for s in before],
            [s.run_id for s in on],
        )

    def test_seconds_cron_for_tests(self) -> None:
        """A six-field cron fires on seconds; its ids carry the time."""
        schedule = parse_schedule("* * * * * */10", "UTC", "t-%Y%m%dT%H%M%S", ny(2024, 3, 1))
        now = datetime(2024, 3, 1, 12, 0, 25, tzinfo=UTC)

        due = due_slots(schedule, now, 2, datetime(2024, 3, 1, tzinfo=UTC))

        assert ["t-20240301T120000", "t-20240301T120010", "t-20240301T120020"] == [
            s.run_id for s in due
        ]


class TestDaylightSaving:
    def test_the_slot_keeps_its_local_time_across_the_change(self) -> None:
        """18:30 in New York is 23:30 UTC before the March change, 22:30 UTC after it."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))

        slots = schedule.next_slots(ny(2024, 3, 8, 12, 0), 2)

        assert [
            datetime(2024, 3, 8, 23, 30, tzinfo=UTC),
            datetime(2024, 3, 11, 22, 30, tzinfo=UTC),
        ] == [s.at.astimezone(UTC) for s in slots]

    def test_a_time_that_happens_twice_is_one_slot(self) -> None:
        """01:30 exists twice when clocks fall back (3 Nov 2024): one run that day."""
        schedule = parse_schedule("30 1 * * *", "America/New_York", "d-%Y-%m-%d", ny(2024, 11, 1))

        slots = schedule.next_slots(ny(2024, 11, 2, 12, 0), 3)

        assert ["d-2024-11-03", "d-2024-11-04"] == [s.run_id for s in slots][:2]

    def test_a_time_that_does_not_exist_still_runs_that_day(self) -> None:
        """02:30 does not exist on 10 March 2024 in New York: that day's slot still fires."""
        schedule = parse_schedule("30 2 * * *", "America/New_York", "d-%Y-%m-%d", ny(2024, 3, 1))

        slots = schedule.next_slots(ny(2024, 3, 9, 12, 0), 2)

        assert ["d-2024-03-10", "d-2024-03-11"] == [s.run_id for s in slots]


class TestBadSettings:
    @pytest.mark.parametrize("cron", ["61 * * * *", "every day", "", "* * *"])
    def test_a_cron_that_does_not_parse_names_the_setting(self, cron: str) -> None:
        """The scheduler refuses to start and says which variable to fix."""
        with pytest.raises(ScheduleError, match="SCHEDULE_CRON"):
            parse_schedule(cron, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))

    @pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "EST5EDT6"])
    def test_an_unknown_time_zone_names_the_setting(self, tz: str) -> None:
        with pytest.raises(ScheduleError, match="SCHEDULE_TZ"):
            parse_schedule(DAILY, tz, "daily-%Y-%m-%d", ny(2024, 3, 1))

    def test_a_run_id_format_that_merges_slots_is_refused(self) -> None:
        """Every-minute slots named by date would run once a day: refused at start."""
        with pytest.raises(ScheduleError, match="SCHEDULE_RUN_ID_FORMAT"):
            parse_schedule("* * * * *", "UTC", "daily-%Y-%m-%d", ny(2024, 3, 1))

    def test_a_run_id_format_that_is_no_id_is_refused(self) -> None:
        with pytest.raises(ScheduleError, match="SCHEDULE_RUN_ID_FORMAT"):
            parse_schedule(DAILY, "UTC", "daily %Y/%m/%d", ny(2024, 3, 1))

    @pytest.mark.parametrize(
        "extra", [{"from": "2024-01-02"}, {"run_id": "x"}, {"to": "2024-01-02"}]
    )
    def test_the_request_may_not_fix_what_the_slot_sets(self, extra: dict[str, str]) -> None:
        with pytest.raises(ScheduleError, match="SCHEDULE_REQUEST"):
            check_request(extra)

    def test_the_request_must_be_a_valid_run_request(self) -> None:
        with pytest.raises(ScheduleError, match="SCHEDULE_REQUEST"):
            check_request({"batch_size": 0})


class TestRunRequest:
    def test_the_slots_request_is_incremental_through_its_own_date(self) -> None:
        """No `from` (each ticker from its last bar), `to` the slot's local date, the
        configured narrowing kept."""
        schedule = parse_schedule(DAILY, "America/New_York", "daily-%Y-%m-%d", ny(2024, 3, 1))
        slot = schedule.previous_slots(ny(2024, 3, 29, 1, 0), 1)[0]

        request = run_request(slot, {"max_tickers": 50})

        assert ("daily-2024-03-28", None, date(2024, 3, 28), 50) == (
            request.run_id,
            request.from_,
            request.to,
            request.max_tickers,
        )

    def test_a_slot_after_midnight_utc_loads_the_new_york_evening_before(self) -> None:
        """A UTC schedule's slot at 00:30 on the 28th is 19:30 on the 27th in New York: its run
        loads through the 27th, and the lister's rules (today read in New York) accept it. With
        the slot's UTC date the lister rejected every such run (`to` in the future)."""
        schedule = parse_schedule("30 0 * * *", "UTC", "utc-%Y%m%d-%H%M", ny(2026, 11, 1))
        slot = schedule.previous_slots(datetime(2026, 11, 28, 0, 31, tzinfo=UTC), 1)[0]

        request = run_request(slot, {})

        assert ("utc-20261128-0030", date(2026, 11, 27)) == (request.run_id, request.to)
        # 00:31 UTC on the 28th: the lister's today, read in New York, is the 27th
        assert (None, date(2026, 11, 27)) == request.span(date(2026, 11, 27))


_US = datetime(2024, 1, 1, 0, 0, 0, 1) - datetime(2024, 1, 1)
