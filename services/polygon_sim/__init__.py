"""A faithful local stand-in for the Polygon.io (Massive) REST API over a synthetic market.

`market.Market` is the ground truth as a Python API; `app.create_app` serves it over HTTP with
the real API's shapes, auth, pagination and configurable faults. Run `python -m
services.polygon_sim`.
"""
