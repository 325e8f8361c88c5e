"""Drive an ASGI app in this process, one request after another, with no server.

`python -m benchmarks.asgi_driver TARGET PATH QUERY COUNT` imports `TARGET`
(`module:attribute`), runs its lifespan start-up, sends `WARMUP` warm-up requests and
then `COUNT` measured ones to `GET PATH?QUERY`, and shuts it down. Every response must
be a 200, else it exits 1 naming the status. `instructions` runs it under callgrind:
without uvicorn, a socket or a load generator in the process, what is counted is the
app's own work (routing, validation, the ORM or driver, serialization).
"""

import asyncio
import importlib
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

WARMUP = 50


async def request(app: ASGIApp, path: str, query: str) -> tuple[int, bytes]:
    """One `GET path?query`: its status and body."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
        "state": {},
    }
    status: list[int] = []
    body: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(body)


class Lifespan:
    """The app's lifespan, started and shut down as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await self.app(scope, self.to_app.get, self.from_app.put)

    async def _step(self, message: str) -> None:
        await self.to_app.put({"type": f"lifespan.{message}"})
        reply = await self.from_app.get()
        if reply["type"] != f"lifespan.{message}.complete":
            raise SystemExit(f"lifespan {message} failed: {reply}")

    async def __aenter__(self) -> "Lifespan":
        self.task = asyncio.create_task(self._run())
        await self._step("startup")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._step("shutdown")
        if self.task is not None:
            await self.task


async def drive(app: ASGIApp, path: str, query: str, count: int) -> int:
    """`WARMUP` then `count` requests; the number of responses that were not 200."""
    failed = 0
    async with Lifespan(app):
        for _ in range(WARMUP + count):
            status, _body = await request(app, path, query)
            failed += status != 200
    return failed


def main(argv: list[str]) -> int:
    target, path, query, count = argv
    module, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    failed = asyncio.run(drive(app, path, query, int(count)))
    if failed:
        print(f"{failed} responses were not 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
