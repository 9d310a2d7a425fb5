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


def create_server(app: Flask, *, host: str, port: int, threads: int, **adjustments: Any):
    """A waitress server bound to ``host:port`` (port 0: any free port), not yet running.

    ``server.effective_port`` is the port bound; ``server.run()`` serves until
    ``server.close()``. Extra keyword arguments are waitress adjustments.
    """
    from waitress.server import create_server as waitress_server

    return waitress_server(
        app, host=host, port=port, threads=threads, ident="ikgraph", **adjustments
    )


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
