"""What one request costs in Python, without a network: ikgraph's app vs the minimal one.

Both WSGI apps are called directly (no server, no sockets) on the same
pyoxigraph store, one request at a time, so the difference is the Python work
each does per request: request parsing, negotiation, limits, cache keys,
serialization. Under a threaded server that work holds the GIL, so it bounds
the requests per second of cheap queries however many threads there are.
``--profile N`` adds the functions where ikgraph spends its time (cProfile)::

    .venv/bin/python bench/overhead.py --measures 1000 --profile 2000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

ACCEPT = {"select": "application/sparql-results+json", "graph": "text/turtle"}


def call(app, query: str, accept: str) -> int:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        path="/sparql", query_string={"query": query}, headers={"Accept": accept}
    ).get_environ()
    status = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]}: {body[:200]!r}")
    return len(body)


def per_request(app, query: str, accept: str, *, count: int) -> float:
    for _ in range(min(50, count)):
        call(app, query, accept)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        call(app, query, accept)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    import minimal_endpoint
    import pyoxigraph as ox
    from generate import data_path, generate

    from ikgraph.app import create_app

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--count", type=int, default=500, help="requests per measurement")
    parser.add_argument("--queries", default="lookup,construct_neighbourhood,count_by_field")
    parser.add_argument("--profile", type=int, default=0, help="profile N lookups")
    parser.add_argument("--profile-app", default="ikgraph", help="the app to profile")
    parser.add_argument("--sort", default="cumulative", help="order of the profile (pstats)")
    args = parser.parse_args(argv)

    data = data_path(args.measures, args.seed)
    if not data.exists():
        generate(args.measures, args.seed, data)
    with tempfile.TemporaryDirectory(prefix="ikgraph-overhead-") as tmp:
        path = Path(tmp) / "store"
        loader = ox.Store(str(path))
        loader.bulk_load(path=str(data), format=ox.RdfFormat.TRIG)
        loader.flush()
        del loader
        config = {"STORE": f"oxigraph:{path}", "CACHE_BYTES": 0, "RATE_LIMIT_QUERY": ""}
        with_workers = create_app(config)  # ikgraph serve's default: query workers
        store = with_workers.extensions["ikgraph"].store
        apps = {
            "ikgraph": with_workers,
            "ikgraph, no workers": create_app(
                {**config, "STORE_OBJECT": store, "QUERY_WORKERS": 0}
            ),
            "minimal": minimal_endpoint.create_app(store.raw),
        }
        names = list(apps)
        print("| query | " + " | ".join(f"{n} µs" for n in names) + " |")
        print("|---|" + "---:|" * len(names))
        for name in args.queries.split(","):
            query = (HERE / "queries" / f"{name}.rq").read_text(encoding="utf-8")
            accept = ACCEPT["graph" if name.startswith("construct") else "select"]
            count = args.count if name in ("lookup", "construct_neighbourhood") else 50
            # interleave, twice, so that machine noise hits all alike
            got: dict[str, list[float]] = {n: [] for n in names}
            for order in (names, names[::-1]):
                for app in order:
                    got[app].append(per_request(apps[app], query, accept, count=count))
            cells = [f"{statistics.median(got[n]) * 1e6:,.0f}" for n in names]
            print(f"| {name} | " + " | ".join(cells) + " |")
        if args.profile:
            query = (HERE / "queries" / "lookup.rq").read_text(encoding="utf-8")
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.profile):
                call(apps[args.profile_app], query, ACCEPT["select"])
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(40)
            print(out.getvalue())
        del apps, with_workers, store
    return 0


if __name__ == "__main__":
    sys.exit(main())
