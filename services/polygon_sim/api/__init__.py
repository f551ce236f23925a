"""The Polygon REST API surface: routes, the request gate (auth, rate limit, faults), query parsing,
cursors, error bodies and request counters."""
