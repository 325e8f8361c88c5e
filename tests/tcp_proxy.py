"""A TCP forwarder on localhost that a test can cut and restore: a database outage.

`TcpProxy(target_host, target_port)` listens on 127.0.0.1:`port` (a free port, fixed
for its lifetime) and forwards every connection to the target. It runs an asyncio loop
in a daemon thread, so the test's own code (sync or async) is free meanwhile.

- `stop()` closes the listening socket AND aborts every forwarded connection (both
  sides get a reset): new connections are refused, established ones die at once, as
  when the database server goes away.
- `start()` listens again on the same port: the database is back.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

T = TypeVar("T")

_CHUNK = 64 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF or an error, then close the other side."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` until stopped."""

    def __init__(
        self, target_host: str, target_port: int, port: int | None = None
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = port or _free_port()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._generation = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"tcp-proxy-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def open_connections(self) -> int:
        """Forwarded connections currently open (each counts once)."""
        return len(self._writers) // 2

    def start(self) -> None:
        """Listen (again) on `port`; a no-op when already listening."""
        self._call(self._start())

    def stop(self) -> None:
        """Stop listening and abort every forwarded connection."""
        self._call(self._stop())

    def close(self) -> None:
        """Stop, then end the proxy's thread and loop."""
        if self._loop.is_closed():
            return
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, "127.0.0.1", self.port, reuse_address=True
            )

    async def _stop(self) -> None:
        self._generation += 1
        server, self._server = self._server, None
        if server is not None:
            server.close()
        writers, self._writers = self._writers, set()
        for writer in writers:
            writer.transport.abort()
        if server is not None:
            await server.wait_closed()

    async def _forward(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        generation = self._generation
        self.accepted += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client_writer.transport.abort()
            return
        if generation != self._generation:  # stopped while connecting upstream
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        pair = {client_writer, upstream_writer}
        self._writers |= pair
        try:
            await asyncio.gather(
                _pipe(client_reader, upstream_writer),
                _pipe(upstream_reader, client_writer),
            )
        finally:
            self._writers -= pair
