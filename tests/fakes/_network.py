"""Where a fake awaits: the real adapter awaits the network there, so other tasks may run."""

from __future__ import annotations

import asyncio


async def network_pause() -> None:
    """A scheduling point where the real adapter awaits the network (no time passes)."""
    await asyncio.sleep(0)
