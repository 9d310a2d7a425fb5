"""Load and fault test of ``ikgraph serve`` on loopback: many readers, one writer.

The server runs as in production (an on-disk store with ``ikgraph build`` and
the synthetic 1,000-measure graph, query workers, a tokens file) and is
driven for ``--duration`` seconds by ``--clients`` concurrent readers, each
sending cheap lookups (one measure's properties, a different measure each
time, so the answer cache does not help) and, with probability ``--heavy``,
an expensive query (aggregates, a text filter, a property path, the latest
observation per target), and by one writer that replaces a graph through
``PUT /graph-store`` with a bearer token every ``--write-every`` seconds.

It reports: the answers by status (a 5xx is a failure), p50/p95/p99 latency
of cheap and expensive queries, the writes acknowledged and whether the final
graph is exactly the last acknowledged version with matching provenance (a
lost or partial write is a failure), and the resident memory of the server and
its query workers at the start and at the end. Every loop is bounded in time;
all traffic goes to 127.0.0.1. Exit status 0 if nothing failed::

    .venv/bin/python bench/loadtest.py --duration 60 --clients 32
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from ikgraph import tokens  # noqa: E402

BASE = "https://w3id.org/ikg/"
GRAPH = f"{BASE}graph/loadtest-contribution"
QUERIES = ROOT / "bench" / "queries"
HEAVY = ["count_by_field", "text_filter", "property_path", "cross_level_join", "latest_observation"]
PROJECTS = 50


def contribution(version: int) -> bytes:
    """A made-up contribution of ``PROJECTS`` projects, each label marked with ``version``."""
    lines = [
        "# Made-up data for the load test; not real.",
        "@prefix ikg: <https://w3id.org/ikg/ontology#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
    ]
    for i in range(PROJECTS):
        label = f'"Lasttestprojekt {i} (v{version})"'
        lines.append(
            f"<{BASE}id/measure/lasttest-{i}> a ikg:Project ; skos:prefLabel {label}@de, "
            f"{label}@en ; rdfs:label {label}@de ; "
            f"ikg:responsibleOrganisation <{BASE}id/organisation/landkreis-06434> ; "
            f"dcterms:subject <{BASE}id/field/{i % 7 + 1}> ; "
            f"dcterms:source <https://example.org/lasttest/{i}> ."
        )
    return ("\n".join(lines) + "\n").encode()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss(process: psutil.Process) -> tuple[int, int]:
    """Resident bytes of the server, and of its query workers together."""
    try:
        children = process.children(recursive=True)
        return process.memory_info().rss, sum(c.memory_info().rss for c in children)
    except psutil.Error:
        return 0, 0


def percentile(samples: list[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"cheap": [], "heavy": []}
        self.status: dict[str, int] = {}
        self.errors: list[str] = []

    def add(self, kind: str, status: str, seconds: float) -> None:
        with self.lock:
            self.status[status] = self.status.get(status, 0) + 1
            if status == "200":
                self.latency[kind].append(seconds)


def reader(port: int, rng: random.Random, until: float, heavy: float, rec: Recorder) -> None:
    texts = {name: (QUERIES / f"{name}.rq").read_text(encoding="utf-8") for name in HEAVY}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = 0
    while time.monotonic() < until:
        n += 1
        if rng.random() < heavy:
            kind, text = "heavy", texts[rng.choice(HEAVY)] + f"\n# {rng.random()}"
        else:
            measure = f"{BASE}id/measure/synthetic-projekt-{rng.randrange(1000):06d}"
            kind, text = "cheap", f"SELECT ?p ?o WHERE {{ <{measure}> ?p ?o }} # {n}"
        path = "/sparql?" + urlencode({"query": text})
        started = time.monotonic()
        try:
            conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            status = f"error {type(exc).__name__}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        rec.add(kind, status, time.monotonic() - started)
    conn.close()


def writer(port: int, token: str, until: float, every: float, log: list) -> None:
    version = 0
    while time.monotonic() < until:
        version += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        started = time.monotonic()
        try:
            conn.request(
                "PUT",
                "/graph-store?" + urlencode({"graph": GRAPH}),
                body=contribution(version),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            )
            response = conn.getresponse()
            response.read()
            log.append((version, response.status, time.monotonic() - started))
        except (OSError, http.client.HTTPException) as exc:
            log.append((version, f"error {type(exc).__name__}", time.monotonic() - started))
        finally:
            conn.close()
        time.sleep(max(0.0, min(every - (time.monotonic() - started), until - time.monotonic())))


def final_state(port: int) -> tuple[set[str], int, int | None]:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    queries = {
        "labels": f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ ?s {label} ?l }} }}",
        "count": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}",
        "meta": f"SELECT ?n WHERE {{ GRAPH <{BASE}graph/meta> {{ <{GRAPH}> "
        f"<{BASE}ontology#tripleCount> ?n }} }}",
    }
    out = {}
    for key, text in queries.items():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/sparql?" + urlencode({"query": text, "format": "json"}))
        out[key] = json.loads(conn.getresponse().read())["results"]["bindings"]
        conn.close()
    versions = {b["l"]["value"].rsplit("(", 1)[-1].rstrip(")") for b in out["labels"]}
    meta = int(out["meta"][0]["n"]["value"]) if out["meta"] else None
    return versions, int(out["count"][0]["n"]["value"]), meta


def setup(folder: Path) -> Path:
    store = folder / "store"
    ikgraph = str(BIN / "ikgraph")
    synthetic = ROOT / "bench" / "data" / "synthetic-1000-s42.trig"
    if not synthetic.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--sizes", "1000"],
                       check=True, cwd=ROOT)  # fmt: skip
    for args in (["build"], ["load", "--bulk", str(synthetic)]):
        subprocess.run([ikgraph, "--store", f"oxigraph:{store}", *args], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--heavy", type=float, default=0.1, help="share of expensive queries")
    parser.add_argument("--write-every", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4, help="IKGRAPH_QUERY_WORKERS")
    parser.add_argument("--threads", type=int, default=8, help="IKGRAPH_THREADS")
    parser.add_argument("--output", type=Path, help="JSON file for the results")
    args = parser.parse_args()
    duration = min(args.duration, 600.0)

    folder = Path(tempfile.mkdtemp(prefix="ikgraph-loadtest-"))
    server = None
    try:
        store = setup(folder)
        token = tokens.add(folder / "tokens.json", "lasttest", ["loadtest-*"])
        port = free_port()
        env = {
            **os.environ,
            "IKGRAPH_TOKENS_FILE": str(folder / "tokens.json"),
            "IKGRAPH_RATE_LIMIT_QUERY": "",
            "IKGRAPH_RATE_LIMIT_WRITE": "",
            "IKGRAPH_QUERY_WORKERS": str(args.workers),
            "IKGRAPH_THREADS": str(args.threads),
        }
        cmd = [str(BIN / "ikgraph"), "--store", f"oxigraph:{store}", "serve", "--port", str(port)]
        with open(folder / "server.log", "wb") as server_log:
            server = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=server_log
            )
        ready_by = time.monotonic() + 60
        while time.monotonic() < ready_by:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/sparql?" + urlencode({"query": "ASK {}"}))
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        process = psutil.Process(server.pid)
        for name in HEAVY:  # warm up: every worker has the snapshot and the pages
            conn.request(
                "GET", "/sparql?" + urlencode({"query": (QUERIES / f"{name}.rq").read_text()})
            )
            conn.getresponse().read()
        conn.close()
        memory_start = rss(process)
        load_start = os.getloadavg()

        rec, writes = Recorder(), []
        until = time.monotonic() + duration
        threads = [
            threading.Thread(target=reader, args=(port, random.Random(i), until, args.heavy, rec))
            for i in range(args.clients)
        ]
        threads.append(
            threading.Thread(target=writer, args=(port, token, until, args.write_every, writes))
        )
        peak = [0]

        def sample() -> None:
            while time.monotonic() < until:
                peak[0] = max(peak[0], sum(rss(process)))
                time.sleep(0.5)

        threads.append(threading.Thread(target=sample))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=duration + 120)
        elapsed = time.monotonic() - started
        memory_end = rss(process)
        versions, count, meta = final_state(port)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(folder, ignore_errors=True)

    acknowledged = [v for v, status, _ in writes if status in (200, 201, 204)]
    failed_writes = [w for w in writes if w[1] not in (200, 201, 204)]
    last = acknowledged[-1] if acknowledged else 0
    lost_or_partial = versions != {f"v{last}"} or count != meta
    server_errors = sum(n for s, n in rec.status.items() if not s.startswith(("2", "4")))
    result = {
        "duration_s": round(elapsed, 1),
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "heavy_share": args.heavy,
        "load_average_at_start": load_start,
        "status": rec.status,
        "server_errors": server_errors,
        "requests_per_s": round(sum(rec.status.values()) / elapsed, 1),
        "latency_ms": {
            kind: {
                "n": len(samples),
                "p50": round(1000 * statistics.median(samples), 1) if samples else None,
                "p95": round(1000 * percentile(samples, 95), 1) if samples else None,
                "p99": round(1000 * percentile(samples, 99), 1) if samples else None,
            }
            for kind, samples in rec.latency.items()
        },
        "writes": {
            "sent": len(writes),
            "acknowledged": len(acknowledged),
            "refused_or_failed": failed_writes[:5],
            "median_s": round(statistics.median(w[2] for w in writes), 2) if writes else None,
            "final_versions": sorted(versions),
            "last_acknowledged": f"v{last}",
            "triples": count,
            "provenance_triple_count": meta,
            "lost_or_partial": lost_or_partial,
        },
        "memory_mb": {
            "server_start": round(memory_start[0] / 2**20, 1),
            "workers_start": round(memory_start[1] / 2**20, 1),
            "server_end": round(memory_end[0] / 2**20, 1),
            "workers_end": round(memory_end[1] / 2**20, 1),
            "peak_total": round(peak[0] / 2**20, 1),
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    ok = server_errors == 0 and not lost_or_partial and not failed_writes and acknowledged
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
