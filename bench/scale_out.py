"""Scale out: the same query mix on embedded Oxigraph and on Virtuoso, side by side.

For each size (measures) of the synthetic graph (``bench/generate.py``):

load
    pyoxigraph ``Store.bulk_load`` into an on-disk store (in a child process, whose
    peak memory is recorded); Virtuoso's bulk loader (isql: ``ld_dir`` and
    ``rdf_loader_run``, then a checkpoint) into a fresh Virtuoso; up to
    ``--remote-load-max`` measures also ``ikgraph load --bulk`` through the SPARQL
    protocol (:class:`ikgraph.remote.RemoteStore`) into another fresh Virtuoso.
queries
    ``bench/queries/*.rq`` over HTTP, sequential requests, one warm-up and then the
    median of ``--repeats`` (fewer when a query takes longer than ``--budget`` s
    altogether): ``ikgraph serve`` on the Oxigraph store, ``ikgraph serve`` on the
    Virtuoso (``IKGRAPH_STORE=sparql:…``), and Virtuoso's own ``/sparql``. The answer
    cache of ikgraph is off, so every request runs its query.
memory
    peak resident memory of each server (with its children), sampled with psutil.

The Virtuoso is a throw-away one on loopback (``virtuoso-t`` and ``isql-vt``, as
``scripts/virtuoso.sh`` installs them) in a temporary folder, with the settings of
:data:`VIRTUOSO_INI` (memory for a machine of a few GB, a transaction limit large
enough for one swap of a whole graph, row limit above ``IKGRAPH_MAX_ROWS``)::

    .venv/bin/python bench/scale_out.py --sizes 10000,100000

Results go to ``bench/results/scale-out-*.json`` and a Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pyoxigraph as ox
import requests
from run import free_port, tree_rss

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
QUERY_DIR = HERE / "queries"
BIN = Path(sys.executable).parent
SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "text/turtle"
BASE = "https://w3id.org/ikg/"
NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#NamedGraph"

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
MaxClientConnections = 16
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
AllowOSCalls = 0
DirsAllowed = {db}, {data}
NumberOfBuffers = 340000
MaxDirtyBuffers = 250000
ThreadsPerQuery = 2
MaxQueryMem = 2G
TransactionAfterImageLimit = 1500000000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 16
ServerThreads = 16
MaxKeepAlives = 16
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = {cap}
MaxQueryCostEstimationTime = 100000
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Sampler:
    """Peak resident memory of a process and its children, sampled every 0.1 s."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, tree_rss(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(2)
        return self.peak


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def wait_for(url: str, proc: subprocess.Popen, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(requests.RequestException):
            answer = requests.get(
                url, params={"query": "ASK {}"}, headers={"Accept": SELECT_ACCEPT}, timeout=5
            )
            if answer.status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


class Virtuoso:
    """A fresh Virtuoso in ``folder`` with an ``ikgraph`` user (SPARQL select and update)."""

    def __init__(self, folder: Path, *, data: Path, cap: float):
        self.folder = folder
        self.db = folder / "db"
        self.isql_port, self.http_port = free_port(), free_port()
        self.password = secrets.token_hex(12)
        self.dba = secrets.token_hex(12)
        self.data = data
        self.cap = cap
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def spec(self) -> str:
        return f"sparql:{self.url}/sparql-auth"

    def start(self) -> Virtuoso:
        self.db.mkdir(parents=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(
                db=self.db,
                data=self.data,
                isql_port=self.isql_port,
                http_port=self.http_port,
                cap=int(self.cap),
            )
        )
        self.proc = subprocess.Popen(
            ["virtuoso-t", "+configfile", str(ini), "+foreground"],
            cwd=self.db,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(f"{self.url}/sparql", self.proc, timeout=120)
        self.isql(
            f"DB.DBA.USER_CREATE('ikgraph', '{self.password}'); "
            'GRANT SPARQL_SELECT TO "ikgraph"; GRANT SPARQL_UPDATE TO "ikgraph"; '
            f"DB.DBA.USER_PASSWORD_SET('dba', '{self.dba}');",
            password="dba",
        )
        return self

    def isql(self, sql: str, *, password: str | None = None) -> str:
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql_port}", "dba", password or self.dba, f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=7200,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    def bulk_load(self, path: Path) -> float:
        """Virtuoso's own loader; then ikgraph's list of graphs, so that it sees them."""
        began = time.perf_counter()
        self.isql(
            f"ld_dir('{path.parent}', '{path.name}', '{BASE}graph/default'); "
            "rdf_loader_run(); checkpoint;"
        )
        seconds = time.perf_counter() - began
        errors = self.isql(
            "SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;"
        )
        if "0 Rows" not in errors:
            raise RuntimeError(f"the Virtuoso bulk loader reported errors:\n{errors}")
        self.register_graphs()
        return seconds

    def register_graphs(self) -> None:
        from ikgraph.remote import GRAPHS, RemoteStore

        store = RemoteStore(
            f"{self.url}/sparql-auth", base=BASE, user="ikgraph", password=self.password
        )
        rows = store._select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(STRSTARTS(STR(?g), '{BASE}graph/')) }}"
        )
        listed = " ".join(f"<{r['g'].value}> a <{NAMED_GRAPH}> ." for r in rows)
        store.update(f"INSERT DATA {{ GRAPH <{GRAPHS}> {{ {listed} }} }}")
        store.close()

    def triples(self) -> int:
        answer = requests.get(
            f"{self.url}/sparql",
            params={
                "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                f"FILTER(STRSTARTS(STR(?g), '{BASE}graph/')) }}"
            },
            headers={"Accept": SELECT_ACCEPT},
            timeout=600,
        )
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    def rss(self) -> int:
        return tree_rss(self.proc.pid) if self.proc else 0

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


def load_oxigraph(data: Path, store: Path) -> dict:
    """Bulk-load into an on-disk store in a child process: seconds, triples, peak memory."""
    code = (
        "import resource, sys, time, pyoxigraph as ox\n"
        "t = time.perf_counter()\n"
        "s = ox.Store(sys.argv[2])\n"
        "s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.TRIG)\n"
        "s.flush()\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(time.perf_counter() - t, len(s), peak)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, triples, maxrss_kb = done.stdout.split()
    return {
        "load_s": round(float(seconds), 1),
        "triples": int(triples),
        "load_peak_mb": int(maxrss_kb) // 1024,
    }


def remote_load(data: Path, args, work: Path) -> dict:
    """``ikgraph load --bulk`` into a fresh Virtuoso, through the SPARQL protocol."""
    server = Virtuoso(work / "virtuoso-remote-load", data=data.parent, cap=args.cap).start()
    try:
        env = {
            **os.environ,
            "IKGRAPH_STORE": server.spec,
            "IKGRAPH_REMOTE_USER": "ikgraph",
            "IKGRAPH_REMOTE_PASSWORD": server.password,
            "IKGRAPH_REMOTE_TIMEOUT": str(args.cap * 10),
            "IKGRAPH_HISTORY_DIR": str(work / "history"),
        }
        began = time.perf_counter()
        subprocess.run(
            [str(BIN / "ikgraph"), "load", "--bulk", str(data)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        return {"remote_load_s": round(time.perf_counter() - began, 1)}
    finally:
        server.stop()


def serve_ikgraph(name: str, store_spec: str, env_extra: dict, args) -> tuple:
    port = free_port()
    env = {
        **os.environ,
        "IKGRAPH_STORE": store_spec,
        "IKGRAPH_PORT": str(port),
        "IKGRAPH_THREADS": str(args.threads),
        "IKGRAPH_QUERY_TIMEOUT": str(args.cap),
        "IKGRAPH_CACHE_BYTES": "0",
        "IKGRAPH_RATE_LIMIT_QUERY": "",
        **env_extra,
    }
    log_file = (RESULTS / "logs" / f"scale-out-{name}.log").open("ab")
    proc = subprocess.Popen(
        [str(BIN / "ikgraph"), "serve"],
        env=env,
        cwd=ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    wait_for(f"http://127.0.0.1:{port}/sparql", proc, timeout=300)
    return proc, f"http://127.0.0.1:{port}/sparql"


def run_queries(endpoint: str, queries: dict[str, str], args) -> dict:
    """Median ms per query of sequential requests after one warm-up, and the answer size."""
    from ikgraph.querytext import query_form

    out: dict[str, Any] = {}
    session = requests.Session()
    for name, text in queries.items():
        graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        accept = GRAPH_ACCEPT if graph else SELECT_ACCEPT
        samples: list[float] = []
        size = status = None
        spent = 0.0
        for i in range(args.repeats + 1):
            began = time.perf_counter()
            try:
                answer = session.get(
                    endpoint,
                    params={"query": text},
                    headers={"Accept": accept},
                    timeout=args.cap + 30,
                )
            except requests.RequestException as exc:
                status = f"error: {type(exc).__name__}"
                break
            took = time.perf_counter() - began
            spent += took
            status = answer.status_code
            if status != 200 or answer.headers.get("X-SQL-State"):
                status = f"{status} {answer.headers.get('X-SQL-State', '')}".strip()
                break
            if accept == SELECT_ACCEPT:
                size = len(answer.json()["results"]["bindings"])
            else:
                size = len(set(ox.parse(answer.content, format=ox.RdfFormat.TURTLE)))
            if i:
                samples.append(took)
            if spent > args.budget and samples:
                break
        out[name] = {
            "median_ms": round(statistics.median(samples) * 1000, 2) if samples else None,
            "samples": len(samples),
            "rows": size,
            "status": status,
        }
        log(f"    {name}: {out[name]}")
    session.close()
    return out


def one_size(size: int, queries: dict[str, str], args, work: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import data_path, generate

    data = data_path(size, args.seed)
    if not data.exists():
        log(f"generating {data.name}")
        generate(size, args.seed, data)
    entry: dict[str, Any] = {"data": data.name}

    log(f"{size}: pyoxigraph bulk load")
    store = work / f"oxigraph-{size}"
    entry["oxigraph"] = load_oxigraph(data, store)
    log(f"  {entry['oxigraph']}")

    log(f"{size}: Virtuoso bulk loader")
    server = Virtuoso(work / f"virtuoso-{size}", data=data.parent, cap=args.cap).start()
    sampler = Sampler(server.proc.pid)
    try:
        entry["virtuoso"] = {"load_s": round(server.bulk_load(data), 1)}
        entry["virtuoso"]["triples"] = server.triples()
        entry["virtuoso"]["load_peak_mb"] = sampler.stop() // 2**20
        entry["virtuoso"]["loaded_rss_mb"] = server.rss() // 2**20
        log(f"  {entry['virtuoso']}")

        targets = {}
        proc, url = serve_ikgraph("oxigraph", f"oxigraph:{store}", {}, args)
        targets["ikgraph+oxigraph"] = (proc, url)
        remote_env = {"IKGRAPH_REMOTE_USER": "ikgraph", "IKGRAPH_REMOTE_PASSWORD": server.password}
        remote_env["IKGRAPH_REMOTE_TIMEOUT"] = str(args.cap + 10)
        proc, url = serve_ikgraph("virtuoso", server.spec, remote_env, args)
        targets["ikgraph+virtuoso"] = (proc, url)
        entry["queries"] = {}
        entry["peak_mb"] = {}
        try:
            for name, (proc, url) in targets.items():
                log(f"  {name}")
                watch = Sampler(proc.pid)
                entry["queries"][name] = run_queries(url, queries, args)
                entry["peak_mb"][name] = watch.stop() // 2**20
            log("  virtuoso /sparql")
            watch = Sampler(server.proc.pid)
            entry["queries"]["virtuoso"] = run_queries(f"{server.url}/sparql", queries, args)
            entry["peak_mb"]["virtuoso"] = watch.stop() // 2**20
        finally:
            for proc, _ in targets.values():
                stop_process(proc)
    finally:
        server.stop()
    if size <= args.remote_load_max:
        log(f"{size}: ikgraph load --bulk into Virtuoso (SPARQL protocol)")
        entry["virtuoso"].update(remote_load(data, args, work))
        log(f"  {entry['virtuoso']}")
    shutil.rmtree(store, ignore_errors=True)
    return entry


def report(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"# ikgraph scale out, {meta['date']}",
        "",
        f"Machine: {meta['nproc']} cores, {meta['mem_gb']} GB; load average at start "
        f"{meta['loadavg_start']}, at end {meta['loadavg_end']}. {meta['settings']}.",
    ]
    for size, entry in results["sizes"].items():
        ox_, vt = entry["oxigraph"], entry["virtuoso"]
        lines += [
            "",
            f"## {int(size):,} measures",
            "",
            f"Load: pyoxigraph bulk_load (disk) {ox_['load_s']} s, {ox_['triples']:,} triples, "
            f"peak {ox_['load_peak_mb']} MB; Virtuoso ld_dir + rdf_loader_run {vt['load_s']} s, "
            f"{vt['triples']:,} triples, peak {vt['load_peak_mb']} MB"
            + (
                f"; ikgraph load --bulk into Virtuoso {vt['remote_load_s']} s"
                if "remote_load_s" in vt
                else ""
            )
            + ".",
            "",
            "| query | rows | ikgraph + Oxigraph ms | ikgraph + Virtuoso ms "
            "| Virtuoso /sparql ms |",
            "|---|---:|---:|---:|---:|",
        ]
        answers = entry["queries"]
        for name in answers["ikgraph+oxigraph"]:
            cells = []
            for target in ("ikgraph+oxigraph", "ikgraph+virtuoso", "virtuoso"):
                got = answers[target][name]
                cells.append(
                    f"{got['median_ms']:,}" if got["median_ms"] is not None else str(got["status"])
                )
            rows = {answers[t][name]["rows"] for t in answers}
            lines.append(
                f"| {name} | {'/'.join(str(r) for r in sorted(rows, key=str))} | "
                + " | ".join(cells)
                + " |"
            )
        peaks = entry["peak_mb"]
        lines += [
            "",
            f"Peak resident memory while answering: ikgraph + Oxigraph "
            f"{peaks['ikgraph+oxigraph']} MB (server and query workers), ikgraph + Virtuoso "
            f"{peaks['ikgraph+virtuoso']} MB, Virtuoso {peaks['virtuoso']} MB "
            f"({vt['loaded_rss_mb']} MB after the load).",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from ikgraph.settings import load as load_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeats", type=int, default=5, help="timed requests per query")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per query at most")
    parser.add_argument("--cap", type=float, default=120.0, help="query time limit, seconds")
    parser.add_argument("--threads", type=int, default=8, help="ikgraph serve threads")
    parser.add_argument("--remote-load-max", type=int, default=10000)
    args = parser.parse_args(argv)
    if not (shutil.which("virtuoso-t") and shutil.which("isql-vt")):
        sys.exit("virtuoso-t and isql-vt are needed: bash scripts/virtuoso.sh start installs them")
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERY_DIR.glob("*.rq"))}
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(),
            "mem_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "settings": (
                f"seed {args.seed}; per query one warm-up, then the median of up to "
                f"{args.repeats} sequential requests (at most {args.budget:g} s); cap "
                f"{args.cap:g} s; ikgraph serve with {args.threads} threads, answer cache off, "
                f"{load_settings()['QUERY_WORKERS']} query workers on the embedded store"
            ),
        },
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="ikgraph-scale-out-") as work:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            results["sizes"][str(size)] = one_size(size, queries, args, Path(work))
    results["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"scale-out-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
