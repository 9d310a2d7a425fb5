"""Fixtures: an app on a fresh store per test, its clients, a live server.

``make_app(**settings)`` builds a variant in one line (``make_app(MAX_ROWS=2)``);
``serve(app)`` runs any app under waitress on a free loopback port and returns
its base URL; ``live_server`` is the default app, served.

``store`` holds the tiny TriG in the store of ``backend``: ``"oxigraph"`` (in
memory) unless a test asks for more. The service tests of :data:`SERVICE_MODULES`,
and tests marked ``@pytest.mark.backends("oxigraph", "virtuoso")``, run once per
backend; on ``"virtuoso"`` the store is the real Virtuoso of ``backends.py``, cleared
and loaded afresh for each test (or the test skips, saying why there is no
Virtuoso). Where Virtuoso answers otherwise (``ikgraph/remote.py``, "Known
differences"), :data:`VIRTUOSO_DIFFERS` names the test and the difference, and the
test is expected to fail there (strictly: it is reported when it passes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import backends
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ikgraph import history
from ikgraph.app import create_app
from ikgraph.server import create_server, stop
from ikgraph.settings import DEFAULT_BASE_IRI
from ikgraph.store import OxigraphStore, Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TINY = FIXTURES / "tiny.trig"
BASE = DEFAULT_BASE_IRI

#: the backends a service test runs on when it runs on more than the default
SERVICE_BACKENDS = ("oxigraph", "virtuoso")
#: test modules whose tests of the service run on every one of SERVICE_BACKENDS
SERVICE_MODULES = {"test_sparql_http.py", "test_ui.py", "test_contrib.py"}
#: tests that fail on Virtuoso, and why: by name as pytest shows it, or by function name
#: for all its Virtuoso runs
VIRTUOSO_DIFFERS: dict[str, str] = {}

virtuoso = backends.virtuoso


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run the test on each store backend named (oxigraph, virtuoso)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    own = any(
        "backend" in str(m.args[0] if m.args else m.kwargs.get("argnames", ""))
        for m in metafunc.definition.iter_markers("parametrize")
    )
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None:
        names = marker.args
    elif Path(metafunc.module.__file__).name in SERVICE_MODULES:
        names = SERVICE_BACKENDS
    else:
        return
    if not own:
        metafunc.parametrize("backend", names, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is None or spec.params.get("backend") != "virtuoso":
            continue
        reason = VIRTUOSO_DIFFERS.get(item.name) or VIRTUOSO_DIFFERS.get(item.originalname)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=f"Virtuoso: {reason}", strict=True))


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend of this test: "oxigraph" unless the test runs on several."""
    return getattr(request, "param", "oxigraph")


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of ``backend`` holding ``tests/fixtures/tiny.trig`` (two named graphs)."""
    if backend == "virtuoso":
        server: backends.Virtuoso = request.getfixturevalue("virtuoso")
        remote = server.open(base=BASE)
        backends.clear(remote)
        history.attach(remote, tmp_path / "history")
        backends.load_as_is(remote, TINY)
        yield remote
        remote.close()
        return
    tiny = OxigraphStore(None, base=BASE)
    tiny.raw.load(path=str(TINY), format=ox.RdfFormat.TRIG)
    yield tiny
    tiny.close()


@pytest.fixture
def make_app(store: Store) -> Callable[..., Flask]:
    """Build an app on the test store with some settings changed."""

    def make(**settings: object) -> Flask:
        config = {"STORE_OBJECT": store, "QUERIES_DIR": str(ROOT / "queries"), "TESTING": True}
        return create_app({**config, **settings})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], str]]:
    """Serve apps under waitress on 127.0.0.1 (a free port each); stopped after the test."""
    running: list[tuple[object, threading.Thread]] = []

    def start(app: Flask) -> str:
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, name="live-server", daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread in running:
        stop(server)
        thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask, serve: Callable[[Flask], str]) -> str:
    """The default test app, served; its base URL without a trailing slash."""
    return serve(app)
