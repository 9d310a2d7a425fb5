"""Fixtures: an app on a fresh in-memory store per test, its clients, a live server.

``make_app(**settings)`` builds a variant in one line (``make_app(MAX_ROWS=2)``);
``serve(app)`` runs any app under waitress on a free loopback port and returns
its base URL; ``live_server`` is the default app, served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ikgraph.app import create_app
from ikgraph.server import create_server, stop
from ikgraph.settings import DEFAULT_BASE_IRI
from ikgraph.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TINY = FIXTURES / "tiny.trig"
BASE = DEFAULT_BASE_IRI


@pytest.fixture
def store() -> Iterator[OxigraphStore]:
    """A fresh in-memory store holding ``tests/fixtures/tiny.trig`` (two named graphs)."""
    tiny = OxigraphStore(None, base=BASE)
    tiny.raw.load(path=str(TINY), format=ox.RdfFormat.TRIG)
    yield tiny
    tiny.close()


@pytest.fixture
def make_app(store: OxigraphStore) -> Callable[..., Flask]:
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
