"""Store backends for tests: the embedded store (in memory, on disk) and a real Virtuoso.

``virtuoso`` is a session fixture: it uses the Virtuoso that ``make test`` started
(``scripts/virtuoso.sh``, which writes ``var/virtuoso-test/env``), or starts one for
this session and stops it at the end, or skips with the reason where Virtuoso cannot
be installed. ``IKGRAPH_TEST_VIRTUOSO=skip`` skips those tests on purpose.

``store`` and ``backend_settings`` are parametrised over :data:`BACKENDS`; the
``virtuoso`` parameter asks for the Virtuoso fixture only when it runs. Every test
gets an empty dataset: the remote one is cleared before the test. :func:`load_as_is`
fills a remote dataset from a TriG file (the service tests' tiny graph, ``conftest.py``);
:class:`LoopbackRelay` stands between a client and a server to switch it off and on.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from ikgraph.remote import GRAPHS, RemoteStore, _statement
from ikgraph.store import OxigraphStore, Store

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "virtuoso.sh"
STATE = Path(os.environ.get("IKGRAPH_VIRTUOSO_DIR", ROOT / "var" / "virtuoso-test"))
BASE = "https://w3id.org/ikg/"
BACKENDS = ("memory", "disk", "virtuoso")
NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#NamedGraph"


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its store spec and the credentials of its ``ikgraph`` user."""

    spec: str
    user: str
    password: str

    @property
    def url(self) -> str:
        return self.spec.removeprefix("sparql:").split(",")[0]

    @property
    def port(self) -> int:
        return int(self.url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    def settings(self) -> dict[str, str]:
        """``IKGRAPH_*`` settings (without the prefix) that select this store."""
        return {"STORE": self.spec, "REMOTE_USER": self.user, "REMOTE_PASSWORD": self.password}

    def environ(self) -> dict[str, str]:
        return {f"IKGRAPH_{k}": v for k, v in self.settings().items()}

    def open(self, *, base: str = BASE, url: str | None = None, **options) -> RemoteStore:
        options = {"user": self.user, "password": self.password, "timeout": 20.0, **options}
        return RemoteStore(url or self.url, base=base, **options)


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _running() -> bool:
    return subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def virtuoso() -> Virtuoso:
    """The Virtuoso of this test session, or a skip that says why there is none."""
    given = os.environ.get("IKGRAPH_TEST_VIRTUOSO", "")
    if given == "skip":
        pytest.skip("IKGRAPH_TEST_VIRTUOSO=skip")
    if given:
        yield Virtuoso(
            given,
            os.environ.get("IKGRAPH_TEST_VIRTUOSO_USER", ""),
            os.environ.get("IKGRAPH_TEST_VIRTUOSO_PASSWORD", ""),
        )
        return
    started = False
    if not _running():
        proc = subprocess.run(
            ["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"scripts/virtuoso.sh start failed:\n{proc.stderr}"
        started = True
    try:
        if (STATE / "unavailable").exists():
            reason = (STATE / "unavailable").read_text().strip()
            pytest.skip(f"no Virtuoso for the remote-store tests: {reason}")
        env = _read_env(STATE / "env")
        yield Virtuoso(
            env["IKGRAPH_TEST_VIRTUOSO"],
            env["IKGRAPH_TEST_VIRTUOSO_USER"],
            env["IKGRAPH_TEST_VIRTUOSO_PASSWORD"],
        )
    finally:
        if started:
            subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, timeout=60)


def clear(store: RemoteStore) -> None:
    """Remove every graph the store lists, staging graphs included, and the list."""
    rows = store._select(f"SELECT DISTINCT ?g WHERE {{ GRAPH <{GRAPHS}> {{ ?g ?p ?o }} }}")
    names = [r["g"].value for r in rows] + [GRAPHS]
    store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in names))


def load_as_is(store: RemoteStore, path: Path) -> None:
    """Write the named graphs of a TriG file into a remote store as they are, without a
    version or provenance (as ``pyoxigraph.Store.load`` does on the embedded store)."""
    graphs: dict[str, list[str]] = {}
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TRIG):
        graphs.setdefault(quad.graph_name.value, []).append(_statement(quad))
    listed = " ".join(f"<{g}> a <{NAMED_GRAPH}> ." for g in graphs)
    ops = [f"INSERT {{ GRAPH <{g}> {{ {' '.join(t)} }} }} WHERE {{}}" for g, t in graphs.items()]
    store.update(" ;\n".join([*ops, f"INSERT DATA {{ GRAPH <{GRAPHS}> {{ {listed} }} }}"]))


def open_backend(
    name: str, request: pytest.FixtureRequest, path: Path, *, base: str = BASE, fresh: bool = True
) -> Store:
    """A store of one backend; ``fresh``: empty (the remote dataset is cleared)."""
    if name == "memory":
        return OxigraphStore(None, base=base)
    if name == "disk":
        return OxigraphStore(path / "store", base=base)
    server: Virtuoso = request.getfixturevalue("virtuoso")
    store = server.open(base=base)
    if fresh:
        clear(store)
    return store


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Store:
    """An empty store of each backend in turn."""
    opened = open_backend(request.param, request, tmp_path)
    yield opened
    opened.close()


@pytest.fixture(params=BACKENDS)
def backend_settings(request, tmp_path, monkeypatch) -> dict[str, str]:
    """Settings (for ``create_app(config)`` or the CLI) that select an empty store of
    each backend in turn; for Virtuoso also exported as ``IKGRAPH_REMOTE_*``."""
    if request.param == "memory":
        return {"STORE": "memory:"}
    if request.param == "disk":
        return {"STORE": f"oxigraph:{tmp_path / 'store'}"}
    server: Virtuoso = request.getfixturevalue("virtuoso")
    remote = server.open()
    try:
        clear(remote)
    finally:
        remote.close()
    for key, value in server.environ().items():
        monkeypatch.setenv(key, value)
    return server.settings()


class LoopbackRelay:
    """A TCP relay on 127.0.0.1 in front of a local server, to switch it off and on.

    ``stop()`` closes the listening socket and every relayed connection, so clients
    see a refused connection, as with a server that went down; ``start()`` listens
    on the same port again. ``silent=True`` accepts connections and never answers.
    """

    def __init__(self, target_port: int | None = None, *, silent: bool = False):
        self.target_port = target_port
        self.silent = silent
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def url(self, path: str = "/sparql-auth") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> LoopbackRelay:
        listener = socket.socket()
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(16)
        except OSError:
            listener.close()
            raise
        listener.settimeout(0.05)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open.append(client)
            if self.silent:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._open.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> LoopbackRelay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
