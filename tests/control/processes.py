"""Real processes the control tests start (a served demo, Prometheus): ports and stopping."""

from __future__ import annotations

import asyncio
import signal
import socket
from contextlib import suppress

__all__ = ["free_port", "stop"]


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def stop(process: asyncio.subprocess.Process, grace: float = 15.0) -> None:
    """SIGCONT (in case a test stopped it) and SIGTERM; SIGKILL after ``grace`` seconds."""
    if process.returncode is None:
        with suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)
            process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()
