"""Simulator success bodies validate against the API's published OpenAPI response schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from .conftest import ClientFactory

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parents[2] / "fixtures" / "polygon"
_TICKERS = "/v3/reference/tickers"
_RANGE = "/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}"
_GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{date}"
_SPLITS = "/v3/reference/splits"
_DIVIDENDS = "/v3/reference/dividends"


@cache
def _document() -> dict[str, Any]:
    return json.loads((FIXTURES / "openapi-rest.json").read_text())  # type: ignore[no-any-return]


def _to_json_schema(node: Any, doc: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: inline $refs, turn `nullable` into a null type."""
    if isinstance(node, list):
        return [_to_json_schema(n, doc) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _to_json_schema(target, doc)
    out = {
        k: _to_json_schema(v, doc)
        for k, v in node.items()
        if not k.startswith("x-") and k not in ("example", "nullable")
    }
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


@cache
def validator(path: str) -> Draft4Validator:
    """A validator for the 200 application/json body of GET `path`."""
    doc = _document()
    schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft4Validator(_to_json_schema(schema, doc))


def _errors(path: str, body: dict[str, Any]) -> list[str]:
    return [e.message for e in validator(path).iter_errors(body)]


class TestValidatorCatchesDrift:
    @pytest.mark.parametrize(
        ("path", "fixture"),
        [
            (_TICKERS, "v3_reference_tickers__page1.json"),
            (_TICKERS, "v3_reference_tickers__cursor_page2.json"),
            (_RANGE, "v2_aggs_ticker_AAPL_range_1_day_2005-04-01_2005-04-04.json"),
            (_GROUPED, "v2_aggs_grouped_locale_us_market_stocks_2005-04-04__adjusted=true.json"),
        ],
    )
    def test_recorded_bodies_validate(self, path: str, fixture: str) -> None:
        """The real API's recorded bodies pass, so the schema conversion is sound."""
        assert [] == _errors(path, json.loads((FIXTURES / fixture).read_text()))

    def test_broken_body_fails(self) -> None:
        """A range body without resultsCount and with a string price is rejected."""
        body = {
            "ticker": "A",
            "queryCount": 1,
            "adjusted": True,
            "status": "OK",
            "request_id": "x",
            "results": [{"o": "1", "h": 1, "l": 1, "c": 1, "v": 1, "t": 1}],
        }

        assert 2 == len(_errors(_RANGE, body))


class TestSimulatorBodiesValidate:
    async def test_ticker_pages(self, sim_client: ClientFactory) -> None:
        """Every ticker page, active and delisted, matches the tickers schema."""
        async with sim_client() as client:
            bodies = [
                (await client.get(_TICKERS, params={"limit": 1000, "active": a})).json()
                for a in ("true", "false")
            ]

        assert [[], []] == [_errors(_TICKERS, b) for b in bodies]

    @pytest.mark.parametrize(
        "url",
        [
            "/v2/aggs/ticker/BRK.A/range/1/day/2023-01-01/2025-06-30",
            "/v2/aggs/ticker/KIMpL/range/1/day/2024-01-01/2024-12-31?adjusted=false&limit=10",
            "/v2/aggs/ticker/BRK.B/range/1/day/2024-07-06/2024-07-07",
            "/v2/aggs/ticker/NOSUCH/range/1/day/2024-01-01/2024-12-31",
        ],
    )
    async def test_range_answers(self, sim_client: ClientFactory, url: str) -> None:
        """Range answers (full, paged, empty, unknown ticker) match the aggregates schema."""
        async with sim_client() as client:
            body = (await client.get(url)).json()

        assert [] == _errors(_RANGE, body)

    async def test_every_range_bar_of_every_ticker(self, sim_client: ClientFactory) -> None:
        """All bars of all tickers, with their optional-field quirks, match the schema."""
        async with sim_client() as client:
            tickers = [
                r["ticker"]
                for a in ("true", "false")
                for r in (await client.get(_TICKERS, params={"limit": 1000, "active": a})).json()[
                    "results"
                ]
            ]
            errors = [
                (
                    t,
                    _errors(
                        _RANGE,
                        (
                            await client.get(
                                f"/v2/aggs/ticker/{t}/range/1/day/2024-01-01/2024-03-31"
                            )
                        ).json(),
                    ),
                )
                for t in tickers
            ]

        assert [] == [e for e in errors if e[1]]

    @pytest.mark.parametrize("query", ["", "?include_otc=true&adjusted=false"])
    @pytest.mark.parametrize("day", ["2024-07-05", "2024-07-04"])
    async def test_grouped_answers(self, sim_client: ClientFactory, day: str, query: str) -> None:
        """Grouped answers, trading day or holiday, with or without OTC, match the schema."""
        async with sim_client() as client:
            body = (
                await client.get(f"/v2/aggs/grouped/locale/us/market/stocks/{day}{query}")
            ).json()

        assert [] == _errors(_GROUPED, body)

    @pytest.mark.parametrize("path", [_SPLITS, _DIVIDENDS])
    @pytest.mark.parametrize("bad", [False, True])
    async def test_corporate_action_pages(
        self, sim_client: ClientFactory, path: str, bad: bool
    ) -> None:
        """Every split and dividend page, hostile events included, matches its schema."""
        async with sim_client(bad_corporate_actions=bad) as client:
            bodies = [(await client.get(path, params={"limit": 1000})).json()]
            while "next_url" in bodies[-1]:
                bodies.append((await client.get(bodies[-1]["next_url"])).json())

        assert [] == [e for b in bodies for e in _errors(path, b)]
        assert 0 < sum(len(b["results"]) for b in bodies)
