"""A tiny HTTP server on the service's own event loop: `/health` (the process answers),
`/ready` (its broker is connected) and `/metrics`. It is independent of the broker and of
every handler, so a scrape still answers while the service is failing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from ._settings import MetricsSettings

log = structlog.get_logger()
Readiness = Callable[[], Awaitable[bool]]
_REQUEST_TIMEOUT_S = 5.0


class ObservabilityServer:
    def __init__(
        self,
        settings: MetricsSettings,
        ready: Readiness,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._settings = settings
        self._ready = ready
        self._registry = registry
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int | None:
        """The bound port (the asked one, or the one the OS gave for port 0 in tests)."""
        if self._server is None or not self._server.sockets:
            return None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, port: int | None = None) -> None:
        """Serve; a port already taken is logged, not fatal: the service's work matters more
        than its metrics (and its healthcheck then says so)."""
        host, port = self._settings.host, self._settings.port if port is None else port
        try:
            self._server = await asyncio.start_server(self._serve, host, port)
        except OSError as exc:
            log.error("observability_not_serving", host=host, port=port, error=str(exc))
            return
        log.info("observability_serving", host=host, port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), _REQUEST_TIMEOUT_S)
            path = request.decode("latin-1").split(" ")[1] if request.count(b" ") >= 2 else ""
            status, ctype, body = await self._answer(path.split("?")[0])
            head = (
                f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a client that went away or never spoke
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, path: str) -> tuple[str, str, bytes]:
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, generate_latest(self._registry)
        if path in ("/health", "/ready"):
            ready = await self._is_ready()
            ok = ready or path == "/health"
            body = json.dumps({"live": True, "ready": ready}).encode()
            return ("200 OK" if ok else "503 Service Unavailable"), "application/json", body
        return "404 Not Found", "text/plain", b"not found\n"

    async def _is_ready(self) -> bool:
        try:
            return await asyncio.wait_for(self._ready(), self._settings.ready_timeout_s)
        except Exception:  # a failing check is "not ready", never an error page
            return False
