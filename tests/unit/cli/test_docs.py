"""`stocks-elt docs` without dbt: the command it runs, the files it keeps, its options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.docs import SITE_FILES, copy_site, generate_command
from services.cli.main import app

pytestmark = pytest.mark.unit


class TestGenerateCommand:
    def test_into_the_given_target_with_the_one_file_site(self, tmp_path: Path) -> None:
        """Target and logs in the given folder (never the project's own target), and --static."""
        command = generate_command(Path("/p/dbt"), tmp_path / "target")

        assert ["docs", "generate", "--static"] == command[1:4]
        assert str(tmp_path / "target") == command[command.index("--target-path") + 1]
        assert str(tmp_path / "target" / "logs") == command[command.index("--log-path") + 1]
        assert "/p/dbt" == command[command.index("--project-dir") + 1]


class TestCopySite:
    def test_only_the_sites_files(self, tmp_path: Path) -> None:
        """The four site files are copied; dbt's other output (run results, logs) is not."""
        target = tmp_path / "target"
        target.mkdir()
        for name in (*SITE_FILES, "run_results.json", "partial_parse.msgpack"):
            (target / name).write_text(name)

        copied = copy_site(target, tmp_path / "out" / "site")

        assert sorted(SITE_FILES) == sorted(p.name for p in (tmp_path / "out" / "site").iterdir())
        assert "catalog.json" == (tmp_path / "out" / "site" / "catalog.json").read_text()
        assert len(SITE_FILES) == len(copied)

    def test_a_missing_file_fails(self, tmp_path: Path) -> None:
        """A generate that wrote no catalog is not passed off as a site."""
        (tmp_path / "index.html").write_text("x")

        with pytest.raises(FileNotFoundError):
            copy_site(tmp_path, tmp_path / "out")


class TestOptions:
    @pytest.mark.parametrize("args", [[], ["--serve", "-o", "x"]], ids=["neither", "both"])
    def test_one_of_serve_or_output(self, args: list[str]) -> None:
        """Neither or both: refused with exit code 2, before dbt runs."""
        result = CliRunner().invoke(app, ["docs", *args])

        assert 2 == result.exit_code
        assert "give one of --serve or -o DIR" in result.output
