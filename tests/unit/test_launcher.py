"""The native stack launcher's failure handling, without starting anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from deploy.local.launcher import background, process
from deploy.local.launcher.__main__ import _check_ports
from deploy.local.launcher.layout import Layout
from deploy.local.launcher.steps import StepFailed, run_logged
from shared.settings import KafkaSettings, MinioSettings, PostgresSettings, StackSettings

pytestmark = pytest.mark.unit


def _layout(tmp_path: Path, pg_port: int) -> Layout:
    return Layout(
        StackSettings(cache_dir=tmp_path / "c", state_dir=tmp_path / "s"),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        MinioSettings(endpoint="127.0.0.1:2", secret_key="x" * 8),
        PostgresSettings(port=pg_port, password="x"),
    )


class TestStepFailures:
    def test_a_taken_port_names_the_step_and_the_port(self, tmp_path: Path) -> None:
        """`up` refuses to start a server on a port someone else holds."""
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            held.listen()
            port = held.getsockname()[1]
            lay = _layout(tmp_path, port)
            running = {"kafka": True, "minio": True, "postgres": False}

            with pytest.raises(StepFailed) as err:
                _check_ports(lay, running)

        assert f"step 'start postgres' failed: port 127.0.0.1:{port} is taken" in str(err.value)

    def test_a_failing_command_quotes_its_log(self, tmp_path: Path) -> None:
        """A failed step says which step, its exit code, the log's last line and the log path."""
        log = tmp_path / "x.log"

        with pytest.raises(StepFailed) as err:
            run_logged("build thing", ["sh", "-c", "echo compiler exploded; exit 3"], log)

        message = str(err.value)
        assert "step 'build thing' failed: exit code 3" in message
        assert "compiler exploded" in message
        assert str(log) in message

    def test_a_missing_program_is_a_clear_error(self, tmp_path: Path) -> None:
        """A tool that is not installed is named, not a traceback."""
        with pytest.raises(StepFailed) as err:
            run_logged("install x", ["no-such-program-xyz"], tmp_path / "x.log")

        assert "no-such-program-xyz is not installed" in str(err.value)


class TestProcesses:
    def test_terminate_stops_a_process_and_forgets_it(self, tmp_path: Path) -> None:
        """Stopping leaves no process and no pid file behind."""
        pidfile = tmp_path / "sleep.pid"
        pid = process.spawn(["sleep", "60"], tmp_path / "sleep.log", pidfile, {}, tmp_path)

        assert process.terminate(pidfile, grace_s=5)

        assert not process.is_alive(pid)
        assert not pidfile.exists()

    def test_a_pid_reused_by_another_process_is_never_signalled(self, tmp_path: Path) -> None:
        """A pid file left behind by a killed process names its pid; when another process has
        that pid now (here: a live one with another start time), stop leaves it alone."""
        other = process.spawn(
            ["sleep", "60"], tmp_path / "other.log", tmp_path / "o.pid", {}, tmp_path
        )
        started = process.start_time(other)
        assert started is not None
        stale = tmp_path / "stale.pid"
        stale.write_text(f"{other} {started - 1}")
        try:
            found, stopped = process.pid_of(stale), process.terminate(stale, grace_s=5)
            alive = process.is_alive(other)
        finally:
            process.terminate(tmp_path / "o.pid", grace_s=5)

        assert (None, False, True) == (found, stopped, alive)

    def test_a_background_process_starts_once_and_stops(self, tmp_path: Path) -> None:
        """The public entry: a second start finds the running process instead of a new one."""
        sleeper = background(tmp_path / "sleep.pid")
        first = sleeper.start(["sleep", "60"], tmp_path / "sleep.log", {}, tmp_path)

        again = sleeper.start(["sleep", "60"], tmp_path / "sleep.log", {}, tmp_path)
        stopped = sleeper.stop(grace_s=5)

        assert (first, True, None) == (again, stopped, sleeper.pid())
