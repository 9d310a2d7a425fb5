"""Serve the app with waitress, a production WSGI server.

waitress is pure Python, threaded and lean: each request runs in one of
``threads`` worker threads, and since pyoxigraph releases the GIL while it
evaluates, queries run in parallel. A request's answer is produced in the
same thread that called the app, which pyoxigraph's result iterators require.
https://docs.pylonsproject.org/projects/waitress/en/stable/arguments.html
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Flask

EXAMPLE_QUERY = "SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


#: Bytes a body may exceed ``IKGRAPH_MAX_BODY_BYTES`` by and still reach the app,
#: which answers 413 naming the setting; beyond, waitress refuses it unread.
BODY_SLACK = 64 * 1024


def adjustments(config: Mapping[str, Any]) -> dict[str, Any]:
    """waitress's limits on connections and requests, from the settings.

    A client that stays silent longer than ``IKGRAPH_CHANNEL_TIMEOUT`` (a slow
    or stalled upload, an idle keep-alive) is disconnected at the next check,
    every ``IKGRAPH_CLEANUP_INTERVAL`` seconds; headers past
    ``IKGRAPH_MAX_HEADER_BYTES`` get 431; at most ``IKGRAPH_CONNECTION_LIMIT``
    connections are open at once; a body far past ``IKGRAPH_MAX_BODY_BYTES`` is
    refused before it is read.
    """
    return {
        "channel_timeout": float(config.get("CHANNEL_TIMEOUT", 30.0)),
        "cleanup_interval": float(config.get("CLEANUP_INTERVAL", 10.0)),
        "max_request_header_size": int(config.get("MAX_HEADER_BYTES", 65536)),
        "max_request_body_size": int(config.get("MAX_BODY_BYTES", 10 * 2**20)) + BODY_SLACK,
        "connection_limit": int(config.get("CONNECTION_LIMIT", 100)),
    }


def create_server(app: Flask, *, host: str, port: int, threads: int, **overrides: Any):
    """A waitress server bound to ``host:port`` (port 0: any free port), not yet running.

    ``server.effective_port`` is the port bound; ``server.run()`` serves until
    ``server.close()``. The limits of :func:`adjustments` come from the app's
    settings; extra keyword arguments are waitress adjustments that override them.
    """
    from waitress.server import create_server as waitress_server

    options = {**adjustments(app.config), **overrides}
    return waitress_server(app, host=host, port=port, threads=threads, ident="ikgraph", **options)


def run(app: Flask, *, host: str, port: int, threads: int) -> None:
    """Serve ``app`` until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server = create_server(app, host=host, port=port, threads=threads)
    try:
        server.run()
    finally:
        server.close()


def _origin(settings: Mapping[str, Any]) -> str:
    host = str(settings.get("HOST", "127.0.0.1"))
    if host in ("0.0.0.0", "", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.get('PORT', 5000)}"


def banner(settings: Mapping[str, Any]) -> str:
    """The lines ``ikgraph serve`` prints: where the home page, the endpoint and an example are."""
    root = _origin(settings)
    example = f"{root}/sparql?" + urlencode({"query": EXAMPLE_QUERY, "format": "json"})
    lines = [
        f"ikgraph serving {settings.get('STORE', '')} with {settings.get('THREADS', 8)} threads",
        f"  home page:        {root}/",
        f"  SPARQL endpoint:  {root}/sparql",
        f"  example query:    {example}",
    ]
    public = str(settings.get("PUBLIC_URL") or "")
    if public:
        lines.append(f"  public URL:       {public.rstrip('/')}/sparql")
    return "\n".join(lines)


def stop(server) -> None:
    """Stop a server whose ``run()`` loops in another thread, at once.

    The server is closed (its listening socket, connections and trigger) from
    its own loop, through its trigger, so the loop ends at once instead of
    after its poll timeout; then the worker threads end.
    """
    from waitress import wasyncore

    trigger = getattr(server, "trigger", None)
    if trigger is None:  # several listening sockets: close them from here
        server.close()
        return
    # The loop runs thunks while holding the trigger's lock; holding it while
    # writing the wake-up byte means the thunk cannot close the pipe first.
    with trigger.lock:
        trigger.thunks.append(lambda: wasyncore.close_all(server._map))
        trigger._physical_pull()
    server.task_dispatcher.shutdown()
