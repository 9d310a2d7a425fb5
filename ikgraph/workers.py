"""Query workers: SPARQL queries evaluated in processes that can be stopped.

Oxigraph cannot cancel a query, and a query that builds a huge intermediate
result (a cartesian product, an ``ORDER BY`` over everything) takes the memory
of whatever process runs it. So the public endpoint runs its queries in a
small pool of worker processes (``IKGRAPH_QUERY_WORKERS``), each a fresh
interpreter (``python -m ikgraph.workers``, about 0.15 s to start) talking to
the server over a socket pair; nothing forks the threaded server:

- **time**: the server waits for each message of a worker no longer than the
  query's deadline (:class:`ikgraph.limits.Deadline`); past it the worker is
  killed (``SIGKILL``), the client gets 503 naming ``IKGRAPH_QUERY_TIMEOUT``
  and a new worker takes its place. The other workers, and the server's
  threads, go on answering.
- **memory**: each worker caps its address space (``RLIMIT_AS``) at what it
  needs to hold the store plus ``IKGRAPH_QUERY_MEMORY_MB``. A query past the
  cap ends the worker (Oxigraph aborts when an allocation fails); the client
  gets 503 naming the setting.
- **rows**: the worker applies the row limit itself (:func:`ikgraph.limits.cut`,
  reading ahead up to :data:`READ_AHEAD` rows, so that an answer within the
  default ``IKGRAPH_MAX_ROWS`` is evaluated once) and hands the answer over in
  pieces, one per request of the server, so neither side ever holds more than
  a piece and the read-ahead.
- **encoding**: for a format the server names, the worker writes the answer
  itself (:mod:`ikgraph.serialize`) and sends bytes, of which the first
  :data:`MESSAGE_BYTES` come with the head: a small answer costs the server
  one message out and one back, and no Python work per row. Otherwise (the
  HTML table, the query API) it sends rows, :data:`BATCH` at a time.

Workers read **snapshots**, never the live store: writes stay in the server
(the primary). A store of at most ``IKGRAPH_WORKER_MEMORY_QUADS`` quads is
dumped to N-Quads that each worker loads into memory, where Oxigraph answers
heavy queries several times faster than from disk; a larger on-disk store is
checkpointed with ``Store.backup`` (hard links, milliseconds) into a folder
beside it and opened with ``Store.read_only``, which is defined only for a
folder no process writes. A new snapshot is
made the first time a query meets a new store version, and an old one is
removed once no worker has it open. The answer cache stays in the server.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pickle
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox

from ikgraph import limits
from ikgraph.querytext import has_dataset_clause
from ikgraph.serialize import SELECT_WRITERS, boolean, graph
from ikgraph.store import OxigraphStore, Store

log = logging.getLogger(__name__)

#: Rows or triples sent per message.
BATCH = 500

#: Bytes of a written answer gathered into one message (the head carries the first).
MESSAGE_BYTES = 256 * 1024

#: Rows a worker reads ahead to learn whether an answer is cut at the row limit
#: (see :func:`ikgraph.limits.cut`): larger answers are evaluated twice.
READ_AHEAD = 10_000

#: Exit code of a worker that ran out of memory in Python code (Oxigraph aborts instead).
MEMORY_EXIT = 3

#: ``ASK`` answers, made by Oxigraph so they serialize as its own do.
_EMPTY = ox.Store()
BOOLEANS = {True: _EMPTY.query("ASK {}"), False: _EMPTY.query("ASK { FILTER(false) }")}


class Snapshot(NamedTuple):
    """A read-only copy of the store at one version, for the workers to open."""

    id: int
    version: str
    path: str
    kind: str  # "rocksdb" (a checkpoint folder) or "nquads" (a dump file)


class _Pipe:
    """A socket between the server and a worker: whole messages, pickled (plain
    :mod:`pickle`, newest protocol: quicker than ``Connection.send`` for the small
    messages of cheap queries)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def send(self, message: Any) -> None:
        self.conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def recv(self) -> Any:
        return pickle.loads(self.conn.recv_bytes())

    def poll(self, timeout: float) -> bool:
        return self.conn.poll(timeout)

    def close(self) -> None:
        self.conn.close()


# --- in the worker -------------------------------------------------------------------------


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cap_memory(megabytes: int) -> None:
    """Let the process grow by ``megabytes`` from here, no further (0: no cap)."""
    if megabytes > 0:
        cap = _address_space() + megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))


def _open(snapshot: Snapshot) -> ox.Store:
    if snapshot.kind == "rocksdb":
        return ox.Store.read_only(snapshot.path)
    store = ox.Store()  # parsed, not loaded: blank nodes keep their labels
    store.bulk_extend(ox.parse(path=snapshot.path, format=ox.RdfFormat.N_QUADS))
    return store


def _evaluate(store: ox.Store, job: dict[str, Any]):
    kwargs: dict[str, Any] = {}
    if job["default_graph"] is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job["default_graph"]]
    elif job["union"]:
        kwargs["use_default_graph_as_union"] = True
    if job["named_graphs"] is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    if job.get("substitutions"):
        kwargs["substitutions"] = {ox.Variable(k): v for k, v in job["substitutions"].items()}
    return store.query(job["query"], **kwargs)


def _failure(exc: BaseException) -> tuple[str, str, str]:
    if isinstance(exc, limits.QueryTimeout):
        return ("error", "timeout", str(exc))
    if isinstance(exc, SyntaxError):
        return ("error", "syntax", str(exc.msg))
    if isinstance(exc, ValueError | TypeError):
        return ("error", "value", str(exc))
    if isinstance(exc, OSError):
        return ("error", "store", str(exc))
    return ("error", "evaluation", str(exc))


def _written(form: str, key: str, prefixes, names, items, truncated, result) -> Iterator[bytes]:
    """The answer in the format ``key``, as :mod:`ikgraph.views.sparql` writes it."""
    if form == "ASK":
        if key not in SELECT_WRITERS:
            raise RuntimeError(f"an ASK answer cannot be written as {key}")
        return iter([boolean(key, result)])
    if form == "SELECT":
        if key not in SELECT_WRITERS:
            raise RuntimeError(f"a SELECT answer cannot be written as {key}")
        return SELECT_WRITERS[key](names, items, truncated)
    if key in SELECT_WRITERS:
        raise RuntimeError(f"a {form} answer cannot be written as {key}")
    return graph(key, items, prefixes=prefixes)


def _pieces(chunks: Iterator[bytes]) -> Iterator[tuple[list[bytes], bool]]:
    """Chunks gathered into pieces of about :data:`MESSAGE_BYTES`; True marks the last."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= MESSAGE_BYTES:
            yield [b"".join(parts)], False
            parts, size = [], 0
    yield ([b"".join(parts)] if parts else []), True


def _batches(rows: Iterator[Any]) -> Iterator[tuple[list[Any], bool]]:
    while True:
        batch = list(itertools.islice(rows, BATCH))
        yield batch, len(batch) < BATCH
        if len(batch) < BATCH:
            return


def _answer(conn, store: ox.Store, job: dict[str, Any]) -> None:
    """Evaluate one query and send its answer, a piece each time the server asks.

    With ``job["format"]`` the pieces are the written answer (bytes) and the head
    carries the first; without, they are rows or triples.
    """
    deadline = limits.Deadline(job["seconds"], configured=job["configured"])
    key = job.get("format")
    try:
        first = _evaluate(store, job)
        names, truncated, value = None, False, None
        if isinstance(first, ox.QueryBoolean):
            form, value, rows = "ASK", bool(first), iter(())
        else:
            select = isinstance(first, ox.QuerySolutions)
            form = "SELECT" if select else "CONSTRUCT"
            names = [v.value for v in first.variables] if select else None
            pending = [first]
            items, truncated = limits.cut(
                lambda: pending.pop() if pending else _evaluate(store, job),
                rows=job["rows"],
                limit=deadline,
                read_ahead=READ_AHEAD,
            )
            rows = (tuple(r) for r in items) if select and key is None else items
        if key is None:
            pieces = _batches(rows)
            head = ("head", form, names, truncated, value, None)
        else:
            answer = _written(form, key, job.get("prefixes"), names, rows, truncated, first)
            pieces = _pieces(answer)
            head = ("head", form, names, truncated, value, next(pieces))
    except MemoryError:
        raise
    except Exception as exc:
        conn.send(_failure(exc))
        return
    conn.send(head)
    if (form == "ASK" and key is None) or (head[5] is not None and head[5][1]):
        return  # all sent
    while conn.recv() == "next":
        try:
            piece, last = next(pieces)
        except MemoryError:
            raise
        except Exception as exc:
            conn.send(_failure(exc))
            return
        conn.send(("rows", piece, last))
        if last:
            return


def _watch_parent(parent: int) -> None:
    """End this process when the server that started it is gone (even by SIGKILL)."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(1)


def serve(conn, memory_mb: int) -> None:
    """The worker's loop: open snapshots as asked, answer queries, until the pipe closes."""
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    store: ox.Store | None = None
    loaded: int | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "query":
            continue  # a stop for an answer that already ended
        snapshot, job = message[1], message[2]
        try:
            if snapshot.id != loaded:
                resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY,) * 2)
                store = None
                store = _open(snapshot)
                loaded = snapshot.id
                _cap_memory(memory_mb)
        except Exception as exc:
            conn.send(("error", "store", f"cannot open the snapshot: {exc}"))
            continue
        try:
            _answer(conn, store, job)
        except MemoryError:
            os._exit(MEMORY_EXIT)  # a message cut midway would leave the pipe unreadable


# --- in the server -------------------------------------------------------------------------


class QueryMemory(limits.LimitError):
    """A query needed more memory than its worker may use."""

    status = 503


class WorkerFailed(limits.LimitError):
    """A worker ended without answering, for a reason other than time or memory."""

    status = 503


class _Worker:
    """One worker process (``python -m ikgraph.workers``) and the pipe to it."""

    def __init__(self, memory_mb: int):
        here, there = socket.socketpair()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        with there:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(there.fileno()), str(memory_mb)],
                pass_fds=(there.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        self.conn = _Pipe(Connection(here.detach()))
        self.snapshot: Snapshot | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> int | None:
        """Stop the process at once (SIGKILL); returns its exit code."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.conn.close()
        return self.process.returncode


class QueryWorkers:
    """A pool of query worker processes serving snapshots of one embedded store.

    :param store: the store (on disk or in memory) the server writes to.
    :param size: number of workers.
    :param memory_mb: ``IKGRAPH_QUERY_MEMORY_MB``, the growth each worker may
        allow itself per query (0: no cap).
    """

    def __init__(self, store: OxigraphStore, *, size: int, memory_mb: int, memory_quads: int = 0):
        self.store = store
        self.size = size
        self.memory_mb = memory_mb
        self.memory_quads = memory_quads
        self._lock = threading.Condition()
        self._snapshot_lock = threading.Lock()
        self._spawn_lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._snapshots: dict[int, Snapshot] = {}
        self._current: Snapshot | None = None
        self._ids = itertools.count(1)
        self._closed = False
        if store.path is not None:
            self._folder = store.path.with_name(f".{store.path.name}.snapshots")
            shutil.rmtree(self._folder, ignore_errors=True)  # left by a server that was killed
            self._folder.mkdir(parents=True)
        else:
            self._folder = Path(tempfile.mkdtemp(prefix="ikgraph-snapshots-"))

    # workers

    def start(self) -> None:
        """Start as many workers as are missing (all of them at first)."""
        with self._spawn_lock:
            with self._lock:
                missing = self.size - len(self._idle) - len(self._busy)
            for _ in range(missing):
                self._add(_Worker(self.memory_mb))

    def _add(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._idle.insert(0, worker)  # a new worker is taken last: it is still starting
            self._lock.notify()

    def pids(self) -> list[int]:
        """Process ids of the workers (for monitoring and tests)."""
        with self._lock:
            return [w.pid for w in [*self._idle, *self._busy] if w.pid is not None]

    def _acquire(self, limit: limits.Deadline) -> _Worker:
        if len(self._idle) + len(self._busy) < self.size:
            self.start()
        with self._lock:
            while not self._idle:
                if self._closed:
                    raise WorkerFailed("the server is shutting down", setting="QUERY_WORKERS")
                remaining = limit.remaining()
                if remaining <= 0:
                    raise limits.QueryTimeout(
                        f"{limit.message}, waiting for one of the {self.size} query workers "
                        "(IKGRAPH_QUERY_WORKERS), all busy",
                        setting="QUERY_TIMEOUT",
                    )
                self._lock.wait(remaining)
            worker = self._idle.pop()
            self._busy.add(worker)
            return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if self._closed:
                worker.kill()
                return
            self._idle.append(worker)
            self._lock.notify()
        self._collect()

    def _replace(self, worker: _Worker) -> int | None:
        """Kill ``worker`` and start another (in the background); returns its exit code."""
        code = worker.kill()
        with self._lock:
            self._busy.discard(worker)
        self._collect()
        if not self._closed:
            threading.Thread(target=self.start, name="ikgraph-worker-start", daemon=True).start()
        return code

    # snapshots

    def snapshot(self, worker: _Worker | None = None) -> Snapshot:
        """The snapshot of the store's current version, made if there is none yet.

        It is handed to ``worker``, which keeps it from being removed.
        """
        with self._snapshot_lock:
            version = self.store.version()
            if self._current is not None and self._current.version == version:
                with self._lock:
                    if worker is not None:
                        worker.snapshot = self._current
                    return self._current
            ident = next(self._ids)
            if self.store.path is not None and not self._fits_in_memory():
                path, kind = self._folder / str(ident), "rocksdb"
                self.store.raw.backup(str(path))
            else:
                path, kind = self._folder / f"{ident}.nq", "nquads"
                self.store.raw.dump(str(path), ox.RdfFormat.N_QUADS)
            # a write between reading the version and copying makes the copy newer than
            # its label; the next query then sees a new version and copies again
            snapshot = Snapshot(ident, version, str(path), kind)
            with self._lock:
                self._snapshots[ident] = snapshot
                self._current = snapshot
                if worker is not None:
                    worker.snapshot = snapshot
        self._collect()
        return snapshot

    def _fits_in_memory(self) -> bool:
        """Whether the store has at most ``memory_quads`` quads (counted no further)."""
        if self.memory_quads <= 0:
            return False
        quads = self.store.raw.quads_for_pattern(None, None, None, None)
        return sum(1 for _ in itertools.islice(quads, self.memory_quads + 1)) <= self.memory_quads

    def _collect(self) -> None:
        """Remove snapshots that are not current and that no worker has open."""
        if len(self._snapshots) <= 1:
            return  # the current one, or none
        with self._lock:
            used = {w.snapshot.id for w in [*self._idle, *self._busy] if w.snapshot is not None}
            current = self._current.id if self._current is not None else None
            stale = [s for i, s in self._snapshots.items() if i not in used and i != current]
            for snapshot in stale:
                del self._snapshots[snapshot.id]
        for snapshot in stale:
            _remove(Path(snapshot.path))

    # queries

    def query(
        self,
        text: str,
        *,
        default_graph: list[str] | None,
        named_graphs: list[str] | None,
        rows: int,
        limit: limits.Deadline,
        substitutions: dict[str, Any] | None = None,
        encode: tuple[str, dict[str, str] | None] | None = None,
    ) -> ox.QueryBoolean | RemoteAnswer:
        """Evaluate ``text`` in a worker: an ``ASK`` answer, or rows to stream.

        With ``encode`` = (format key, prefixes) the worker writes the answer in
        that format (:mod:`ikgraph.serialize`) and the :class:`RemoteAnswer`, ASK
        included, yields bytes; ``complete`` holds them if they came at once.

        :raises SyntaxError: if the query is malformed.
        :raises ValueError: for an unusable dataset (graph IRIs).
        :raises ikgraph.limits.QueryTimeout: (503) past the deadline; the worker is killed.
        :raises QueryMemory: (503) if the query needed more than ``IKGRAPH_QUERY_MEMORY_MB``.
        :raises WorkerFailed: (503) if the worker ended for another reason.
        """
        worker = self._acquire(limit)
        try:
            snapshot = self.snapshot(worker)
        except BaseException:
            self._release(worker)
            raise
        job = {
            "query": text,
            "default_graph": default_graph,
            "named_graphs": named_graphs,
            # the union of all graphs, unless the query names its dataset (as the store does)
            "union": default_graph is None and not has_dataset_clause(text),
            "rows": rows,
            "substitutions": dict(substitutions or {}),
            "seconds": max(limit.remaining(), 0.001),
            "configured": limit.configured,
        }
        if encode is not None:
            job["format"], job["prefixes"] = encode
        try:
            worker.conn.send(("query", snapshot, job))
        except OSError:
            self._fail(worker, limit, dead=True)
        _, form, names, truncated, value, piece = self.receive(worker, limit)
        if piece is None and form == "ASK":
            self._release(worker)
            return BOOLEANS[bool(value)]
        answer = RemoteAnswer(self, worker, form, names, truncated, limit, first=piece)
        if answer.complete is not None:
            self._release(worker)
        return answer

    def receive(self, worker: _Worker, limit: limits.Deadline) -> tuple:
        """The worker's next message, waiting no longer than the deadline.

        An error message is raised as the matching exception (the worker stays);
        a deadline passed or a worker that died raise after the worker is replaced.
        """
        try:
            ready = worker.conn.poll(max(limit.remaining(), 0))
            if not ready:
                self._fail(worker, limit, dead=False)
            message = worker.conn.recv()
        except (EOFError, OSError):
            self._fail(worker, limit, dead=True)
        if message[0] != "error":
            return message
        self._release(worker)
        kind, text = message[1], message[2]
        if kind == "syntax":
            raise SyntaxError(text)
        if kind == "value":
            raise ValueError(text)
        if kind == "timeout":
            raise limits.QueryTimeout(limit.message, setting="QUERY_TIMEOUT")
        if kind == "memory":
            raise QueryMemory(self.memory_message, setting="QUERY_MEMORY_MB")
        if kind == "evaluation":
            raise limits.LimitError(f"the query cannot be evaluated: {text}", setting="")
        raise WorkerFailed(f"the store cannot be read: {text}", setting="STORE")

    @property
    def memory_message(self) -> str:
        return f"query exceeded IKGRAPH_QUERY_MEMORY_MB ({self.memory_mb} MB)"

    def _fail(self, worker: _Worker, limit: limits.Deadline, *, dead: bool):
        code = self._replace(worker)
        if not dead:
            log.warning("query worker %s killed: %s", worker.pid, limit.message)
            raise limits.QueryTimeout(limit.message, setting="QUERY_TIMEOUT")
        log.warning("query worker %s ended with exit code %s", worker.pid, code)
        if code in (MEMORY_EXIT, -signal.SIGABRT, -signal.SIGKILL) and self.memory_mb:
            raise QueryMemory(self.memory_message, setting="QUERY_MEMORY_MB")
        raise WorkerFailed(
            f"the query worker ended without an answer (exit code {code})",
            setting="QUERY_WORKERS",
        )

    def abandon(self, worker: _Worker) -> None:
        """The client went away mid-answer: end the answer and free the worker."""
        try:
            worker.conn.send("stop")
        except OSError:
            self._replace(worker)
            return
        self._release(worker)

    def close(self) -> None:
        """Stop every worker and remove the snapshots."""
        with self._lock:
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._lock.notify_all()
        for worker in workers:
            worker.kill()
        _remove(self._folder)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class RemoteAnswer:
    """Rows (``SELECT``) or triples (``CONSTRUCT``, ``DESCRIBE``) coming from a worker,
    or the bytes of an answer it wrote.

    Looks like Oxigraph's results to the code that writes answers: ``variables``,
    iteration (once); ``truncated`` says the worker cut it at the row limit.
    ``complete`` is the whole written answer when it came in the first message
    (the worker is free again then), else None.
    """

    def __init__(
        self,
        pool: QueryWorkers,
        worker: _Worker,
        form: str,
        names,
        truncated,
        limit,
        *,
        first: tuple[list[Any], bool] | None = None,
    ):
        self.form = form
        self.variables = [ox.Variable(n) for n in names or ()]
        self.truncated = bool(truncated)
        self._pool = pool
        self._limit = limit
        self._first, done = first if first is not None else ([], False)
        self.complete: bytes | None = b"".join(self._first) if done else None
        self._worker: _Worker | None = None if done else worker

    def __iter__(self) -> Iterator[Any]:
        if self.complete is not None:
            yield from self._first
            return
        worker, self._worker = self._worker, None
        if worker is None:
            raise RuntimeError("a worker's answer can be read only once")
        done = False
        try:
            yield from self._first
            while not done:
                try:
                    worker.conn.send("next")
                except OSError:
                    self._pool._fail(worker, self._limit, dead=True)
                message = self._pool.receive(worker, self._limit)
                _, batch, done = message
                yield from batch
        except GeneratorExit:
            if done:  # the last batch is in: the worker already waits for its next query
                self._pool._release(worker)
            else:
                self._pool.abandon(worker)
            raise
        self._pool._release(worker)

    def __del__(self) -> None:
        worker, self._worker = getattr(self, "_worker", None), None
        if worker is not None:  # never read (e.g. the format could not be negotiated)
            self._pool.abandon(worker)


def init_app(app, store: Store, *, enabled: bool = True) -> QueryWorkers | None:
    """Start ``IKGRAPH_QUERY_WORKERS`` workers for the app's store, if it is embedded.

    A remote store answers in its own processes, and ``enabled=False`` (a store
    object the caller handed in, unless workers were asked for by name) keeps
    queries in the server process.
    """
    size = int(app.config.get("QUERY_WORKERS", 0))
    pool = None
    if enabled and size > 0 and isinstance(store, OxigraphStore):
        pool = QueryWorkers(
            store,
            size=size,
            memory_mb=int(app.config["QUERY_MEMORY_MB"]),
            memory_quads=int(app.config["WORKER_MEMORY_QUADS"]),
        )
        weakref.finalize(app, pool.close)
        pool.start()
    app.extensions["ikgraph.workers"] = pool
    return pool


def get_workers() -> QueryWorkers | None:
    """The query workers of the current app (None: queries run in the server process)."""
    from flask import current_app

    return current_app.extensions.get("ikgraph.workers")


if __name__ == "__main__":
    serve(_Pipe(Connection(int(sys.argv[1]))), int(sys.argv[2]))
