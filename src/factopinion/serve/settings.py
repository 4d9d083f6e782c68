"""What a server is started with. Worker processes (``--workers``) are started afresh by uvicorn and build their
application from these settings, passed to them as JSON in an environment variable."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

from ..errors import OptionError

__all__ = ["ENVIRONMENT_VARIABLE", "Settings"]

ENVIRONMENT_VARIABLE = "FACTOPINION_SERVE_SETTINGS"


@dataclass(frozen=True)
class Settings:
    """A server's settings. ``max_bytes`` bounds every request body; ``body_timeout`` the seconds a body may take
    to arrive, ``head_timeout`` those a request's headers may (a slow client is cut off after them);
    ``fetch_timeout`` applies to each network step of fetching a ``url``; ``threads`` is how many requests are
    scored at once in each process (the others wait their turn, off the event loop)."""

    model_path: str | None = None
    trust_model_code: bool = False
    allow_urls: bool = False
    max_bytes: int = 1_000_000
    body_timeout: float = 10.0
    head_timeout: float = 10.0
    fetch_timeout: float = 10.0
    threads: int = 4

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise OptionError("--max-bytes must be at least 1")
        if min(self.body_timeout, self.head_timeout, self.fetch_timeout) <= 0 or self.threads < 1:
            raise OptionError("timeouts must be positive and threads at least 1")

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        return cls(**json.loads(text))

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings a worker process was given, else the defaults."""
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls.from_json(text) if text else cls()
