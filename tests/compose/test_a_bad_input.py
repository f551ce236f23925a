"""Bad input refused before anything starts: a missing secret, a host port already taken."""

from __future__ import annotations

import socket
import subprocess

import pytest

from .project import Compose

pytestmark = pytest.mark.compose


class TestRefusals:
    def test_up_without_a_secret_refuses_naming_it(self, compose: Compose) -> None:
        """A .env without MINIO_SECRET_KEY: `up` stops at interpolation and names the variable."""
        env = (compose.workdir / ".env").read_text().splitlines()
        bad = compose.workdir / "no-secret.env"
        bad.write_text("\n".join(x for x in env if not x.startswith("MINIO_SECRET_KEY=")) + "\n")

        r = compose.run("--env-file", str(bad), "up", "-d", "--no-build", check=False)

        assert 0 != r.returncode
        assert "MINIO_SECRET_KEY" in r.stderr
        assert "set MINIO_SECRET_KEY in .env" in r.stderr
        assert [] == compose.run("ps", "-a", "-q").stdout.split()

    def test_a_taken_host_port_is_named_with_the_variable_that_moves_it(
        self, compose: Compose
    ) -> None:
        """PG_HOST_PORT on a port something else holds: scripts/compose-ports names the
        variable; compose's own `up` fails too, naming only the address."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            moved = {"PG_HOST_PORT": str(port)}
            check = subprocess.run(
                ["scripts/compose-ports"], cwd=compose.workdir, env={**compose.env, **moved},
                capture_output=True, text=True,
            )  # fmt: skip
            args = ("-p", "stocks-elt-taken-port")
            try:
                up = compose.run(
                    *args, "up", "-d", "--no-deps", "--no-build", "postgres", check=False, env=moved
                )
            finally:
                compose.run(*args, "down", "-v", "--timeout", "5", check=False)

        assert (1, f"port {port} on 127.0.0.1 is already in use: set PG_HOST_PORT in .env to a "
                "free port\n") == (check.returncode, check.stderr)  # fmt: skip
        assert 0 != up.returncode
        assert f"127.0.0.1:{port}" in up.stdout + up.stderr
