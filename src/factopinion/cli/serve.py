"""``factopinion serve``: the web app and JSON API (``factopinion.serve``), on uvicorn."""

from __future__ import annotations

import click

from .core import Command, one_line
from .options import get_model, model_path_option


@click.command(cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="The port (0: any free one)."
)
@model_path_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes, each with its own copy of the model, sharing one port.",
)
@click.option(
    "--allow-urls",
    is_flag=True,
    help="Let requests name a web page to fetch and score (public addresses only: never loopback, private, "
    "link-local or reserved ones, checked after DNS and at every redirect).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="The largest request body accepted (413 past it).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a client gets to send a request's headers, and then its body, and that --allow-urls waits for "
    "each network step of a fetch.",
)
def serve(host, port, model_path, trust_model_code, workers, allow_urls, max_bytes, timeout):
    """Start a local web app and JSON API: paste an article in a browser, or POST /v1/score.

    The page is at http://HOST:PORT/, the API's description at /openapi.json. There is no authentication:
    on an address other than the loopback one, anyone who can reach it can use it. Ctrl-C or SIGTERM stops
    it. Needs: pip install 'factopinion[serve]'.
    """
    from ..serve import require_extra

    require_extra()
    from ..serve.server import bind
    from ..serve.server import serve as run
    from ..serve.settings import Settings

    settings = Settings(
        model_path=None if model_path is None else str(model_path),
        trust_model_code=trust_model_code,
        allow_urls=allow_urls,
        max_bytes=max_bytes,
        head_timeout=timeout,
        body_timeout=timeout,
        fetch_timeout=timeout,
    )
    model = get_model(model_path, trust_model_code)  # here, so that a bad model is one line before listening
    if not _is_loopback(host):
        click.echo(
            f"factopinion: warning: listening on {host}, beyond this machine, and the server has no "
            "authentication: put it behind your own proxy",
            err=True,
        )
    try:
        sock = bind(host, port)
    except OSError as err:
        raise click.ClickException(one_line(f"cannot listen on {host}:{port}: {err.strerror or err}")) from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    def started() -> None:
        click.echo(f"factopinion: serving http://{shown}:{bound}/ (Ctrl-C to stop)", err=True)

    with sock:
        run(sock, settings, model=model if workers == 1 else None, workers=workers, started=started)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
