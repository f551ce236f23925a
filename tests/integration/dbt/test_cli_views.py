"""What `stocks-elt chart` and `stocks-elt docs` read from marts dbt really built: the chart's
rows equal the marts' and draw, and the docs' catalog describes the marts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from services.cli.chart import read_rows
from services.cli.chart_png import draw_png
from services.cli.chart_series import PRICE_LINES, VOLATILITY_LINE
from services.cli.docs import SITE_FILES, copy_site, generate
from shared.clients.db import connect
from tests.integration.dbt.conftest import Build
from tests.integration.dbt.project import PROJECT_DIR, DbtProject

pytestmark = pytest.mark.integration


class TestChartFromMarts:
    async def test_rows_are_the_marts_bars_and_draw(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """AAA's bars in date order with the marts' close, averages and volatility; from --from
        on only; the PNG shows every line (AAA has 235 bars, so SMA 200 too)."""
        pg = dbt_project.stack.postgres.model_copy(update={"database": dbt_project.database})
        averages = {
            r["trading_date"]: r
            for r in dbt_project.read("marts.fct_moving_averages")
            if r["ticker"] == "AAA"
        }
        volatility = {
            r["trading_date"]: r["annualized_volatility_20d"]
            for r in dbt_project.read("marts.fct_rolling_volatility")
            if r["ticker"] == "AAA"
        }
        days = sorted(averages)
        conn = await connect(pg, dbt_project.stack.admin)
        try:
            rows = await read_rows(conn, "AAA", None, None)
            later = await read_rows(conn, "AAA", days[100], None)
        finally:
            await conn.close()

        assert days == [r.trading_date for r in rows]
        assert [
            (averages[d]["adj_close"], averages[d]["sma_200"], volatility[d]) for d in days
        ] == [(r.close, r.sma_200, r.volatility_20d) for r in rows]
        assert days[100:] == [r.trading_date for r in later]
        pixels = image.imread(io.BytesIO(draw_png(rows, "AAA")), format="png")[:, :, :3]
        for line in [*PRICE_LINES, VOLATILITY_LINE]:
            rgb = np.array([int(line.colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
            assert (np.abs(pixels - rgb).max(axis=2) < 0.02).sum() > 100, line.field


class TestDocs:
    def test_the_catalog_describes_the_marts(
        self, dbt_project: DbtProject, first_build: Build, tmp_path: Path
    ) -> None:
        """dbt docs generate on the built database: the site's files, a catalog with the
        moving averages' columns, a manifest with the mart's description."""
        pg = dbt_project.stack.postgres.model_copy(
            update={
                "database": dbt_project.database,
                "user": dbt_project.stack.admin.user,
                "password": dbt_project.stack.admin.password,
            }
        )

        generate(PROJECT_DIR, pg, tmp_path / "target")
        site = copy_site(tmp_path / "target", tmp_path / "site")

        assert sorted(SITE_FILES) == sorted(p.name for p in site)
        catalog = json.loads((tmp_path / "site" / "catalog.json").read_text())
        columns = catalog["nodes"]["model.stocks_elt.fct_moving_averages"]["columns"]
        assert {"sma_20", "sma_50", "sma_200", "ema_12", "ema_26"} <= set(columns)
        manifest = json.loads((tmp_path / "site" / "manifest.json").read_text())
        node = manifest["nodes"]["model.stocks_elt.fct_moving_averages"]
        assert node["description"].startswith("One row per (ticker, trading_date)")
