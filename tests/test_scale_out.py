"""Scale out: the service and the CLI on a remote store, and data moved onto it.

Between the service and the test Virtuoso sits a :class:`backends.LoopbackRelay`:
stopping it is a store that went down (refused connections), starting it again is
the store back. Requests go over HTTP to a served app, as clients send them.
"""

from __future__ import annotations

import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import backends
import pyoxigraph as ox
import pytest
import requests
from backends import BASE, LoopbackRelay, clear, load_as_is
from conftest import ROOT, TINY

from ikgraph.app import create_app
from ikgraph.cli import main
from ikgraph.remote import RemoteStore
from ikgraph.store import STAGING, OxigraphStore, StoreError

ASK = {"query": "ASK { ?s ?p ?o }"}
COUNT = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture
def tiny_on_virtuoso(virtuoso: backends.Virtuoso) -> None:
    """The test Virtuoso's dataset holds the tiny TriG, and nothing else of ikgraph's."""
    remote = virtuoso.open()
    clear(remote)
    load_as_is(remote, TINY)
    remote.close()


@pytest.fixture
def relay(virtuoso: backends.Virtuoso, tiny_on_virtuoso):
    """A relay in front of the test Virtuoso; not started."""
    relay = LoopbackRelay(virtuoso.port)
    yield relay
    relay.stop()


@pytest.fixture
def remote_config(virtuoso, relay, monkeypatch, tmp_path) -> dict[str, object]:
    """Settings of an app on the relayed Virtuoso, credentials in the mapping only."""
    for name in ("STORE", "REMOTE_USER", "REMOTE_PASSWORD", "REMOTE_TIMEOUT"):
        monkeypatch.delenv(f"IKGRAPH_{name}", raising=False)
    return {
        "STORE": f"sparql:{relay.url()}",
        "REMOTE_USER": virtuoso.user,
        "REMOTE_PASSWORD": virtuoso.password,
        "REMOTE_TIMEOUT": 5,
        "QUERIES_DIR": str(ROOT / "queries"),
        "HISTORY_DIR": str(tmp_path / "history"),
    }


def count(url: str) -> str:
    response = requests.get(f"{url}/sparql", params=COUNT, headers=JSON, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"][0]["n"]["value"]


def test_the_service_answers_503_while_the_store_is_down_and_recovers(relay, remote_config, serve):
    relay.start()
    app = create_app(remote_config)
    url = serve(app)
    assert count(url) == "64"
    relay.stop()
    for path, params, headers in (
        ("/sparql", COUNT, JSON),  # answered before: the cache cannot tell it is still current
        ("/sparql", ASK, JSON),
        ("/", {}, {"Accept": "text/html"}),
    ):
        down = requests.get(f"{url}{path}", params=params, headers=headers, timeout=30)
        assert down.status_code == 503, (path, down.text)
        assert down.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert f"the SPARQL store at {relay.url()} is unavailable" in down.text
    relay.start()
    assert count(url) == "64"
    back = requests.get(f"{url}/sparql", params=ASK, headers=JSON, timeout=30)
    assert back.status_code == 200 and back.json()["boolean"] is True
    app.extensions["ikgraph"].store.close()


def test_an_app_whose_store_is_down_at_startup_answers_503_until_it_is_there(
    relay, remote_config, serve
):
    app = create_app(remote_config)  # the relay is not listening yet
    url = serve(app)
    down = requests.get(f"{url}/sparql", params=ASK, headers=JSON, timeout=30)
    assert down.status_code == 503
    assert f"{relay.url()} is unavailable (connection refused)" in down.text
    relay.start()
    assert count(url) == "64"
    app.extensions["ikgraph"].store.close()


def test_stale_staging_graphs_go_once_a_store_opened_while_down_answers(virtuoso, relay):
    left = f"{STAGING}20000101T000000Z-0"
    remote = virtuoso.open()
    remote.update(
        f"INSERT DATA {{ GRAPH <{left}> {{ <urn:x:s> <urn:x:p> 'halb' }} "
        f"GRAPH <urn:ikgraph:graphs> {{ <{left}> a <urn:ikgraph:StagingGraph> ; "
        "<http://www.w3.org/ns/prov#startedAtTime> '2000-01-01T00:00:00Z'^^"
        "<http://www.w3.org/2001/XMLSchema#dateTime> } }"
    )
    late = virtuoso.open(url=relay.url(), check=False)
    relay.start()
    assert late.graphs() == sorted(f"{BASE}graph/tiny-{g}" for g in ("measures", "reference"))
    rows = remote._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{left}> {{ ?s ?p ?o }} }}")
    assert rows[0]["n"].value == "0"
    late.close()
    remote.close()


def test_the_config_mapping_reaches_the_remote_credentials_and_timeout(
    virtuoso, relay, remote_config
):
    relay.start()
    app = create_app({**remote_config, "REMOTE_TIMEOUT": 7.5})
    store = app.extensions["ikgraph"].store
    assert isinstance(store, RemoteStore)
    assert (store.user, store.timeout) == (virtuoso.user, 7.5)
    assert app.test_client().get("/sparql", query_string=ASK, headers=JSON).status_code == 200
    store.close()
    with pytest.raises(StoreError, match="refused the credentials of user"):
        create_app({**remote_config, "REMOTE_PASSWORD": "falsch"})


def test_an_answer_the_store_cut_at_its_time_limit_is_502_with_its_message(serve):
    """Virtuoso sends what it found by MaxQueryExecutionTime and says so in headers."""

    class CuttingServer(BaseHTTPRequestHandler):
        def do_POST(self):
            cut = b"slow" in self.rfile.read(int(self.headers["Content-Length"]))
            body = (
                b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                b'<head><variable name="g"/></head><results/></sparql>'
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+xml")
            if cut:
                self.send_header("X-SQL-State", "S1TAT")
                self.send_header("X-SQL-Message", "Returning incomplete results")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), CuttingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sparql = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        url = serve(create_app({"STORE": f"sparql:{sparql}", "RATE_LIMIT_QUERY": ""}))
        query = {"query": 'SELECT * WHERE { ?s ?p "slow" }'}
        cut = requests.get(f"{url}/sparql", params=query, headers=JSON, timeout=30)
        assert cut.status_code == 502
        assert f"the SPARQL store at {sparql} stopped the query at its time limit" in cut.text
        assert "Returning incomplete results" in cut.text
    finally:
        server.shutdown()
        server.server_close()


# -- the CLI -----------------------------------------------------------------------------


def test_a_store_that_goes_down_during_a_command_exits_2_with_the_message(
    virtuoso, relay, runner, monkeypatch
):
    opened = RemoteStore._remove_stale_staging

    def open_then_go_down(store: RemoteStore) -> None:
        opened(store)
        relay.stop()

    monkeypatch.setattr(RemoteStore, "_remove_stale_staging", open_then_go_down)
    env = {**virtuoso.environ(), "IKGRAPH_STORE": f"sparql:{relay.url()}"}
    for args in (
        ["query", "ASK { ?s ?p ?o }"],
        ["export", "--format", "nq"],
        ["load", str(ROOT / "tests" / "fixtures" / "contribution-valid.ttl")],
    ):
        relay.start()
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert f"ikgraph: the SPARQL store at {relay.url()} is unavailable" in result.stderr
        assert "Traceback" not in result.output


def test_settings_never_print_the_remote_password(runner):
    shown = runner.invoke(main, ["settings"], env={"IKGRAPH_REMOTE_PASSWORD": "geheim-4711"})
    assert shown.exit_code == 0
    assert "geheim-4711" not in shown.output
    assert "IKGRAPH_REMOTE_PASSWORD=********\n" in shown.output
    unset = runner.invoke(main, ["settings"], env={"IKGRAPH_REMOTE_PASSWORD": ""})
    assert "IKGRAPH_REMOTE_PASSWORD=\n" in unset.output


def test_an_export_moved_onto_virtuoso_reads_back_the_same(
    virtuoso, tiny_on_virtuoso, runner, tmp_path
):
    """``ikgraph export --format nq``, then ``ikgraph --store sparql:… load --bulk``."""
    embedded, dump = f"oxigraph:{tmp_path / 'store'}", tmp_path / "ikgraph.nq"
    env = {**virtuoso.environ(), "IKGRAPH_HISTORY_DIR": str(tmp_path / "history")}
    for args in (
        ["--store", embedded, "load", "--bulk", str(TINY)],
        ["--store", embedded, "export", "--format", "nq", "-o", str(dump)],
        ["--store", virtuoso.spec, "load", "--bulk", str(dump)],
    ):
        done = runner.invoke(main, args, env=env)
        assert done.exit_code == 0, (args, done.output)
    back = runner.invoke(main, ["--store", virtuoso.spec, "export", "--format", "nq"], env=env)

    def term(t: object) -> str:
        if isinstance(t, ox.BlankNode):
            return "_"
        if isinstance(t, ox.Literal) and t.datatype.value.endswith("#dateTime"):
            # Virtuoso keeps a dateTime by value: "…58.658740Z" comes back "…58.65874Z"
            return datetime.fromisoformat(t.value.replace("Z", "+00:00")).isoformat()
        return str(t)

    def statements(text: str) -> list[str]:
        """Without blank node labels and the dataset version, which differ by design."""
        quads = ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS)
        version = f"{BASE}ontology#version"
        return sorted(" ".join(term(t) for t in q) for q in quads if q.predicate.value != version)

    assert statements(back.output) == statements(dump.read_text())
    assert '"48000"^^<http://www.w3.org/2001/XMLSchema#decimal>' in back.output


# -- the embedded store ----------------------------------------------------------------


def test_the_embedded_store_drops_leftover_staging_graphs_when_it_opens(tmp_path):
    """What a bulk load killed midway leaves behind (ikgraph.bulk stages under STAGING)."""
    kept, left = ox.NamedNode(f"{BASE}graph/eins"), ox.NamedNode(f"{STAGING}20000101T0-0")
    triple = (ox.NamedNode(f"{BASE}id/measure/a"), ox.NamedNode("urn:x:p"), ox.Literal("a"))
    store = OxigraphStore(tmp_path / "store", base=BASE)
    store.raw.extend([ox.Quad(*triple, kept), ox.Quad(*triple, left)])
    store.close()
    again = OxigraphStore(tmp_path / "store", base=BASE)
    assert [g.value for g in again.raw.named_graphs()] == [kept.value]
    assert len(again.raw) == 1
    again.close()
