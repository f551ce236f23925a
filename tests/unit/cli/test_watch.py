"""`run --wait`: bars until the run ends, dbt's nodes among them, a line per status, and the
exit code from how the run ended."""

from __future__ import annotations

import pytest
from rich.console import Console

from services.cli import views
from services.cli.runs import RunProgress

from .test_status_views import _run

pytestmark = pytest.mark.unit


class ScriptedReader:
    """RunReader.run answering each poll with the next state of the run."""

    def __init__(self, states: list[RunProgress]) -> None:
        self.states = states

    async def run(self, run_id: str) -> RunProgress | None:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]


class TestWatch:
    async def test_follows_the_run_to_its_end(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Transforming with dbt 12 of 40, then succeeded: the last state is returned and each
        status is said once."""
        console = Console(record=True, width=80, color_system=None)
        monkeypatch.setattr(views, "console", console)
        building = _run("r1", "transforming", dbt=None, dbt_progress={"done": 12, "total": 40})
        states = [building, building, _run("r1", "succeeded")]

        done = await views.watch(ScriptedReader(states), "r1", timeout_s=30)

        text = console.export_text()
        assert "succeeded" == done.status
        assert (1, 1) == (text.count("status: transforming"), text.count("status: succeeded"))
        assert "dbt nodes" in text


class TestEndedWell:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            ("succeeded", True),
            ("succeeded_with_errors", True),
            ("failed", False),
            ("rejected", False),
            ("transforming", False),
        ],
    )
    def test_exit_code_of_wait(self, status: str, expected: bool) -> None:
        """A rejected request ends `--wait` non-zero, as a failed run does."""
        assert expected == _run("r1", status).ended_well
