"""The remote SPARQL store, against a real Virtuoso: what only a remote store can get wrong.

The store contract runs on Virtuoso too, in test_store.py. Here: the dataset a query
sees, atomic replacement when the server refuses or goes away, staging graphs, blank
nodes across requests, row limits, timeouts, credentials, and the CLI end to end.
"""

from __future__ import annotations

import base64
import csv
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import backends
import pyoxigraph as ox
import pytest
from backends import BASE, LoopbackRelay, clear
from cli_helpers import run

from ikgraph.remote import GRAPHS, STAGING, RemoteStore, _chunks, bind, values_block
from ikgraph.store import StoreError, StoreUnavailable, open_store

virtuoso = backends.virtuoso
G1, G2 = f"{BASE}graph/eins", f"{BASE}graph/zwei"
P = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
CLASSES = "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"


def quads(graph: str, *labels: str) -> list[ox.Quad]:
    return [
        ox.Quad(ox.NamedNode(f"{BASE}id/measure/{i}"), P, ox.Literal(t), ox.NamedNode(graph))
        for i, t in enumerate(labels)
    ]


def labels(store, graph: str) -> list[str]:
    rows = store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s ?p ?l }} }} ORDER BY ?l")
    return [r["l"].value for r in rows]


def staging_left(store: RemoteStore) -> set[str]:
    """Staging graphs with content, and staging entries in the graph list."""
    graphs = store._select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(STRSTARTS(STR(?g), '{STAGING}')) }}"
    )
    entries = store._select(f"SELECT ?g WHERE {{ GRAPH <{GRAPHS}> {{ ?g a ?t }} }}")
    listed = {r["g"].value for r in entries if r["g"].value.startswith(STAGING)}
    return {r["g"].value for r in graphs} | listed


@pytest.fixture
def remote(virtuoso):
    store = virtuoso.open()
    clear(store)
    yield store
    store.close()


# -- the dataset -------------------------------------------------------------------


def test_virtuoso_system_graphs_stay_out_of_the_union(remote):
    # Without a dataset Virtuoso answers over all its graphs, its own included.
    assert int(remote._select("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }")[0]["n"].value) > 0
    typed = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"
    assert [r["n"].value for r in remote.query(typed)] == ["0"]
    typed = ox.Quad(
        ox.NamedNode(f"{BASE}id/measure/a"),
        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        ox.NamedNode(f"{BASE}ontology#Project"),
        ox.NamedNode(G1),
    )
    remote.replace_graphs({G1: [typed]})
    assert [(r["c"].value, r["n"].value) for r in remote.query(CLASSES)] == [
        (f"{BASE}ontology#Project", "1")
    ]
    rows = remote.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    assert [r["g"].value for r in rows] == [G1, f"{BASE}graph/meta"]
    assert remote._scheme == "digest"


# -- atomic replacement --------------------------------------------------------------


def test_virtuoso_commits_each_operation_of_a_request(remote):
    """Why the swap is ONE operation: a later failing operation undoes nothing."""
    with pytest.raises(StoreError, match="half done"):
        remote.update(
            f'INSERT DATA {{ GRAPH <{G2}> {{ <{BASE}id/x> <{P.value}> "halb" }} }} ;\n'
            "INSERT { GRAPH <urn:x> { <urn:x> <urn:x> ?x } } "
            'WHERE { BIND(bif:signal("22023", "half done") AS ?x) }'
        )
    assert remote.query(f"ASK {{ GRAPH <{G2}> {{ ?s ?p 'halb' }} }}", named_graphs=[G2])
    remote.update(f"DROP SILENT GRAPH <{G2}>")


def test_a_refused_swap_leaves_the_old_graph_whole(remote, monkeypatch):
    remote.replace_graphs({G1: quads(G1, "alt 1", "alt 2")})
    version = remote.version()
    swap = remote._swap

    def refused(*args):
        text = swap(*args).replace("INSERT {", "INSERT { GRAPH <urn:x> { <urn:x> <urn:x> ?no }")
        return text.replace("WHERE {", 'WHERE { BIND(bif:signal("22023", "swap refused") AS ?no)')

    monkeypatch.setattr(remote, "_swap", refused)
    with pytest.raises(StoreError, match="swap refused"):
        remote.replace_graphs({G1: quads(G1, "neu"), G2: quads(G2, "auch neu")})
    assert labels(remote, G1) == ["alt 1", "alt 2"] and labels(remote, G2) == []
    assert remote.version() == version
    assert remote.graphs() == [G1, f"{BASE}graph/meta"]
    assert staging_left(remote) == set()


def test_a_failed_staging_request_leaves_the_old_graph_whole(remote, monkeypatch):
    remote.replace_graphs({G1: quads(G1, "alt")})
    remote.chunk_chars = 200
    real, sent = remote.update, []

    def flaky(sparql: str) -> None:
        if sparql.startswith("INSERT {"):
            sent.append(sparql)
            if len(sent) == 3:
                raise StoreUnavailable(f"the SPARQL store at {remote.update_url} went away")
        real(sparql)

    monkeypatch.setattr(remote, "update", flaky)
    with pytest.raises(StoreUnavailable, match="went away"):
        remote.replace_graphs({G1: quads(G1, *[f"neu {i}" for i in range(20)])})
    assert labels(remote, G1) == ["alt"]
    assert staging_left(remote) == set()


def test_a_swap_whose_staging_was_cleaned_meanwhile_changes_nothing(remote, monkeypatch):
    remote.replace_graphs({G1: quads(G1, "alt")})
    swap = remote._swap

    def cleaned_first(names, staging, meta_iri):
        remote._drop(staging.values())  # as a concurrent cleanup of stale staging would
        return swap(names, staging, meta_iri)

    monkeypatch.setattr(remote, "_swap", cleaned_first)
    with pytest.raises(StoreError, match="did not take effect"):
        remote.replace_graphs({G1: quads(G1, "neu")})
    assert labels(remote, G1) == ["alt"]


def test_stale_staging_graphs_are_removed_on_open(virtuoso, remote):
    def staging(name: str, started: str) -> str:
        return (
            f"GRAPH <{GRAPHS}> {{ <{name}> a <urn:ikgraph:StagingGraph> ; "
            f'<http://www.w3.org/ns/prov#startedAtTime> "{started}"'
            "^^<http://www.w3.org/2001/XMLSchema#dateTime> } "
            f'GRAPH <{name}> {{ <{BASE}id/x> <{P.value}> "halb" }}'
        )

    old, new = f"{STAGING}alt-0", f"{STAGING}laeuft-0"
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    remote.update(f"INSERT DATA {{ {staging(old, '2020-01-01T00:00:00Z')} {staging(new, now)} }}")
    assert not remote.query("ASK { ?s ?p 'halb' }")
    virtuoso.open().close()
    assert staging_left(remote) == {new}
    virtuoso.open(stale_after=0).close()
    assert staging_left(remote) == set()


def test_blank_nodes_travel_in_one_request(remote):
    one, two = ox.BlankNode(), ox.BlankNode()
    g = ox.NamedNode(G1)
    data = [ox.Quad(one, P, ox.Literal(f"Teil {i}"), g) for i in range(12)]
    data += [ox.Quad(one, P, two, g), ox.Quad(two, P, ox.Literal("innen"), g)]
    data += quads(G1, *[f"Maßnahme {i}" for i in range(40)])
    assert len(list(_chunks(data, 300))) > 5
    remote.chunk_chars = 300
    remote.replace_graphs({G1: data})
    rows = remote.query("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b ?p ?o FILTER(isBlank(?b)) }")
    assert [r["n"].value for r in rows] == ["2"]
    rows = remote.query(f"SELECT ?l WHERE {{ ?a <{P.value}> ?b . ?b <{P.value}> ?l }}")
    assert [r["l"].value for r in rows] == ["innen"]


# -- reading -----------------------------------------------------------------------


def test_dump_pages_through_the_server_row_limit(remote):
    many = quads(G1, *[f"Maßnahme {i:05d}" for i in range(10_010)])
    remote.chunk_chars = 400_000
    remote.replace_graphs({G1: many})
    assert len(list(remote.query("SELECT * WHERE { ?s ?p ?o }"))) == 10_000  # cut by Virtuoso
    lines = remote.dump(None, ox.RdfFormat.N_QUADS).decode().splitlines()
    assert len(lines) == 10_011 == len(set(lines))
    remote.page_size = 4000
    assert sorted(remote.dump(None, ox.RdfFormat.N_QUADS).decode().splitlines()) == sorted(lines)


# -- failures: down, slow, refused ---------------------------------------------------


def test_a_store_that_goes_down_is_unavailable_and_recovers(virtuoso, remote, monkeypatch):
    relay = LoopbackRelay(virtuoso.port).start()
    try:
        store = virtuoso.open(url=relay.url(), timeout=5)
        store.replace_graphs({G1: quads(G1, "vorher")})
        relay.stop()
        with pytest.raises(StoreUnavailable) as down:
            store.query("SELECT * WHERE { ?s ?p ?o }")
        assert relay.url() in str(down.value) and "connection refused" in str(down.value)
        with pytest.raises(StoreUnavailable):
            virtuoso.open(url=relay.url())
        relay.start()
        assert labels(store, G1) == ["vorher"]

        real = store.update

        def stop_after_first_chunk(sparql: str) -> None:
            real(sparql)
            if sparql.startswith("INSERT {"):
                relay.stop()

        monkeypatch.setattr(store, "update", stop_after_first_chunk)
        with pytest.raises(StoreUnavailable, match=relay.url()):
            store.replace_graphs({G1: quads(G1, "mittendrin")})
        monkeypatch.undo()
        relay.start()
        assert labels(store, G1) == ["vorher"]
        assert staging_left(remote)  # the writer could not clean up: the store was down
        virtuoso.open(url=relay.url(), stale_after=0).close()
        assert staging_left(remote) == set()
        store.replace_graphs({G1: quads(G1, "nachher")})
        assert labels(store, G1) == ["nachher"]
        store.close()
    finally:
        relay.stop()


def test_a_server_that_never_answers_times_out(monkeypatch):
    with LoopbackRelay(silent=True) as silent:
        monkeypatch.setenv("IKGRAPH_REMOTE_TIMEOUT", "0.5")
        began = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"within 0\.5 s \(IKGRAPH_REMOTE_TIMEOUT\)"):
            open_store(f"sparql:{silent.url()}", base=BASE)
        assert time.monotonic() - began < 5


def test_wrong_or_missing_credentials_are_clear_errors(virtuoso):
    with pytest.raises(StoreError, match="refused the credentials of user 'ikgraph'") as wrong:
        virtuoso.open(password="falsch")
    assert not isinstance(wrong.value, StoreUnavailable)
    with pytest.raises(StoreError, match="set IKGRAPH_REMOTE_USER and IKGRAPH_REMOTE_PASSWORD"):
        virtuoso.open(user="", password="")


def test_basic_authentication_when_the_server_asks_for_it():
    seen: list[str] = []
    expected = "Basic " + base64.b64encode(b"leser:geheim").decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get("Authorization", ""))
            if seen[-1] != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (
                b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                b'<head><variable name="g"/></head><results/></sparql>'
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        store = RemoteStore(url, base=BASE, user="leser", password="geheim", timeout=5)
        assert store.graphs() == [] and store._scheme == "basic"
        assert seen[0] == "" and seen[-1] == expected
        store.close()
    finally:
        server.shutdown()
        server.server_close()


# -- configuration and query text -------------------------------------------------------


def test_spec_and_settings_select_the_remote_store(virtuoso):
    with pytest.raises(StoreError, match=r"sparql:QUERY_URL\[,UPDATE_URL\]"):
        open_store("sparql:http://a/q,http://a/u,http://a/x", base=BASE)
    settings = {**virtuoso.settings(), "REMOTE_TIMEOUT": 7.5}
    store = RemoteStore.from_spec(virtuoso.url, base=BASE, settings=settings)
    assert (store.update_url, store.timeout, store.user) == (virtuoso.url, 7.5, "ikgraph")
    assert store.atomic_replace and store.persistent and not store.embedded
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.version()


def test_query_text_is_bound_without_touching_strings_iris_or_comments():
    term = {"m": ox.NamedNode("http://example.org/m")}
    tricky = "PREFIX ex: <http://example.org/x#> # { not here\nASK { ?m ex:p '{' }"
    assert bind(tricky, term) == tricky.replace(
        "ASK {", "ASK { VALUES (?m) { (<http://example.org/m>) }"
    )
    assert bind("CONSTRUCT WHERE { ?m ?p ?o }", term).startswith("CONSTRUCT WHERE { VALUES")
    assert bind("DESCRIBE ?m", term) == "DESCRIBE ?m\nVALUES (?m) { (<http://example.org/m>) }"
    assert values_block({"l": ox.Literal('"} ; DROP ALL #')}) == (
        'VALUES (?l) { ("\\"} ; DROP ALL #") }'
    )
    with pytest.raises(TypeError):
        values_block({"m": "http://example.org/m"})
    with pytest.raises(ValueError):
        values_block({"m) } DROP ALL #": ox.NamedNode("http://example.org/m")})


# -- end to end ----------------------------------------------------------------------


def test_cli_build_on_virtuoso_counts_like_the_embedded_store(virtuoso, remote, tmp_path):
    env = {k: v for k, v in virtuoso.environ().items() if k != "IKGRAPH_STORE"}
    built = run("--store", virtuoso.spec, "build", env=env)
    assert built.returncode == 0, built.stderr
    embedded = tmp_path / "store"
    assert run("build", store=embedded).returncode == 0

    def counts(*store_args: str, **kwargs) -> list[dict[str, str]]:
        proc = run(*store_args, "query", CLASSES, "--format", "csv", **kwargs)
        assert proc.returncode == 0, proc.stderr
        return list(csv.DictReader(io.StringIO(proc.stdout)))

    on_virtuoso = counts("--store", virtuoso.spec, env=env)
    assert len(on_virtuoso) > 10
    assert on_virtuoso == counts(store=embedded)
    down = run("--store", "sparql:http://127.0.0.1:9/sparql", "stats")
    assert down.returncode == 2
    assert "http://127.0.0.1:9/sparql is unavailable (connection refused)" in down.stderr


def test_the_service_answers_503_while_the_store_is_down(virtuoso, remote, monkeypatch):
    from ikgraph.app import create_app

    for key, value in virtuoso.environ().items():
        monkeypatch.setenv(key, value)
    with LoopbackRelay(virtuoso.port) as relay:
        app = create_app({"STORE": f"sparql:{relay.url()}"})
        client = app.test_client()
        ask = {"query": "ASK { ?s ?p ?o }"}
        json = {"Accept": "application/sparql-results+json"}
        assert client.get("/sparql", query_string=ask, headers=json).status_code == 200
        relay.stop()
        down = client.get("/sparql", query_string=ask, headers=json)
        assert down.status_code == 503
        assert f"{relay.url()} is unavailable" in down.get_data(as_text=True)
        relay.start()
        assert client.get("/sparql", query_string=ask, headers=json).status_code == 200
        app.extensions["ikgraph"].store.close()


def test_a_query_virtuoso_refuses_by_its_cost_names_the_setting(remote):
    remote.replace_graphs({G1: quads(G1, *(f"Zeile {n}" for n in range(50)))})
    product = " . ".join(f"?s{n} ?p{n} ?o{n}" for n in range(6))
    with pytest.raises(StoreError, match=r"MaxQueryCostEstimationTime in \[SPARQL\]") as refused:
        remote.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {product} }}")
    assert not isinstance(refused.value, StoreUnavailable)
