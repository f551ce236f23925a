"""A faithful local stand-in for the Polygon.io (Massive) REST API over a synthetic market.

`market.market.Market` is the ground truth as a Python API; `app.create_app` serves it over
HTTP with the real API's shapes, auth, pagination and configurable faults. Run `python -m
services.polygon_sim`.

Layout: `market/` (listings, calendar, price walks, bars, the `Market` facade),
`corporate_actions/` (splits and dividends), `faults/` (injected faults, hostile actions),
`api/` (the Polygon endpoints and the request gate), `sim_api/` (the /_sim endpoints).
"""
