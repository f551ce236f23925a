"""A faithful local stand-in for the Polygon.io (Massive) REST API: a deterministic synthetic market.

`market.Market` is the ground truth as a Python API; `app.create_app` serves it over HTTP with the
real API's shapes, auth, pagination and configurable faults. Run it with `python -m services.polygon_sim`.
"""
