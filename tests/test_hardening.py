"""The public endpoint under abuse: runaway and huge queries, outbound requests, floods.

Queries run in worker processes here (``QUERY_WORKERS=2``), as in production:
a query past its time limit is killed, one past its memory cap ends its worker,
and the server goes on answering. No request may reach another server: a
listening socket on 127.0.0.1 stands for "elsewhere" and must see no connection.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest
import requests
from cli_helpers import run
from flask import Flask

from ikgraph import limits, tokens
from ikgraph.app import create_app
from ikgraph.sources import Source, SourceError, parse
from ikgraph.store import OxigraphStore
from ikgraph.workers import BATCH

BASE = "https://w3id.org/ikg/"
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"
)
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?l ?f ?d"
CHEAP = "ASK { ?s ?p ?o }"


class Listener:
    """A TCP socket listening on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[bytes] = []
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while self._running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(4096))
                except OSError:
                    self.connections.append(b"")

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    elsewhere = Listener()
    yield elsewhere
    elsewhere.close()


@pytest.fixture
def worker_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(QUERY_WORKERS=2, QUERY_TIMEOUT=2, QUERY_MEMORY_MB=200, RATE_LIMIT_QUERY="")


@pytest.fixture
def worker_url(worker_app: Flask, serve: Callable[[Flask], str]) -> str:
    return serve(worker_app)


def ask(url: str, query: str, **params) -> requests.Response:
    return requests.get(f"{url}/sparql", params={"query": query, **params}, timeout=30)


def pool(app: Flask):
    return app.extensions["ikgraph.workers"]


# --- time --------------------------------------------------------------------------------


def test_a_runaway_query_is_stopped_within_the_limit_and_its_worker_killed(worker_app, worker_url):
    before = set(pool(worker_app).pids())
    assert len(before) == 2
    assert ask(worker_url, CHEAP).status_code == 200  # workers up, snapshot made
    started = time.monotonic()
    response = ask(worker_url, RUNAWAY, timeout="1")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "IKGRAPH_QUERY_TIMEOUT" in response.text
    assert elapsed < 1 + 1, elapsed
    cheap = ask(worker_url, CHEAP)
    assert cheap.status_code == 200 and cheap.json()["boolean"] is True
    killed = before - set(pool(worker_app).pids())
    assert len(killed) == 1
    (pid,) = killed
    try:  # gone, or at least using no CPU any more
        process = psutil.Process(pid)
        cpu = process.cpu_times()
        time.sleep(0.3)
        assert process.status() == psutil.STATUS_ZOMBIE or process.cpu_times() == cpu
    except psutil.NoSuchProcess:
        pass
    deadline = time.monotonic() + 5
    while len(pool(worker_app).pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pool(worker_app).pids()) == 2, "a replacement worker starts"


def test_the_server_answers_others_while_a_query_runs_away(worker_url):
    runaway: list[requests.Response] = []
    thread = threading.Thread(target=lambda: runaway.append(ask(worker_url, RUNAWAY)))
    thread.start()
    time.sleep(0.3)
    for n in range(10):
        started = time.monotonic()
        response = ask(worker_url, f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n + 1}")
        assert response.status_code == 200
        assert time.monotonic() - started < 1
        assert requests.get(f"{worker_url}/", timeout=5).status_code == 200
    thread.join(timeout=10)
    assert runaway[0].status_code == 503


def test_every_worker_busy_is_a_503_naming_the_settings(make_app, serve):
    url = serve(make_app(QUERY_WORKERS=1, QUERY_TIMEOUT=3, RATE_LIMIT_QUERY=""))
    assert ask(url, CHEAP).status_code == 200
    thread = threading.Thread(target=ask, args=(url, RUNAWAY))
    thread.start()
    time.sleep(0.3)
    waiting = ask(url, CHEAP + " # not in the cache", timeout="0.5")
    thread.join(timeout=10)
    assert waiting.status_code == 503
    assert "IKGRAPH_QUERY_WORKERS" in waiting.text and "timeout=" in waiting.text


# --- memory ------------------------------------------------------------------------------


def test_a_query_past_the_memory_cap_is_a_503_and_the_server_stays_up(worker_url):
    response = ask(worker_url, HUGE)
    assert response.status_code == 503
    assert response.text.strip() == "query exceeded IKGRAPH_QUERY_MEMORY_MB (200 MB)"
    assert ask(worker_url, CHEAP).status_code == 200
    assert ask(worker_url, "SELECT * WHERE { ?s ?p ?o }").status_code == 200


# --- answers from workers are the engine's answers ---------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        f"DESCRIBE <{BASE}id/measure/sprachkurs-muetter>",
        "ASK { ?s ?p ?o }",
        "ASK { ?s <urn:nothing> ?o }",
        f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/tiny-reference> WHERE {{ ?s ?p ?o }}",
    ],
)
def test_workers_answer_as_the_server_process_does(make_app, serve, query):
    inside = serve(make_app(QUERY_WORKERS=0))
    outside = serve(make_app(QUERY_WORKERS=2, RATE_LIMIT_QUERY=""))
    for fmt in ("json", "xml", "tsv", "ttl", "nt"):
        a, b = ask(inside, query, format=fmt), ask(outside, query, format=fmt)
        assert (a.status_code, a.headers["Content-Type"]) == (
            b.status_code,
            b.headers["Content-Type"],
        )
        if a.status_code == 200 and "DESCRIBE" not in query and "CONSTRUCT" not in query:
            assert a.content == b.content
        elif a.status_code == 200:
            assert sorted(a.text.splitlines()) == sorted(b.text.splitlines()) or fmt != "nt"
    dataset = {"default-graph-uri": f"{BASE}graph/tiny-reference"}
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert ask(inside, count, **dataset).content == ask(outside, count, **dataset).content


def test_large_answers_come_in_batches_cut_at_the_row_limit(serve):
    store = OxigraphStore(None, base=BASE)
    graph = ox.NamedNode(f"{BASE}graph/many")
    store.raw.extend(
        ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(str(i)), graph)
        for i in range(3 * BATCH + 7)
    )
    app = create_app({"STORE_OBJECT": store, "QUERY_WORKERS": 1, "RATE_LIMIT_QUERY": ""})
    url = serve(app)
    everything = ask(url, "SELECT ?s WHERE { ?s ?p ?o }")
    assert everything.headers["X-Ikgraph-Truncated"] == "false"
    assert len(everything.json()["results"]["bindings"]) == 3 * BATCH + 7
    cut = ask(url, "SELECT ?s WHERE { ?s ?p ?o }", **{"max-rows": str(BATCH + 1)})
    assert cut.headers["X-Ikgraph-Truncated"] == "true"
    assert len(cut.json()["results"]["bindings"]) == BATCH + 1
    triples = ask(url, "CONSTRUCT WHERE { ?s ?p ?o }", format="nt", **{"max-rows": "1200"})
    assert triples.headers["X-Ikgraph-Truncated"] == "true"
    assert len(triples.text.splitlines()) == 1200
    # a client that leaves mid-answer frees its worker
    with requests.get(
        f"{url}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, stream=True, timeout=10
    ) as partial:
        next(partial.iter_content(64))
    for _ in range(3):
        assert ask(url, CHEAP).status_code == 200
    store.close()


def test_a_write_reaches_the_workers_and_old_snapshots_go(worker_app, worker_url, store):
    from test_sparql_http import PREFIXES, write_a_project

    count = PREFIXES + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ikg:Project }"
    assert ask(worker_url, count).json()["results"]["bindings"][0]["n"]["value"] == "2"
    write_a_project(store)
    assert ask(worker_url, count).json()["results"]["bindings"][0]["n"]["value"] == "3"
    ask(worker_url, count + " # the other worker")
    folder = pool(worker_app)._folder
    assert len(list(folder.iterdir())) <= 2


def kind_for(store, memory_quads: int) -> str:
    return "nquads" if memory_quads > 0 and len(store.raw) <= memory_quads else "rocksdb"


@pytest.mark.parametrize("memory_quads", [0, 1, 1000])
def test_workers_read_checkpoints_or_copies_of_an_on_disk_store(tmp_path, serve, memory_quads):
    """A store above IKGRAPH_WORKER_MEMORY_QUADS is read from a checkpoint; a smaller
    one from a copy in each worker's memory; the answers are the same."""
    from test_sparql_http import NEW_PROJECT

    path = tmp_path / "store"
    app = create_app(
        {
            "STORE": f"oxigraph:{path}",
            "QUERY_WORKERS": 2,
            "RATE_LIMIT_QUERY": "",
            "WORKER_MEMORY_QUADS": memory_quads,
            "TESTING": True,
        }
    )
    url = serve(app)
    store = app.extensions["ikgraph"].store
    assert ask(url, CHEAP).json()["boolean"] is False
    assert pool(app)._current.kind == ("nquads" if memory_quads else "rocksdb")
    store.raw.load(
        NEW_PROJECT.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f"{BASE}graph/x")
    )
    store.replace_graphs({})  # a new version, as every write makes
    assert ask(url, CHEAP).json()["boolean"] is True
    assert 1 < len(store.raw) < 1000
    assert pool(app)._current.kind == kind_for(store, memory_quads)
    snapshots = pool(app)._folder
    assert snapshots.parent == tmp_path and snapshots.name == ".store.snapshots"
    pool(app).close()
    assert not snapshots.exists()


def test_query_workers_zero_evaluates_in_the_server(make_app):
    app = make_app(QUERY_WORKERS=0)
    assert app.extensions["ikgraph.workers"] is None
    assert app.test_client().get("/sparql", query_string={"query": CHEAP}).status_code == 200


# --- no outbound requests ---------------------------------------------------------------


def test_service_to_loopback_is_refused_without_a_connection(worker_url, listener):
    target = listener.url
    for query in (
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ service silent <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE # comment\n <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX e: <{target}> SELECT * WHERE {{ SERVICE e:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{target}> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}",
        f"BASE <{target}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
    ):
        response = ask(worker_url, query)
        assert response.status_code == 400, query
        assert "IKGRAPH_SERVICE_ALLOWLIST" in response.text
    time.sleep(0.3)
    assert listener.connections == []


def test_a_service_on_the_allowlist_is_called(make_app, serve, listener):
    url = serve(make_app(QUERY_WORKERS=1, SERVICE_ALLOWLIST=listener.url, QUERY_TIMEOUT=5))
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    assert ask(url, query).status_code != 400  # the listener answers nothing useful
    assert listener.connections and listener.connections[0].startswith(b"POST /")
    other = ask(url, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert other.status_code == 400 and listener.url in other.text


def test_load_in_an_update_is_refused_without_a_connection(make_app, tmp_path, listener):
    file = tmp_path / "tokens.json"
    token = tokens.add(file, "kreis-beispiel", ["*"])
    app = make_app(TOKENS_FILE=str(file), RATE_LIMIT_WRITE="")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for update in (
        f"LOAD <{listener.url}data.ttl> INTO GRAPH <{BASE}graph/x>",
        f"LOAD SILENT <{listener.url}data.ttl>",
        f"INSERT {{ GRAPH <{BASE}graph/x> {{ ?s ?p ?o }} }} "
        f"WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
    ):
        response = client.post("/update", data={"update": update}, headers=auth)
        assert response.status_code == 400, response.text
    time.sleep(0.3)
    assert listener.connections == []


XXE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY ext SYSTEM "{url}secret"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/ikg/id/measure/x">
    <rdfs:label>&ext;</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""
FILE_ENTITY = XXE.replace("{url}secret", "file:///etc/passwd")
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + ']><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description '
    'rdf:about="https://w3id.org/ikg/id/measure/x"><rdfs:label>&i;</rdfs:label>'
    "</rdf:Description></rdf:RDF>"
)
REMOTE_CONTEXT = '{{"@context": "{url}context.jsonld", "@id": "{base}id/measure/x", "label": "x"}}'


def hostile_inputs(listener: Listener) -> list[tuple[str, bytes, ox.RdfFormat]]:
    return [
        ("xxe.rdf", XXE.format(url=listener.url).encode(), ox.RdfFormat.RDF_XML),
        ("file.rdf", FILE_ENTITY.encode(), ox.RdfFormat.RDF_XML),
        ("laughs.rdf", LAUGHS.encode(), ox.RdfFormat.RDF_XML),
        (
            "context.jsonld",
            REMOTE_CONTEXT.format(url=listener.url, base=BASE).encode(),
            ox.RdfFormat.JSON_LD,
        ),
        (
            "context-list.jsonld",
            json.dumps({"@context": [listener.url + "c"], "@id": BASE + "id/x"}).encode(),
            ox.RdfFormat.JSON_LD,
        ),
    ]


def test_parsers_refuse_external_entities_and_remote_contexts_without_fetching(listener):
    for name, data, fmt in hostile_inputs(listener):
        with pytest.raises(SourceError) as refused:
            parse(Source(name=name.split(".")[0], data=data, format=fmt, filename=name), base=BASE)
        assert name in str(refused.value)
    time.sleep(0.3)
    assert listener.connections == []


def test_plain_entities_of_ontology_editors_still_parse():
    data = (
        b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ikg "https://w3id.org/ikg/id/">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">'
        b'<rdf:Description rdf:about="&ikg;measure/x"><rdfs:label>x</rdfs:label>'
        b"</rdf:Description></rdf:RDF>"
    )
    quads = parse(Source(name="x", data=data, format=ox.RdfFormat.RDF_XML), base=BASE)
    assert quads[0].subject == ox.NamedNode(f"{BASE}id/measure/x")


def test_validate_endpoint_and_cli_refuse_hostile_rdf_without_fetching(
    make_app, listener, tmp_path
):
    client = make_app(RATE_LIMIT_WRITE="").test_client()
    types = {
        ox.RdfFormat.RDF_XML: "application/rdf+xml",
        ox.RdfFormat.JSON_LD: "application/ld+json",
    }
    for name, data, fmt in hostile_inputs(listener):
        response = client.post("/validate", data=data, headers={"Content-Type": types[fmt]})
        assert response.status_code == 400, (name, response.status_code)
        (tmp_path / name).write_bytes(data)
        cli = run("validate", "--no-store", str(tmp_path / name))
        assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
    time.sleep(0.3)
    assert listener.connections == []


# --- fair use -------------------------------------------------------------------------------


def test_too_many_queries_get_429_with_retry_after(make_app, serve):
    url = serve(make_app(RATE_LIMIT_QUERY="3/minute"))
    answers = [ask(url, CHEAP) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "IKGRAPH_RATE_LIMIT_QUERY" in answers[-1].text and "3 per 1 minute" in answers[-1].text
    assert requests.get(f"{url}/", timeout=5).status_code == 200  # pages are not counted


def test_too_many_writes_get_429(make_app, tmp_path):
    file = tmp_path / "tokens.json"
    token = tokens.add(file, "kreis-beispiel", ["*"])
    client = make_app(TOKENS_FILE=str(file), RATE_LIMIT_WRITE="2/minute").test_client()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}
    statuses = [
        client.put(f"/graph-store?graph={BASE}graph/x", data=b"nonsense", headers=auth).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:2]
    limited = client.post("/validate", data=b"x", headers={"Content-Type": "text/turtle"})
    assert limited.status_code == 429 and "IKGRAPH_RATE_LIMIT_WRITE" in limited.text
    assert "Retry-After" in limited.headers


def test_a_bad_rate_names_the_setting(make_app):
    with pytest.raises(ValueError, match="IKGRAPH_RATE_LIMIT_QUERY"):
        make_app(RATE_LIMIT_QUERY="lots")


def test_updates_without_a_token_are_refused(make_app, tmp_path):
    read_only = make_app().test_client()
    for method in ("put", "post", "delete"):
        response = getattr(read_only, method)(f"/graph-store?graph={BASE}graph/x", data=b"")
        assert response.status_code in (401, 403, 405), method
    assert read_only.post("/update", data={"update": "CLEAR ALL"}).status_code in (404, 405)
    file = tmp_path / "tokens.json"
    tokens.add(file, "kreis-beispiel", ["*"])
    client = make_app(TOKENS_FILE=str(file), RATE_LIMIT_WRITE="").test_client()
    update = f"INSERT DATA {{ GRAPH <{BASE}graph/x> {{ <urn:a> <urn:b> <urn:c> }} }}"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}):
        response = client.post("/update", data={"update": update}, headers=headers)
        assert response.status_code == 401 and "WWW-Authenticate" in response.headers
        put = client.put(
            f"/graph-store?graph={BASE}graph/x",
            data=b"<urn:a> <urn:b> <urn:c> .",
            headers={"Content-Type": "text/turtle", **headers},
        )
        assert put.status_code == 401


def test_body_over_the_limit_is_413(make_app, serve):
    url = serve(make_app(MAX_BODY_BYTES=1000))
    response = requests.post(
        f"{url}/sparql",
        data=b"ASK {}" + b" " * 2000,
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert response.status_code == 413 and "IKGRAPH_MAX_BODY_BYTES" in response.text


def test_waitress_refuses_huge_bodies_and_headers_unread(make_app, serve):
    url = serve(make_app(MAX_BODY_BYTES=1000, MAX_HEADER_BYTES=4096))
    huge = requests.post(
        f"{url}/sparql",
        data=b"x" * (1000 + 70_000),
        headers={"Content-Type": "application/sparql-query"},
        timeout=10,
    )
    assert huge.status_code == 413
    headers = requests.get(f"{url}/sparql", headers={"X-Big": "y" * 8000}, timeout=10)
    assert headers.status_code == 431


def test_a_slow_client_is_disconnected(make_app, serve):
    url = serve(make_app(CHANNEL_TIMEOUT=1, CLEANUP_INTERVAL=0.2))
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as slow:
        slow.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        started = time.monotonic()
        assert slow.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 4
    assert requests.get(f"{url}/", timeout=5).status_code == 200


def test_the_service_description_names_the_allowlist(make_app):
    client = make_app(SERVICE_ALLOWLIST="https://query.wikidata.org/sparql").test_client()
    text = client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "SERVICE may call only <https://query.wikidata.org/sparql>" in text


def test_check_services_reads_past_strings_and_comments():
    allowed = limits.allowlist("https://query.wikidata.org/sparql, http://a.example/s")
    assert allowed == {"https://query.wikidata.org/sparql", "http://a.example/s"}
    limits.check_services('SELECT ("SERVICE <x>" AS ?t) {} # SERVICE <y>', frozenset())
    limits.check_services("SELECT * { SERVICE <http://a.example/s> { ?s ?p ?o } }", allowed)
    with pytest.raises(limits.LimitError):
        limits.check_services("SELECT * { SERVICE <http://a.example/t> { ?s ?p ?o } }", allowed)


def test_settings_of_hardening_are_documented():
    text = (Path(__file__).resolve().parent.parent / "docs" / "security.md").read_text("utf-8")
    for name in (
        "QUERY_TIMEOUT",
        "QUERY_WORKERS",
        "QUERY_MEMORY_MB",
        "MAX_ROWS",
        "MAX_BODY_BYTES",
        "SERVICE_ALLOWLIST",
        "RATE_LIMIT_QUERY",
        "RATE_LIMIT_WRITE",
        "CHANNEL_TIMEOUT",
        "CLEANUP_INTERVAL",
        "MAX_HEADER_BYTES",
        "CONNECTION_LIMIT",
    ):
        assert f"IKGRAPH_{name}" in text, name
