"""``forms console [--listen 127.0.0.1:8080]``: the clerk console, served by uvicorn.

On a loopback address the console speaks plain HTTP (its cookies drop the Secure flag there); on any
other address put it behind a TLS-terminating reverse proxy and name that proxy in the
``trusted_proxies`` setting (its X-Forwarded-For/-Proto are read from it and from nobody else) —
over plain HTTP on a public address the browser would not send the Secure session cookie back, so
nobody could sign in.
"""

from __future__ import annotations

import argparse

from forms.config import Settings

DEFAULT_LISTEN = "127.0.0.1:8080"


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from forms.console import create_app
    from forms.mailroom.serve import split_host_port

    host, port = split_host_port(args.listen, default_port=8080)
    app = create_app(settings)
    print(f"forms console: http://{host}:{port}/ （Ctrl+C で終了）", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,  # the app reads them, from settings.trusted_proxies only
        server_header=False,
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``console`` to the ``forms`` command."""
    p = subparsers.add_parser("console", help="run the clerk console (web app) over the store")
    p.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"host:port to serve on (default {DEFAULT_LISTEN})"
    )
    p.set_defaults(func=cmd_console)
