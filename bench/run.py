"""Benchmark ikgraph's SPARQL answering, side by side with the alternatives, in one run.

For each size (measures) the same synthetic graph (``bench/generate.py``) is
queried with the fixed mix in ``bench/queries/``:

in process
    pyoxigraph in memory, pyoxigraph on disk and rdflib's SPARQL engine
    (rdflib up to ``--rdflib-max`` measures, each query capped at ``--cap`` s);
over HTTP (127.0.0.1 only)
    ``ikgraph serve`` on an on-disk store bulk-loaded with pyoxigraph (answer
    cache off, so every request runs the query), a minimal Flask + pyoxigraph
    endpoint under the same WSGI server and thread count
    (``bench/minimal_endpoint.py``) and rdflib-endpoint under uvicorn (up to
    ``--rdflib-endpoint-max`` measures); then ``ikgraph serve`` with its answer
    cache on, asked the same heavy query again and again.

Per query: the median latency of sequential requests, requests per second with
1 and 8 concurrent clients (wrk when a request takes < 50 ms, else a bounded
Python client), and each server's peak resident memory (sampled with psutil).
Results go to ``bench/results/*.json``; a Markdown report to stdout (and
``bench/results/latest.md``). Every loop is bounded in count and time::

    .venv/bin/python bench/run.py --sizes 1000,10000,100000
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import http.client
import importlib.metadata
import importlib.util
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
QUERY_DIR = HERE / "queries"
sys.path.insert(0, str(HERE))

# The fixed mix, in report order; the kind decides which targets a query counts for.
QUERIES: dict[str, str] = {
    "lookup": "cheap lookup",
    "count_by_field": "aggregate",
    "cross_level_join": "join",
    "text_filter": "text filter",
    "latest_observation": "aggregate",
    "property_path": "aggregate",
    "construct_neighbourhood": "construct",
}
AGGREGATES = [q for q, kind in QUERIES.items() if kind == "aggregate"]
HEAVY = "latest_observation"  # the repeated heavy query of the cache scenario
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"
WRK_BELOW = 0.05  # seconds: faster queries are driven by wrk, slower ones by Python


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_requirements() -> None:
    """Install bench/requirements.txt into this interpreter if something is missing."""
    needed = ["rdflib_endpoint", "uvicorn", "fastapi", "psutil"]
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        log(f"installing bench requirements ({', '.join(missing)} missing)")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")],
            check=True,
            timeout=600,
        )


def load_queries() -> dict[str, str]:
    return {name: (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8") for name in QUERIES}


def is_graph_query(name: str) -> bool:
    return name.startswith("construct")


def median_ms(samples: list[float]) -> float | None:
    return round(statistics.median(samples) * 1000, 3) if samples else None


def sample(
    run: Callable[[], Any], *, repeats: int, budget: float, first: float | None = None
) -> tuple[list[float], Any]:
    """Time ``run()`` up to ``repeats`` times within ``budget`` seconds.

    The first run (or ``first``, the time of one already done) is a warm-up,
    counted only if it took a second or more; a first run that used up the
    budget is the only sample.
    """
    started = time.perf_counter()
    out = None
    before = 0.0  # seconds spent on the first run before this call
    if first is None:
        out = run()
        first = time.perf_counter() - started
    else:
        before = first
    samples = [first] if first >= 1.0 else []
    while len(samples) < repeats and before + time.perf_counter() - started < budget:
        t0 = time.perf_counter()
        out = run()
        samples.append(time.perf_counter() - t0)
    return samples, out


# --- in process -------------------------------------------------------------------------


def count_answer(result: Any) -> int:
    return sum(1 for _ in result)


def bench_oxigraph(store: Any, queries: dict[str, str], *, repeats: int, budget: float) -> dict:
    out = {}
    for name, text in queries.items():
        samples, rows = sample(
            lambda text=text: count_answer(store.query(text, use_default_graph_as_union=True)),
            repeats=repeats,
            budget=budget,
        )
        out[name] = {"median_ms": median_ms(samples), "samples": len(samples), "rows": rows}
    return out


def rdflib_worker(conn: Any, path: str) -> None:
    """Child process: load ``path`` with rdflib, then time the queries it is sent."""
    import rdflib

    t0 = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(path, format="trig")
    conn.send(("loaded", time.perf_counter() - t0, len(dataset)))
    while True:
        message = conn.recv()
        if message is None:
            return
        text = message
        t0 = time.perf_counter()
        rows = sum(1 for _ in dataset.query(text))
        conn.send(("done", time.perf_counter() - t0, rows))


class RdflibRunner:
    """rdflib in a child process, so a query past the cap can be stopped (and DNF recorded)."""

    def __init__(self, path: Path, *, load_timeout: float):
        self.path = path
        self.load_timeout = load_timeout
        self.proc: Any = None
        self.conn: Any = None
        self.load_seconds: float | None = None
        self.peak_rss_mb: float | None = None

    def start(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=rdflib_worker, args=(child, str(self.path)), daemon=True)
        self.proc.start()
        self.conn = parent
        if not parent.poll(self.load_timeout):
            self.stop()
            raise TimeoutError(f"rdflib did not load {self.path} in {self.load_timeout:.0f} s")
        _, seconds, _ = parent.recv()
        self.load_seconds = self.load_seconds or seconds

    def run(self, text: str, cap: float) -> tuple[float, int] | None:
        """One execution: (seconds, rows), or None past the cap (the child is stopped)."""
        if self.proc is None:
            self.start()
        self.conn.send(text)
        if not self.conn.poll(cap):
            self._note_rss()
            self.stop()
            return None
        _, seconds, rows = self.conn.recv()
        self._note_rss()
        return seconds, rows

    def _note_rss(self) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            rss = psutil.Process(self.proc.pid).memory_info().rss / 2**20
            self.peak_rss_mb = max(self.peak_rss_mb or 0.0, round(rss, 1))

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.conn.send(None)
            self.proc.join(2)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(10)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(10)
        self.proc = None
        self.conn = None


def bench_rdflib(path: Path, queries: dict[str, str], *, repeats: int, cap: float) -> dict:
    runner = RdflibRunner(path, load_timeout=max(cap, 600))
    out: dict[str, Any] = {}
    try:
        runner.start()
        for name, text in queries.items():
            samples: list[float] = []
            rows = None
            started = time.perf_counter()
            dnf = False
            while len(samples) < repeats and time.perf_counter() - started < min(cap, 30):
                got = runner.run(text, cap)
                if got is None:
                    dnf = True
                    break
                samples.append(got[0])
                rows = got[1]
            if dnf and not samples:
                out[name] = {"dnf": True, "cap_s": cap}
                log(f"  rdflib {name}: DNF ({cap:.0f} s)")
            else:
                out[name] = {"median_ms": median_ms(samples), "samples": len(samples), "rows": rows}
                log(f"  rdflib {name}: {out[name]['median_ms']} ms")
    finally:
        runner.stop()
    out["_load_s"] = runner.load_seconds
    out["_peak_rss_mb"] = runner.peak_rss_mb
    return out


def own_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def in_process(
    size: int, data: Path, store_dir: Path, queries: dict[str, str], args, *, measure: bool
) -> dict:
    """Load the data in process (and into the on-disk store the servers use); time the
    queries if ``measure``."""
    import pyoxigraph as ox

    result: dict[str, Any] = {"load": {}}
    fmt = ox.RdfFormat.TRIG

    if measure:
        log(f"{size}: pyoxigraph in memory")
        rss0 = own_rss()
        t0 = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=str(data), format=fmt)
        result["load"]["oxigraph_memory_s"] = round(time.perf_counter() - t0, 2)
        result["oxigraph_memory_rss_mb"] = round((own_rss() - rss0) / 2**20, 1)
        result["oxigraph-memory"] = bench_oxigraph(
            store, queries, repeats=args.repeats, budget=args.budget
        )
        del store
        gc.collect()

    log(f"{size}: pyoxigraph on disk")
    if store_dir.exists():
        shutil.rmtree(store_dir)
    t0 = time.perf_counter()
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(data), format=fmt)
    store.flush()
    result["load"]["oxigraph_disk_s"] = round(time.perf_counter() - t0, 2)
    del store
    gc.collect()
    t0 = time.perf_counter()
    store = ox.Store(str(store_dir))
    result["load"]["oxigraph_reopen_s"] = round(time.perf_counter() - t0, 3)
    result["triples"] = len(store)
    if measure:
        result["oxigraph-disk"] = bench_oxigraph(
            store, queries, repeats=args.repeats, budget=args.budget
        )
    del store
    gc.collect()

    if not measure:
        return result
    if size <= args.rdflib_max:
        log(f"{size}: rdflib (cap {args.cap:.0f} s per query)")
        rd = bench_rdflib(data, queries, repeats=args.rdflib_repeats, cap=args.cap)
        result["load"]["rdflib_s"] = round(rd.pop("_load_s") or 0, 2)
        result["rdflib_peak_rss_mb"] = rd.pop("_peak_rss_mb")
        result["rdflib"] = rd
    else:
        result["rdflib"] = {"skipped": f"above --rdflib-max {args.rdflib_max}"}
    return result


# --- HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its children (0 if it is gone)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total
    except psutil.Error:
        return 0


def request_path(text: str) -> str:
    return "/sparql?query=" + quote(text, safe="")


class Connection:
    """One keep-alive HTTP connection to 127.0.0.1, reopened when the server closes it."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, accept: str) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers={"Accept": accept})
                response = self.conn.getresponse()
                body = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def answer_size(name: str, body: bytes) -> int:
    if is_graph_query(name):
        import pyoxigraph as ox

        return len(list(ox.parse(body, format=ox.RdfFormat.TURTLE)))
    return len(json.loads(body)["results"]["bindings"])


class Server:
    """A server process on 127.0.0.1 with a psutil memory sampler."""

    def __init__(self, name: str, cmd: list[str], *, port: int, env: dict | None, logfile: Path):
        self.name = name
        self.cmd = cmd
        self.port = port
        self.env = env
        self.logfile = logfile
        self.proc: subprocess.Popen | None = None
        self.peak_rss = 0
        self.ready_rss = 0
        self.start_seconds = 0.0
        self.stuck = False
        self.processes = 0
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def rss(self) -> int:
        return tree_rss(self.proc.pid)

    def process_count(self) -> int:
        """The server and its child processes (ikgraph's query workers)."""
        import psutil

        try:
            return 1 + len(psutil.Process(self.proc.pid).children(recursive=True))
        except psutil.Error:
            return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_rss = max(self.peak_rss, self.rss())

    def start(self, *, timeout: float) -> None:
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        out = self.logfile.open("ab")
        self.stuck = False
        self._stop = threading.Event()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        out.close()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        conn = Connection(self.port, timeout=10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.logfile}")
            try:
                status, _ = conn.get(request_path("ASK { ?s ?p ?o }"), SELECT_ACCEPT)
                if status == 200:
                    self.start_seconds = time.perf_counter() - t0
                    self.ready_rss = self.rss()
                    self.processes = self.process_count()
                    conn.close()
                    return
            except OSError:
                pass
            conn.close()
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        self._stop.set()
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self._sampler is not None:
            self._sampler.join(2)


def parse_wrk(text: str) -> dict:
    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else default

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "non_2xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": dict(
            zip(["connect", "read", "write", "timeout"], map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
    }


def wrk(port: int, path: str, accept: str, *, clients: int, duration: float, timeout: float):
    cmd = [
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{duration:g}s",
        f"--timeout={timeout:g}s",
        "-H",
        f"Accept: {accept}",
        f"http://127.0.0.1:{port}{path}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + timeout + 30)
    out = parse_wrk(done.stdout)
    out["client"] = "wrk"
    return out


def closed_loop(
    port: int, path: str, accept: str, *, clients: int, duration: float, timeout: float
):
    """``clients`` threads send requests back to back until ``duration`` is over.

    Requests in flight at the end are waited for (each at most ``timeout``),
    and requests per second are completions over the time to the last one.
    """
    stop_at = time.monotonic() + duration
    lock = threading.Lock()
    stats = {"ok": 0, "bad": 0, "failed": 0, "last": 0.0}
    started = time.perf_counter()

    def worker() -> None:
        conn = Connection(port, timeout=timeout)
        try:
            while time.monotonic() < stop_at:
                try:
                    status, _ = conn.get(path, accept)
                    outcome = "ok" if status == 200 else "bad"
                except OSError:
                    conn.close()
                    outcome = "failed"
                with lock:
                    stats[outcome] += 1
                    stats["last"] = time.perf_counter()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 10)
    elapsed = (stats["last"] or time.perf_counter()) - started
    return {
        "rps": round(stats["ok"] / elapsed, 3) if elapsed > 0 else 0.0,
        "requests": stats["ok"],
        "non_2xx": stats["bad"],
        "failed": stats["failed"],
        "client": "python",
    }


def measured(server: Server, point: Callable[[], dict]) -> dict:
    """Run a throughput point and note the CPU it found: cores used by the server, by
    the load generator, and by everything else on the machine (other people's work)."""
    import resource

    import psutil

    def cpu_of(proc: Any) -> float:
        try:
            return sum(proc.cpu_times()[:2])
        except psutil.Error:
            return 0.0

    def tree(proc: Any) -> dict[int, float]:
        """CPU seconds of a process and each of its descendants (query workers), by pid."""
        try:
            procs = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            procs = [proc]
        return {p.pid: cpu_of(p) for p in procs}

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    server_proc = psutil.Process(server.proc.pid)
    own = psutil.Process()
    s0, c0, o0 = tree(server_proc), children(), cpu_of(own)
    psutil.cpu_percent(None)
    t0 = time.perf_counter()
    out = point()
    wall = time.perf_counter() - t0
    busy = psutil.cpu_percent(None) / 100 * (os.cpu_count() or 1)
    s1 = tree(server_proc)
    used = sum(s1[pid] - s0.get(pid, 0.0) for pid in s1)
    out["server_cores"] = round(used / wall, 2)
    out["client_cores"] = round((children() - c0 + cpu_of(own) - o0) / wall, 2)
    out["other_cores"] = round(max(0.0, busy - out["server_cores"] - out["client_cores"]), 2)
    return out


def one_round(server: Server, name: str, text: str, args, *, serial: bool) -> dict:
    """Latency (sequential requests) and throughput at 1 and 8 clients of one query."""
    accept = GRAPH_ACCEPT if is_graph_query(name) else SELECT_ACCEPT
    path = request_path(text)
    conn = Connection(server.port, timeout=args.cap + 5)
    try:
        t0 = time.perf_counter()
        try:
            status, body = conn.get(path, accept)
        except TimeoutError:
            server.stuck = True  # it is still working on the query
            return {"dnf": True, "cap_s": args.cap}
        first = time.perf_counter() - t0
        if status != 200:
            return {"error": status, "body": body[:300].decode("utf-8", "replace")}
        entry: dict[str, Any] = {"rows": answer_size(name, body)}

        def once() -> bool:
            status, _ = conn.get(path, accept)
            if status != 200:
                raise RuntimeError(f"{server.name} {name}: HTTP {status}")
            return True

        samples, _ = sample(once, repeats=args.repeats, budget=args.budget, first=first)
    finally:
        conn.close()
    entry["samples_ms"] = [round(s * 1000, 3) for s in samples]
    latency = statistics.median(samples)
    drive = wrk if (latency < WRK_BELOW and args.wrk) else closed_loop
    for clients in (1, 8):
        # A closed loop waits for the requests in flight: bound the time a point may take.
        parallel = 1 if serial else min(clients, os.cpu_count() or 1)
        expect = args.duration + latency * clients / parallel
        if expect > args.max_point:
            entry[f"c{clients}"] = {
                "skipped": f"{latency:.1f} s per answer: {clients} client(s) would take "
                f"~{expect:.0f} s > --max-point {args.max_point:g} s"
            }
            continue
        entry[f"c{clients}"] = measured(
            server,
            lambda clients=clients: drive(
                server.port,
                path,
                accept,
                clients=clients,
                duration=args.duration,
                timeout=args.cap,
            ),
        )
        time.sleep(0.2)
    return entry


def summarize(rounds: list[dict]) -> dict:
    """One entry from the rounds of a query on one server: the median latency over all
    samples and, per client count, the median requests per second over the rounds."""
    done = [r for r in rounds if "samples_ms" in r]
    if not done:
        return dict(rounds[0]) if rounds else {}
    samples = [s for r in done for s in r["samples_ms"]]
    entry: dict[str, Any] = {
        "rows": done[0]["rows"],
        "median_ms": round(statistics.median(samples), 3),
        "samples": len(samples),
    }
    for clients in (1, 8):
        points = [r[f"c{clients}"] for r in done if "rps" in r.get(f"c{clients}", {})]
        if points:
            point: dict[str, Any] = {
                "rps": round(statistics.median(p["rps"] for p in points), 3),
                "rounds": [p["rps"] for p in points],
                "client": points[0]["client"],
            }
            for key in ("server_cores", "other_cores"):
                point[key] = round(statistics.median(p[key] for p in points), 2)
            point["non_2xx"] = sum(p.get("non_2xx", 0) for p in points)
            entry[f"c{clients}"] = point
        else:
            entry[f"c{clients}"] = done[0].get(f"c{clients}", {})
    entry["rounds"] = rounds
    return entry


def cache_rounds(
    cached: Server, plain: Server, queries: dict[str, str], args, *, failed: set[str]
) -> dict:
    """The same heavy query again and again, answered from ikgraph's cache, against the
    cheap lookup with the cache on and off, interleaved."""
    lookup = request_path(queries["lookup"])
    conn = Connection(cached.port, timeout=args.cap + 5)
    out: dict[str, Any] = {}
    # the heaviest aggregate that ikgraph answered in time without the cache
    candidates = [args.cache_query] if args.cache_query else [HEAVY, "property_path"]
    for name in [q for q in (*candidates, "count_by_field") if q not in failed]:
        if name not in queries:
            continue
        heavy = request_path(queries[name])
        t0 = time.perf_counter()
        status, body = conn.get(heavy, SELECT_ACCEPT)  # the first answer fills the cache
        out["heavy_first_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        if status == 200:
            out["heavy"], out["heavy_bytes"] = name, len(body)
            break
        out.setdefault("failed", {})[name] = f"HTTP {status}: {body[:200].decode()}"
        log(f"  cache: {name} answered {status}, trying the next aggregate")
    else:
        conn.close()
        return out
    samples, _ = sample(
        lambda: conn.get(heavy, SELECT_ACCEPT), repeats=args.repeats, budget=args.budget
    )
    out["heavy_cached_median_ms"] = median_ms(samples)
    conn.get(lookup, SELECT_ACCEPT)
    conn.close()
    drive = wrk if args.wrk else closed_loop
    points = [
        ("heavy_cached", cached, heavy),
        ("lookup_cached", cached, lookup),
        ("lookup_uncached", plain, lookup),
    ]
    for r in range(args.rounds):
        for label, server, path in points if r % 2 == 0 else points[::-1]:
            got = measured(
                server,
                lambda server=server, path=path: drive(
                    server.port,
                    path,
                    SELECT_ACCEPT,
                    clients=8,
                    duration=args.duration,
                    timeout=args.cap,
                ),
            )
            out.setdefault(label, []).append(got)
            time.sleep(0.2)
    for label, _, _ in points:
        out[f"{label}_rps8"] = round(statistics.median(p["rps"] for p in out[label]), 1)
    log(
        f"  cache: {out['heavy']} first {out['heavy_first_ms']} ms, then "
        f"{out['heavy_cached_median_ms']} ms; 8 clients: heavy cached "
        f"{out['heavy_cached_rps8']}, lookup cached {out['lookup_cached_rps8']}, "
        f"lookup uncached {out['lookup_uncached_rps8']} req/s"
    )
    return out


def ikgraph_cmd() -> list[str]:
    script = Path(sys.executable).parent / "ikgraph"
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-c", "from ikgraph.cli import main; main()", "serve"]


#: ikgraph variants: name → settings on top of the defaults of ``ikgraph serve``.
IKGRAPH_VARIANTS: dict[str, dict[str, str]] = {
    "ikgraph": {"IKGRAPH_CACHE_BYTES": "0"},
    "ikgraph-cached": {},
    "ikgraph-noworkers": {"IKGRAPH_CACHE_BYTES": "0", "IKGRAPH_QUERY_WORKERS": "0"},
}


def ikgraph_env(store_dir: Path, port: int, args, variant: str) -> dict:
    """``ikgraph serve``'s settings: its defaults, but no per-client rate limit (one load
    generator is one client) and the benchmark's time cap, plus the variant's own."""
    env = dict(os.environ)
    env.update(
        {
            "IKGRAPH_STORE": f"oxigraph:{store_dir}",
            "IKGRAPH_PORT": str(port),
            "IKGRAPH_THREADS": str(args.threads),
            "IKGRAPH_QUERY_TIMEOUT": str(args.cap),
            "IKGRAPH_RATE_LIMIT_QUERY": "",
        }
    )
    env.update(IKGRAPH_VARIANTS[variant])
    return env


def make_servers(size: int, data: Path, store_dir: Path, args) -> list[Server]:
    """The servers of one size, each on its own copy of the on-disk store (one
    Oxigraph store can be opened by one process at a time)."""
    logs = RESULTS / "logs"
    servers = []
    variants = [v for v in IKGRAPH_VARIANTS if v in args.servers]
    if "ikgraph" in args.servers:
        variants.append("ikgraph-cached")
    for name in variants:
        port = free_port()
        copy = store_dir.with_name(f"{store_dir.name}-{name}")
        shutil.copytree(store_dir, copy)
        env = ikgraph_env(copy, port, args, name)
        servers.append(
            Server(name, ikgraph_cmd(), port=port, env=env, logfile=logs / f"{name}-{size}.log")
        )
    if "minimal" in args.servers:
        port = free_port()
        copy = store_dir.with_name(f"{store_dir.name}-minimal")
        shutil.copytree(store_dir, copy)
        cmd = [sys.executable, str(HERE / "minimal_endpoint.py"), str(copy)]
        cmd += ["--port", str(port), "--threads", str(args.threads)]
        servers.append(
            Server("minimal", cmd, port=port, env=None, logfile=logs / f"minimal-{size}.log")
        )
    if "rdflib-endpoint" in args.servers and size <= args.rdflib_endpoint_max:
        port = free_port()
        cmd = [sys.executable, str(HERE / "rdflib_endpoint_server.py"), str(data)]
        cmd += ["--port", str(port)]
        servers.append(
            Server("rdflib-endpoint", cmd, port=port, env=None, logfile=logs / f"rdflib-{size}.log")
        )
    return servers


def over_http(size: int, data: Path, store_dir: Path, queries, inproc: dict, args) -> dict:
    """All servers of one size up at once; each query measured on each server in turn,
    ``--rounds`` times in alternating order, so that a noisy machine hits them alike."""
    servers = make_servers(size, data, store_dir, args)
    out: dict[str, Any] = {}
    rd = inproc.get("rdflib", {})
    rdflib_dnf = {
        q: f"rdflib did not finish in process within {args.cap:.0f} s"
        for q, v in rd.items()
        if isinstance(v, dict) and v.get("dnf")
    }
    if "rdflib-endpoint" in args.servers and size > args.rdflib_endpoint_max:
        out["rdflib-endpoint"] = {
            "skipped": f"above --rdflib-endpoint-max {args.rdflib_endpoint_max}: rdflib "
            "takes minutes per aggregate and gigabytes of memory at this size"
        }
    up: dict[str, Server] = {}
    try:
        for server in servers:
            log(f"{size}: starting {server.name}")
            try:
                server.start(timeout=900 if server.name == "rdflib-endpoint" else 120)
                up[server.name] = server
                log(f"  {server.name} ready in {server.start_seconds:.1f} s")
            except (RuntimeError, TimeoutError, OSError) as exc:
                out[server.name] = {"error": str(exc)}
                log(f"  {server.name}: {exc}")
        rounds: dict[str, dict[str, list]] = {name: {} for name in up}
        compared = [s for s in up.values() if s.name in ("ikgraph", "ikgraph-noworkers", "minimal")]
        for name, text in queries.items():
            for r in range(args.rounds):
                order = compared if r % 2 == 0 else compared[::-1]
                if r == 0 and "rdflib-endpoint" in up:
                    order = [*order, up["rdflib-endpoint"]]
                for server in order:
                    earlier = rounds[server.name].get(name, [])
                    if server.stuck and not restart(server):
                        got = {"skipped": "the server could not be restarted"}
                    elif earlier and slow(earlier[0], args):
                        continue  # one round of a query this slow is enough
                    elif server.name == "rdflib-endpoint" and name in rdflib_dnf:
                        got = {"skipped": rdflib_dnf[name]}
                    else:
                        got = one_round(
                            server, name, text, args, serial=server.name == "rdflib-endpoint"
                        )
                    rounds[server.name].setdefault(name, []).append(got)
                    log(f"  {server.name} {name} round {r + 1}: {brief(got)}")
        if "ikgraph-cached" in up and "ikgraph" in up:
            log(f"{size}: answer cache")
            failed = {
                q for q, r in rounds["ikgraph"].items() if not any("samples_ms" in x for x in r)
            }
            out["cache"] = cache_rounds(
                up["ikgraph-cached"], up["ikgraph"], queries, args, failed=failed
            )
    finally:
        for server in servers:
            server.stop()
        for copy in store_dir.parent.glob(f"{store_dir.name}-*"):
            shutil.rmtree(copy, ignore_errors=True)
    expected = {q: v.get("rows") for q, v in inproc.get("oxigraph-disk", {}).items()}
    for name, server in up.items():
        queries_out = {q: summarize(r) for q, r in rounds[name].items()}
        for q, entry in queries_out.items():
            if expected.get(q) not in (None, entry.get("rows", expected.get(q))):
                entry["rows_expected"] = expected[q]
        out[name] = {
            "start_s": round(server.start_seconds, 2),
            "ready_rss_mb": round(server.ready_rss / 2**20, 1),
            "peak_rss_mb": round(server.peak_rss / 2**20, 1),
            "processes": server.processes,
            "queries": queries_out,
        }
    return out


def restart(server: Server) -> bool:
    """Restart a server left busy by a query past the cap (it would delay the next)."""
    log(f"  restarting {server.name}: still busy with a query past the cap")
    server.stop()
    try:
        server.start(timeout=900)
    except (RuntimeError, TimeoutError, OSError) as exc:
        log(f"  {server.name}: {exc}")
        return False
    return True


def slow(entry: dict, args) -> bool:
    """Whether a round needs no repetition: it failed (DNF, an error such as a timeout)
    or its single latency sample used up the whole sampling budget."""
    if entry.get("dnf") or "error" in entry:
        return True
    return "samples_ms" in entry and min(entry["samples_ms"]) / 1000 >= args.budget


def brief(entry: dict) -> str:
    if "samples_ms" in entry:
        c1, c8 = entry.get("c1", {}), entry.get("c8", {})
        return (
            f"{statistics.median(entry['samples_ms']):.2f} ms, "
            f"{c1.get('rps', 'skip')} / {c8.get('rps', 'skip')} req/s "
            f"(server {c8.get('server_cores', '–')} cores, others {c8.get('other_cores', '–')})"
        )
    return json.dumps(entry)[:120]


# --- report -------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if value >= 1 else f"{value:.{max(digits, 2)}f}"


def cell_ms(entry: dict | None) -> str:
    if not entry:
        return "–"
    if entry.get("dnf"):
        return f"DNF ({entry['cap_s']:.0f} s)"
    if "skipped" in entry:
        return "skip"
    if "error" in entry:
        return f"HTTP {entry['error']}"
    return fmt(entry.get("median_ms"), 2)


def rps(entry: dict | None, clients: int) -> float | None:
    point = (entry or {}).get(f"c{clients}") or {}
    return point.get("rps") if "skipped" not in point else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def rps_cell(entry: dict | None, clients: int) -> str:
    point = (entry or {}).get(f"c{clients}") or {}
    if entry and entry.get("dnf"):
        return "DNF"
    if "skipped" in point or (entry and "skipped" in entry):
        return "skip"
    return fmt(point.get("rps"))


def report(results: dict) -> str:
    lines = []
    meta = results["meta"]
    lines.append(f"# ikgraph benchmark, {meta['date']}\n")
    lines.append(
        f"Machine: {meta['nproc']} cores, {meta['mem_gb']} GB, Python {meta['python']}, "
        f"{meta['platform']}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f". Load average at start: {meta['loadavg']}. Settings: {meta['settings']}.\n"
    )
    for size, res in results["sizes"].items():
        inp = res.get("inprocess", {})
        lines.append(f"## {int(size):,} measures ({inp.get('triples', 0):,} triples)\n")
        load = inp.get("load", {})
        lines.append(
            "Load: pyoxigraph memory "
            f"{fmt(load.get('oxigraph_memory_s'))} s, disk {fmt(load.get('oxigraph_disk_s'))} s "
            f"(reopen {fmt(load.get('oxigraph_reopen_s'), 3)} s), rdflib "
            f"{fmt(load.get('rdflib_s'))} s.\n"
        )
        if inp:
            lines.append("In process, median ms:\n")
            lines.append(
                "| query | rows | oxigraph memory | oxigraph disk | rdflib | rdflib ÷ ox memory |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|")
            for q in QUERIES:
                mem = inp.get("oxigraph-memory", {}).get(q, {})
                disk = inp.get("oxigraph-disk", {}).get(q, {})
                rd = (
                    inp.get("rdflib", {}).get(q) if "skipped" not in inp.get("rdflib", {}) else None
                )
                if rd and rd.get("dnf"):
                    speed = f"> {fmt(rd['cap_s'] * 1000 / mem['median_ms'], 0)}"
                else:
                    speed = fmt(ratio((rd or {}).get("median_ms"), mem.get("median_ms")), 0)
                lines.append(
                    f"| {q} | {mem.get('rows', '–')} | {cell_ms(mem)} | {cell_ms(disk)} | "
                    f"{cell_ms(rd) if rd else 'skip'} | {speed} |"
                )
            lines.append("")
        http = res.get("http", {})
        if http:
            ik = http.get("ikgraph", {}).get("queries", {})
            mi = http.get("minimal", {}).get("queries", {})
            rde = http.get("rdflib-endpoint", {})
            rq = rde.get("queries", {})
            lines.append(
                "Over HTTP: median ms of sequential requests; requests/s at 1 and 8 clients "
                "(median of the rounds); ratios at 8 clients; CPU cores used by ikgraph and by "
                "other work on the machine during ikgraph's 8-client point:\n"
            )
            lines.append(
                "| query | ikgraph ms | minimal ms | rdflib-ep ms | ikgraph 1 | ikgraph 8 | "
                "minimal 1 | minimal 8 | rdflib-ep 1 | rdflib-ep 8 | ik÷min | ik÷rdflib "
                "| ik 8÷1 | ik cores | other cores |"
            )
            lines.append("|---|" + "---:|" * 14)
            for q in QUERIES:
                a, b, c = ik.get(q), mi.get(q), rq.get(q)
                point = (a or {}).get("c8") or {}
                lines.append(
                    f"| {q} | {cell_ms(a)} | {cell_ms(b)} | {cell_ms(c) if rq else 'skip'} | "
                    f"{rps_cell(a, 1)} | {rps_cell(a, 8)} | {rps_cell(b, 1)} | {rps_cell(b, 8)} | "
                    f"{rps_cell(c, 1) if rq else 'skip'} | {rps_cell(c, 8) if rq else 'skip'} | "
                    f"{fmt(ratio(rps(a, 8), rps(b, 8)), 2)} | "
                    f"{fmt(ratio(rps(a, 8), rps(c, 8) or rps(c, 1)), 1)} | "
                    f"{fmt(ratio(rps(a, 8), rps(a, 1)), 2)} | "
                    f"{fmt(point.get('server_cores'), 2)} | {fmt(point.get('other_cores'), 2)} |"
                )
            nw = http.get("ikgraph-noworkers", {}).get("queries", {})
            if nw:
                lines.append(
                    "\nikgraph with IKGRAPH_QUERY_WORKERS=0 (queries evaluated in the server "
                    "process), same rounds:\n"
                )
                lines.append("| query | ms | 1 client | 8 clients | ÷minimal @8 | ÷ikgraph @8 |")
                lines.append("|---|---:|---:|---:|---:|---:|")
                for q in QUERIES:
                    a = nw.get(q)
                    lines.append(
                        f"| {q} | {cell_ms(a)} | {rps_cell(a, 1)} | {rps_cell(a, 8)} | "
                        f"{fmt(ratio(rps(a, 8), rps(mi.get(q), 8)), 2)} | "
                        f"{fmt(ratio(rps(a, 8), rps(ik.get(q), 8)), 2)} |"
                    )
            lines.append("")
            mem_cells = []
            for name in (*IKGRAPH_VARIANTS, "minimal", "rdflib-endpoint"):
                entry = http.get(name, {})
                if "peak_rss_mb" in entry:
                    mem_cells.append(
                        f"{name} {fmt(entry['peak_rss_mb'], 0)} MB "
                        f"(ready {fmt(entry.get('ready_rss_mb'), 0)} MB)"
                    )
                elif "skipped" in entry:
                    mem_cells.append(f"{name}: skipped ({entry['skipped']})")
            if inp.get("rdflib_peak_rss_mb"):
                mem_cells.append(f"rdflib in process {fmt(inp['rdflib_peak_rss_mb'], 0)} MB")
            lines.append("Peak resident memory: " + "; ".join(mem_cells) + ".\n")
            cache = http.get("cache", {})
            if cache.get("heavy"):
                lines.append(
                    "Answer cache (ikgraph with IKGRAPH_CACHE_BYTES default): "
                    + "".join(f"{q} failed ({why}); " for q, why in cache.get("failed", {}).items())
                    + f"{cache.get('heavy', HEAVY)} "
                    + (f"({fmt(cache['heavy_bytes'])} bytes) " if "heavy_bytes" in cache else "")
                    + f"first {fmt(cache['heavy_first_ms'])} ms, then "
                    f"{fmt(cache['heavy_cached_median_ms'], 2)} ms; at 8 clients: heavy from the "
                    f"cache {fmt(cache['heavy_cached_rps8'])} req/s, lookup from the cache "
                    f"{fmt(cache['lookup_cached_rps8'])} req/s, lookup without cache "
                    f"{fmt(cache['lookup_uncached_rps8'])} req/s.\n"
                )
    lines.append("## Targets\n")
    lines.append("| target | size | measured | result |")
    lines.append("|---|---:|---|---|")
    for row in targets(results):
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def targets(results: dict) -> list[list[str]]:
    rows = []

    def verdict(value: float | None, goal: float, *, at_most: bool = False) -> str:
        if value is None:
            return "not measured"
        ok = value <= goal if at_most else value >= goal
        return "met" if ok else "MISSED"

    for size, res in results["sizes"].items():
        http = res.get("http", {})
        ik = http.get("ikgraph", {}).get("queries", {})
        mi = http.get("minimal", {}).get("queries", {})
        rq = http.get("rdflib-endpoint", {}).get("queries", {})
        cache = http.get("cache", {}) if http.get("cache", {}).get("heavy") else {}
        if not ik:
            continue
        r = ratio(rps(ik.get("lookup"), 8), rps(mi.get("lookup"), 8))
        rows.append(["lookup @8 ≥ 0.7× minimal", size, fmt(r, 2) + "×", verdict(r, 0.7)])
        if rq:
            r = ratio(rps(ik.get("lookup"), 8), rps(rq.get("lookup"), 8))
            rows.append(["lookup @8 ≥ 3× rdflib-endpoint", size, fmt(r, 1) + "×", verdict(r, 3)])
            for q in AGGREGATES:
                entry = rq.get(q, {})
                if entry.get("dnf") or "did not finish" in entry.get("skipped", ""):
                    rows.append(
                        [f"{q} @8 ≥ 10× rdflib-endpoint", size, "rdflib-endpoint DNF", "met"]
                    )
                    continue
                ours, theirs = rps(ik.get(q), 8), rps(entry, 8)
                if theirs is None and rps(entry, 1):
                    theirs = rps(entry, 1)  # a serial server: 8 clients share its one loop
                r = ratio(ours, theirs)
                rows.append(
                    [f"{q} @8 ≥ 10× rdflib-endpoint", size, fmt(r, 1) + "×", verdict(r, 10)]
                )
        for q in AGGREGATES:
            r = ratio(rps(ik.get(q), 8), rps(ik.get(q), 1))
            rows.append([f"{q}: 8 clients ≥ 1.7× 1 client", size, fmt(r, 2) + "×", verdict(r, 1.7)])
        if cache:
            r = ratio(cache["heavy_cached_rps8"], cache["lookup_uncached_rps8"])
            rows.append(
                [
                    "cached heavy query @8 ≥ 0.9× lookup @8 (lookup uncached)",
                    size,
                    fmt(r, 2) + "×",
                    verdict(r, 0.9),
                ]
            )
            r = ratio(cache["heavy_cached_rps8"], cache["lookup_cached_rps8"])
            rows.append(
                [
                    "cached heavy query @8 ≥ 0.9× lookup @8 (both cached)",
                    size,
                    fmt(r, 2) + "×",
                    verdict(r, 0.9),
                ]
            )
        peak = max(
            (http.get(n, {}).get("peak_rss_mb") or 0 for n in ("ikgraph", "ikgraph-cached")),
            default=0,
        )
        if int(size) >= 100000:
            rows.append(
                [
                    "server peak memory ≤ 1.5 GB",
                    size,
                    f"{peak:,.0f} MB",
                    verdict(peak, 1536, at_most=True),
                ]
            )
    return rows


def machine(args) -> dict:
    import psutil

    versions = {}
    for dist in (
        "pyoxigraph",
        "rdflib",
        "flask",
        "waitress",
        "rdflib-endpoint",
        "fastapi",
        "uvicorn",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    wrk_version = None
    if shutil.which("wrk"):
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
        wrk_version = match.group(1) if match else "?"
    if wrk_version:
        versions["wrk"] = wrk_version
    defaults: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        from ikgraph import settings

        loaded = settings.load(environ={})
        keys = ("THREADS", "QUERY_WORKERS", "CACHE_BYTES", "MAX_ROWS", "QUERY_TIMEOUT")
        defaults = {k: loaded[k] for k in keys if k in loaded}
    digest = hashlib.sha256()
    for path in sorted((ROOT / "ikgraph").rglob("*.py")):
        digest.update(path.read_bytes())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "ikgraph_sources_sha256": digest.hexdigest()[:16],
        "ikgraph_defaults": defaults,
        "nproc": os.cpu_count(),
        "mem_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "versions": versions,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "settings": (
            f"seed {args.seed}, {args.repeats} repeats, {args.duration:g} s per throughput point, "
            f"{args.threads} server threads, cap {args.cap:g} s"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="measures, comma-separated")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=20, help="latency samples per query")
    parser.add_argument("--rdflib-repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=5.0, help="seconds of latency sampling")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput point")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds per query at most")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per query and server")
    parser.add_argument(
        "--max-point", type=float, default=60.0, help="seconds a throughput point may take"
    )
    parser.add_argument("--rdflib-max", type=int, default=10000)
    parser.add_argument("--rdflib-endpoint-max", type=int, default=10000)
    parser.add_argument(
        "--scenarios", default="inprocess,http", help="inprocess and/or http (comma-separated)"
    )
    parser.add_argument("--servers", default="ikgraph,minimal,rdflib-endpoint")
    parser.add_argument("--queries", default="", help="only these queries (comma-separated)")
    parser.add_argument(
        "--cache-query",
        default="",
        help="the heavy query of the cache scenario (default: the heaviest answered)",
    )
    parser.add_argument("--no-wrk", dest="wrk", action="store_false", help="Python client only")
    parser.add_argument(
        "--report",
        nargs="+",
        type=Path,
        help="print the report of saved results (bench/results/run-*.json) instead of running; "
        "with several files, later sizes replace earlier ones",
    )
    args = parser.parse_args(argv)
    if args.report:
        merged: dict[str, Any] = {"sizes": {}}
        for path in args.report:
            saved = json.loads(path.read_text(encoding="utf-8"))
            merged["meta"] = saved["meta"]
            merged["sizes"].update(saved["sizes"])
        print(report(merged))
        return 0
    args.servers = set(args.servers.split(","))
    if args.queries:
        wanted = set(args.queries.split(","))
        for name in [q for q in QUERIES if q not in wanted]:
            del QUERIES[name]
        AGGREGATES[:] = [q for q in AGGREGATES if q in wanted]
    scenarios = set(args.scenarios.split(","))
    if args.wrk and not shutil.which("wrk"):
        log("wrk not found (apt-get install wrk): using the Python client")
        args.wrk = False

    ensure_requirements()
    from generate import data_path, generate

    RESULTS.mkdir(parents=True, exist_ok=True)
    queries = load_queries()
    results: dict[str, Any] = {"meta": machine(args), "queries": QUERIES, "sizes": {}}
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    work = Path(tempfile.mkdtemp(prefix="ikgraph-bench-"))
    started = time.perf_counter()
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            data = data_path(size, args.seed)
            if not data.exists():
                log(f"{size}: generating {data.name}")
                generate(size, args.seed, data)
            store_dir = work / f"store-{size}"
            entry: dict[str, Any] = {"data": data.name}
            results["sizes"][str(size)] = entry
            entry["inprocess"] = in_process(
                size, data, store_dir, queries, args, measure="inprocess" in scenarios
            )
            if "http" in scenarios:
                entry["http"] = over_http(size, data, store_dir, queries, entry["inprocess"], args)
            shutil.rmtree(store_dir, ignore_errors=True)
            (RESULTS / f"run-{stamp}.json").write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["meta"]["seconds"] = round(time.perf_counter() - started)
    text = json.dumps(results, indent=1)
    (RESULTS / f"run-{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    markdown = report(results)
    (RESULTS / "latest.md").write_text(markdown)
    print(markdown)
    log(f"done in {results['meta']['seconds']} s; results in {RESULTS}/run-{stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
