"""``factopinion serve``: a local web app and JSON API on Starlette and uvicorn (the optional ``serve`` extra).

- ``settings``: what a server is started with, and how its worker processes receive it;
- ``addresses``: which web addresses a server may fetch (public ones only, checked at every connection);
- ``schema``: reading and checking requests, one ``ApiError`` (status and one line) for each bad one;
- ``openapi``: the OpenAPI description of the API;
- ``page``: the web app, one self-contained page;
- ``app``: the Starlette application; ``server``: running it on uvicorn.

Only ``settings``, ``addresses`` and ``schema`` import nothing from the extra; ``require_extra`` says, in one line,
what to install when it is missing.
"""

from __future__ import annotations

import importlib.util

from ..errors import MissingExtra

__all__ = ["INSTALL", "require_extra"]

INSTALL = "pip install 'factopinion[serve]'"


def require_extra() -> None:
    """A ``MissingExtra`` naming the install command where Starlette or uvicorn is not installed."""
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(f"factopinion serve needs {' and '.join(missing)}: {INSTALL}")
