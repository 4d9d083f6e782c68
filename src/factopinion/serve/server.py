"""Running the application on uvicorn: one process (the model loaded once, before the socket is opened), or
``workers`` processes that share one listening socket, each building its application from the settings.

A client must send a request's headers within ``head_timeout`` seconds of connecting (or of its previous
answer), else the connection is closed: uvicorn's own keep-alive timer starts only after a first answer, so
without this a slow-drip client could hold a connection for ever. SIGINT and SIGTERM stop the server cleanly:
no new connections, requests in progress get ``GRACE`` seconds to finish, then exit status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..interrupts import handling
from ..model import Model
from .app import create_app
from .settings import ENVIRONMENT_VARIABLE, Settings

__all__ = ["GRACE", "TimedH11Protocol", "app_from_environment", "bind", "serve", "tune_process"]

GRACE = 2  # seconds requests in progress get to finish after Ctrl-C or SIGTERM
SWITCH_INTERVAL = 0.0005  # seconds a thread holds the GIL while others wait (Python's default: 0.005)


def tune_process() -> None:
    """Let the event loop in: while the scoring threads compute, the loop thread waits for the GIL at each read
    and write, up to the switch interval each time; at Python's 5 ms that is most of a request's time."""
    sys.setswitchinterval(SWITCH_INTERVAL)


_INVALID = b'{"error": "invalid HTTP request"}\n'


class TimedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers, and a JSON answer to a request
    that is not valid HTTP."""

    head_timeout: float | None = None  # from the settings: set by ``serve``, or read from a worker's environment

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        if TimedH11Protocol.head_timeout is None:
            TimedH11Protocol.head_timeout = Settings.from_environment().head_timeout
        self._head_timer = self.loop.call_later(TimedH11Protocol.head_timeout, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_head_timer", None) is not None:
            self._head_timer.cancel()  # type: ignore[union-attr]
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers arrived: the app has it now
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n"
            b"connection: close\r\ncontent-length: " + str(len(_INVALID)).encode() + b"\r\n\r\n" + _INVALID
        )
        self.transport.close()


class _Server(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT or SIGTERM without raising the signal again afterwards (so the
    command ends with status 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with handling([signal.SIGINT, signal.SIGTERM], self.handle_exit):
            yield


def app_from_environment():
    """The application of a worker process (``--workers``), from the settings its parent put in its environment."""
    tune_process()
    return create_app(Settings.from_environment())


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: any free port), IPv6 where the host is an IPv6 address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say they are TCP,
    # and without that every answer written in two parts waits for the client's delayed ACK (40 ms on Linux).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(app, settings: Settings, **kwargs) -> uvicorn.Config:
    TimedH11Protocol.head_timeout = settings.head_timeout
    return uvicorn.Config(
        app,
        http=TimedH11Protocol,
        lifespan="off",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=GRACE,
        h11_max_incomplete_event_size=16 * 1024,
        server_header=False,
        proxy_headers=False,
        log_level="info",
        **kwargs,
    )


def serve(
    sock: socket.socket,
    settings: Settings,
    *,
    model: Model | None = None,
    workers: int = 1,
    started: Callable[[], None] | None = None,
) -> None:
    """Serve on ``sock`` until SIGINT or SIGTERM: in this process with ``model``, or in ``workers`` processes
    (each loads the model the settings name). ``started`` is called once the server is listening."""
    tune_process()
    if workers <= 1:
        server = _Server(_config(create_app(settings, model), settings))
        if started is not None:
            _call_when_started(server, started)
        server.run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    os.environ[ENVIRONMENT_VARIABLE] = settings.to_json()  # the workers are started afresh, with this environment
    config = _config("factopinion.serve.server:app_from_environment", settings, factory=True, workers=workers)
    supervisor = Multiprocess(config, sockets=[sock])
    if started is not None:
        started()
    supervisor.run()


def _call_when_started(server: uvicorn.Server, started: Callable[[], None]) -> None:
    startup = server.startup

    async def startup_then_tell(sockets=None) -> None:
        await startup(sockets=sockets)
        if server.started:
            started()

    server.startup = startup_then_tell  # type: ignore[method-assign]
