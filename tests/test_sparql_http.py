"""``/sparql`` through a real HTTP server: the SPARQL 1.1 Protocol, formats, limits, cache.

Every answer is parsed back with rdflib (or read by SPARQLWrapper) and compared
with what the engine says directly, so a format that loses a datatype, a
language tag or an umlaut fails here.
"""

from __future__ import annotations

import io
import json
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyoxigraph as ox
import pytest
import rdflib
import requests
from flask import Flask
from rdflib.compare import isomorphic
from rdflib.query import Result
from SPARQLWrapper import (
    JSON,
    JSONLD,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from ikgraph import limits, serialize
from ikgraph.server import banner
from ikgraph.store import OxigraphStore

G = "https://w3id.org/ikg/graph/"
RES = "https://w3id.org/ikg/id/"
PREFIXES = """PREFIX ikg: <https://w3id.org/ikg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
"""
SELECT = (
    PREFIXES
    + """SELECT ?thing ?label ?start ?budget WHERE {
  ?thing skos:prefLabel ?label .
  OPTIONAL { ?thing schema:startDate ?start }
  OPTIONAL { ?thing ikg:budget/schema:value ?budget }
}"""
)
ASK_TRUE = PREFIXES + 'ASK { ?x skos:prefLabel "Zuwanderung und Flüchtlinge"@de }'
ASK_FALSE = PREFIXES + 'ASK { ?x skos:prefLabel "nirgends"@de }'
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G}tiny-measures> {{ ?s ?p ?o }} }}"
DESCRIBE = f"DESCRIBE <{RES}measure/sprachkurs-muetter>"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "ttl": ("text/turtle", "turtle"),
    "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
    "nq": ("application/n-quads", "nquads"),
    "trig": ("application/trig", "trig"),
}
OPERATIONS = ("get", "post-form", "post-query")


def ask(url: str, query: str, *, op: str = "get", params=None, headers=None) -> requests.Response:
    """One query by one of the three operations of the protocol."""
    params = dict(params or {})
    if op == "get":
        return requests.get(f"{url}/sparql", params={"query": query, **params}, headers=headers)
    if op == "post-form":
        return requests.post(f"{url}/sparql", data={"query": query, **params}, headers=headers)
    return requests.post(
        f"{url}/sparql",
        params=params,
        data=query.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query", **(headers or {})},
    )


def bindings(body: bytes, fmt: str) -> Counter:
    """The rows of a SELECT answer as a multiset of {variable: term} items."""
    result = Result.parse(io.BytesIO(body), format=fmt)
    return Counter(frozenset((str(k), v) for k, v in row.items()) for row in result.bindings)


def lexical(rows: Counter) -> Counter:
    """Rows with terms reduced to their lexical form (what CSV keeps)."""
    return Counter(
        frozenset((k, str(v)) for k, v in row) for row, n in rows.items() for _ in range(n)
    )


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """rdflib's JSON-LD, N-Quads and TriG parsers (and SPARQLWrapper) use APIs rdflib deprecates."""
    with warnings.catch_warnings():
        for module in ("rdflib", "SPARQLWrapper"):
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        yield


def graph_of(body: bytes | str, fmt: str) -> rdflib.Graph:
    with quiet_rdflib():
        return _graph_of(body, fmt)


def _graph_of(body: bytes | str, fmt: str) -> rdflib.Graph:
    if fmt in ("nquads", "trig"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=fmt)
        out = rdflib.Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            out.add((s, p, o))
        return out
    return rdflib.Graph().parse(data=body, format=fmt)


def engine_rows(store: OxigraphStore, query: str) -> Counter:
    body = store.query(query).serialize(format=ox.QueryResultsFormat.JSON)
    return bindings(body, "json")


def engine_graph(store: OxigraphStore, query: str) -> rdflib.Graph:
    return graph_of(store.query(query).serialize(format=ox.RdfFormat.N_TRIPLES), "nt")


# --- the three operations × every format ---------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize("fmt", list(RESULT_TYPES))
def test_select_every_operation_and_format_gives_the_engines_rows(live_server, store, op, fmt):
    response = ask(live_server, SELECT, op=op, headers={"Accept": RESULT_TYPES[fmt]})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == f"{RESULT_TYPES[fmt]}; charset=utf-8"
    expected = engine_rows(store, SELECT)
    assert sum(expected.values()) == 18
    got = bindings(response.content, fmt)
    if fmt == "csv":  # CSV keeps lexical forms only, by design of the format
        assert lexical(got) == lexical(expected)
    else:
        assert got == expected


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize("fmt", list(RESULT_TYPES))
def test_ask_every_operation_and_format(live_server, op, fmt):
    for query, value in ((ASK_TRUE, True), (ASK_FALSE, False)):
        response = ask(live_server, query, op=op, params={"format": fmt})
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == f"{RESULT_TYPES[fmt]}; charset=utf-8"
        if fmt in ("json", "xml"):
            assert Result.parse(io.BytesIO(response.content), format=fmt).askAnswer is value
        else:
            assert response.text.strip() == str(value).lower()


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_construct_every_operation_and_format_gives_the_engines_triples(
    live_server, store, op, fmt
):
    media_type, rdflib_format = GRAPH_TYPES[fmt]
    response = ask(live_server, CONSTRUCT, op=op, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    got = graph_of(response.content, rdflib_format)
    assert len(got) == 34
    assert isomorphic(got, engine_graph(store, CONSTRUCT))


@pytest.mark.parametrize("fmt", list(GRAPH_TYPES))
def test_graph_formats_join_chunks_into_one_document(live_server, store, monkeypatch, fmt):
    monkeypatch.setattr(serialize, "CHUNK", 4)
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    response = ask(live_server, query, params={"format": fmt})
    got = graph_of(response.content, GRAPH_TYPES[fmt][1])
    assert len(got) == 64
    assert isomorphic(got, engine_graph(store, query))


@pytest.mark.parametrize("fmt", list(RESULT_TYPES))
def test_select_formats_join_chunks(live_server, store, monkeypatch, fmt):
    monkeypatch.setattr(serialize, "CHUNK", 4)
    got = bindings(ask(live_server, SELECT, params={"format": fmt}).content, fmt)
    expected = engine_rows(store, SELECT)
    assert (lexical(got) == lexical(expected)) if fmt == "csv" else (got == expected)


def test_describe_answers_the_resource(live_server, store):
    for fmt in ("ttl", "jsonld"):
        response = ask(live_server, DESCRIBE, params={"format": fmt})
        got = graph_of(response.content, GRAPH_TYPES[fmt][1])
        assert isomorphic(got, engine_graph(store, DESCRIBE))
        assert (rdflib.URIRef(f"{RES}measure/sprachkurs-muetter"), None, None) in got


# --- SPARQLWrapper as a client --------------------------------------------------------


def wrapper(url: str, query: str, fmt: str, *, method: str = "GET", request: str = "") -> object:
    client = SPARQLWrapper(f"{url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    if request:
        client.setRequestMethod(request)
    with quiet_rdflib():
        return client.queryAndConvert()  # a format mismatch would warn, an error here


@pytest.mark.parametrize(
    ("method", "request_method"), [("GET", ""), (POST, URLENCODED), (POST, POSTDIRECTLY)]
)
def test_sparqlwrapper_select_ask_construct_describe(live_server, store, method, request_method):
    kw = {"method": method, "request": request_method}
    answer = wrapper(live_server, SELECT, JSON, **kw)
    assert len(answer["results"]["bindings"]) == 18
    assert answer["truncated"] is False
    xml = wrapper(live_server, SELECT, XML, **kw)
    assert len(xml.getElementsByTagName("result")) == 18
    assert wrapper(live_server, ASK_TRUE, JSON, **kw)["boolean"] is True
    assert (
        wrapper(live_server, ASK_FALSE, XML, **kw)
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )
    constructed = wrapper(live_server, CONSTRUCT, RDFXML, **kw)
    assert isomorphic(constructed, engine_graph(store, CONSTRUCT))
    turtle = wrapper(live_server, CONSTRUCT, TURTLE, **kw)
    assert isomorphic(graph_of(turtle, "turtle"), engine_graph(store, CONSTRUCT))
    described = wrapper(live_server, DESCRIBE, JSONLD, **kw)
    assert isomorphic(described, engine_graph(store, DESCRIBE))


# --- text, datatypes, languages ----------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS)
def test_umlauts_and_eszett_round_trip(live_server, op):
    query = PREFIXES + (
        'SELECT ?label ("Grüße aus Groß-Gerau" AS ?echo) WHERE { ?x skos:prefLabel ?label '
        'FILTER(CONTAINS(?label, "ß") || CONTAINS(?label, "ü")) }'
    )
    response = ask(live_server, query, op=op)
    assert response.status_code == 200, response.text
    answer = response.json()
    labels = {b["label"]["value"] for b in answer["results"]["bindings"]}
    assert {"Zuwanderung und Flüchtlinge", "Sprachkurs für Mütter (Beispiel)"} <= labels
    assert "Begegnungsstätte an der Hauptstraße (Beispiel)" in labels
    assert answer["results"]["bindings"][0]["echo"]["value"] == "Grüße aus Groß-Gerau"
    assert "Groß-Gerau".encode() in response.content  # UTF-8 on the wire, not \\u escapes


def test_typed_and_language_tagged_literals_are_kept(live_server):
    query = PREFIXES + (
        f"SELECT ?label ?start ?budget WHERE {{ <{RES}measure/beispiel-programm> "
        "skos:prefLabel ?label ; schema:startDate ?start ; ikg:budget/schema:value ?budget }"
    )
    for fmt in ("json", "xml", "tsv"):
        rows = Result.parse(
            io.BytesIO(ask(live_server, query, params={"format": fmt}).content), format=fmt
        )
        seen = {(row.label.language, row.start.datatype, row.budget.datatype) for row in rows}
        xsd = "http://www.w3.org/2001/XMLSchema#"
        assert seen == {
            (lang, rdflib.URIRef(xsd + "date"), rdflib.URIRef(xsd + "decimal"))
            for lang in ("de", "en")
        }
        assert {str(row.budget) for row in rows} == {"1250000.5"}  # Oxigraph's canonical form


# --- errors ------------------------------------------------------------------------------


def test_malformed_query_is_400_with_the_parsers_position(live_server):
    response = ask(live_server, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "malformed query" in response.text and "1:" in response.text


@pytest.mark.parametrize("op", OPERATIONS)
def test_update_is_refused_naming_update_endpoint(live_server, op):
    for update in (
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX ex: <urn:x#> DELETE WHERE { ?s ex:p ?o }",
        "LOAD <http://example.org/x.ttl>",
        "CLEAR ALL",
    ):
        response = ask(live_server, update, op=op)
        assert response.status_code == 400
        assert "/update" in response.text
    form = requests.post(f"{live_server}/sparql", data={"update": "CLEAR ALL"})
    assert form.status_code == 400 and "/update" in form.text
    body = requests.post(
        f"{live_server}/sparql",
        data=b"CLEAR ALL",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert body.status_code == 400 and "/update" in body.text


def test_unacceptable_format_is_406_listing_what_is_offered(live_server):
    response = ask(live_server, SELECT, headers={"Accept": "image/png"})
    assert response.status_code == 406
    for media_type in RESULT_TYPES.values():
        assert media_type in response.text
    graph = ask(live_server, CONSTRUCT, params={"format": "csv"})
    assert graph.status_code == 406
    assert "text/turtle" in graph.text and "format=ttl" in graph.text


def test_body_over_the_limit_is_413_naming_the_setting(make_app, serve):
    url = serve(make_app(MAX_BODY_BYTES=300))
    long_query = SELECT + "\n#" + "x" * 400
    for op in ("post-form", "post-query"):
        response = ask(url, long_query, op=op)
        assert response.status_code == 413
        assert "IKGRAPH_MAX_BODY_BYTES" in response.text and "300" in response.text
    assert ask(url, "ASK {}", op="post-query").status_code == 200


def test_time_limit_setting_and_timeout_parameter(make_app, serve, live_server):
    lowered = ask(live_server, SLOW, params={"timeout": "0.001"})
    assert lowered.status_code == 503, lowered.text
    assert lowered.text.strip() == (
        "query exceeded its time limit of 0.001 s set by timeout= (IKGRAPH_QUERY_TIMEOUT is 30 s)"
    )
    assert ask(live_server, "ASK {}", params={"timeout": "0.5"}).status_code == 200
    bad = ask(live_server, "ASK {}", params={"timeout": "soon"})
    assert bad.status_code == 400 and "IKGRAPH_QUERY_TIMEOUT" in bad.text

    url = serve(make_app(QUERY_TIMEOUT=0.001))
    configured = ask(url, SLOW)
    assert configured.status_code == 503
    assert configured.text.strip() == "query exceeded IKGRAPH_QUERY_TIMEOUT (0.001 s)"
    raised = ask(url, SLOW, params={"timeout": "60"})  # a request cannot raise the limit
    assert raised.status_code == 503


def test_service_calls_are_refused(live_server):
    response = ask(
        live_server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    )
    assert response.status_code == 400 and "SERVICE" in response.text
    harmless = ask(live_server, 'SELECT ("SERVICE <x>" AS ?text) WHERE {}')
    assert harmless.status_code == 200


def test_post_of_an_unknown_body_type_is_415(live_server):
    response = requests.post(
        f"{live_server}/sparql", data=b"ASK {}", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


# --- dataset ------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS)
def test_default_and_named_graph_uris_choose_the_dataset(live_server, op):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = ask(live_server, count, op=op).json()
    assert union["results"]["bindings"][0]["n"]["value"] == "64"
    only = ask(live_server, count, op=op, params={"default-graph-uri": f"{G}tiny-reference"}).json()
    assert only["results"]["bindings"][0]["n"]["value"] == "30"
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    named = ask(
        live_server, graphs, op=op, params={"named-graph-uri": [f"{G}tiny-measures"]}
    ).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [f"{G}tiny-measures"]
    both = ask(
        live_server,
        graphs,
        op=op,
        params={"named-graph-uri": [f"{G}tiny-measures", f"{G}tiny-reference"]},
    ).json()
    assert len(both["results"]["bindings"]) == 2


# --- negotiation with the Accept headers clients really send ----------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


SRJ, SRX = "application/sparql-results+json", "application/sparql-results+xml"
TTL, JSONLD_TYPE = "text/turtle", "application/ld+json"
CLIENTS = [
    # (client, Accept header it sends, query, media type it should get)
    (
        "SPARQLWrapper JSON",
        f"{SRJ},application/json,text/javascript,application/javascript",
        SELECT,
        SRJ,
    ),
    ("SPARQLWrapper XML", SRX, SELECT, SRX),
    ("SPARQLWrapper CSV", "text/csv", SELECT, "text/csv"),
    ("SPARQLWrapper TSV", "text/tab-separated-values", SELECT, "text/tab-separated-values"),
    ("SPARQLWrapper RDF/XML", "application/rdf+xml", CONSTRUCT, "application/rdf+xml"),
    ("SPARQLWrapper Turtle", "application/turtle,text/turtle", CONSTRUCT, TTL),
    (
        "SPARQLWrapper N3",
        "application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3",
        CONSTRUCT,
        TTL,
    ),
    ("SPARQLWrapper JSON-LD", "application/ld+json,application/x-json+ld", DESCRIBE, JSONLD_TYPE),
    ("rdflib SPARQLStore xml", f"{SRX}, application/rdf+xml", SELECT, SRX),
    ("rdflib SPARQLStore json", SRJ, ASK_TRUE, SRJ),
    ("rdflib parse turtle", "text/turtle, application/x-turtle, */*;q=0.1", CONSTRUCT, TTL),
    (
        "rdflib parse json-ld",
        "application/ld+json, application/json;q=0.9, */*;q=0.1",
        CONSTRUCT,
        JSONLD_TYPE,
    ),
    ("rdflib parse nt", "text/plain, */*;q=0.1", CONSTRUCT, "application/n-triples"),
    (
        "rdflib parse, no format",
        "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
        "application/n-quads, application/trix, application/trig",
        CONSTRUCT,
        TTL,
    ),
    ("YASGUI select", f"{SRJ},*/*;q=0.9", SELECT, SRJ),
    ("YASGUI construct", "text/turtle,*/*;q=0.9", CONSTRUCT, TTL),
    ("curl", "*/*", SELECT, SRJ),
    ("curl", "*/*", CONSTRUCT, TTL),
    ("curl", "*/*", ASK_TRUE, SRJ),
    ("no Accept", None, SELECT, SRJ),
    ("Firefox", BROWSER, SELECT, "text/html"),
    ("Chrome", CHROME, CONSTRUCT, "text/html"),
    ("q-values", f"text/csv;q=0.5, {SRX};q=0.8", SELECT, SRX),
    ("excluded", "text/csv;q=0, */*;q=0.1", SELECT, SRJ),
    ("wildcard subtype", "text/*", CONSTRUCT, TTL),
    ("parameters", f"{SRJ}; charset=utf-8", SELECT, SRJ),
]


@pytest.mark.parametrize(("client", "accept", "query", "expected"), CLIENTS)
def test_accept_headers_of_real_clients(live_server, client, accept, query, expected):
    headers = {"Accept": accept} if accept is not None else {"Accept": ""}
    response = ask(live_server, query, headers=headers)
    assert response.status_code == 200, (client, response.text)
    assert response.headers["Content-Type"] == f"{expected}; charset=utf-8", client
    assert "Accept" in response.headers["Vary"]


def test_format_parameter_wins_and_sparqlwrapper_style_values_work(live_server):
    for value, expected in (
        (["json"], "application/sparql-results+json"),
        (["tsv", "text/tab-separated-values"], "text/tab-separated-values"),
        (["application/sparql-results+xml"], "application/sparql-results+xml"),
    ):
        response = ask(
            live_server, SELECT, params={"format": value}, headers={"Accept": "text/csv"}
        )
        assert response.headers["Content-Type"].startswith(expected)
    rdf = ask(live_server, CONSTRUCT, params={"format": ["rdf+xml", "application/rdf+xml"]})
    assert rdf.headers["Content-Type"].startswith("application/rdf+xml")


# --- service description ------------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "*/*", None])
def test_bare_get_is_a_service_description(live_server, accept):
    response = requests.get(f"{live_server}/sparql", headers={"Accept": accept or ""})
    assert response.status_code == 200
    media_type = response.headers["Content-Type"].split(";")[0]
    rdflib_format = {"text/turtle": "turtle", "application/ld+json": "json-ld"}[media_type]
    sd = graph_of(response.content, rdflib_format)
    service = rdflib.URIRef(f"{live_server}/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in sd
    assert (service, SD.endpoint, service) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert len(list(sd.objects(service, SD.resultFormat))) == 10
    dataset = sd.value(service, SD.defaultDataset)
    comments = {str(c) for c in sd.objects(dataset, rdflib.RDFS.comment)}
    assert "The default graph is the union of all named graphs." in comments
    names = {str(sd.value(n, SD.name)) for n in sd.objects(dataset, SD.namedGraph)}
    assert names == {f"{G}tiny-measures", f"{G}tiny-reference"}


def test_browsers_get_the_query_page_instead(live_server):
    response = requests.get(f"{live_server}/sparql", headers={"Accept": BROWSER})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<textarea" in response.text


# --- CORS -----------------------------------------------------------------------------------


def test_cors_on_reads_and_preflight(live_server):
    origin = {"Origin": "https://yasgui.example"}
    response = ask(live_server, SELECT, headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "X-Ikgraph-Truncated" in exposed
    preflight = requests.options(
        f"{live_server}/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    error = ask(live_server, "SELECT nonsense", headers=origin)
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == "*"


# --- row limit ------------------------------------------------------------------------------


def test_answers_are_cut_at_max_rows_and_marked(make_app, serve):
    url = serve(make_app(MAX_ROWS=4))
    cut = ask(url, SELECT)
    assert cut.headers["X-Ikgraph-Truncated"] == "true"
    assert len(cut.json()["results"]["bindings"]) == 4 and cut.json()["truncated"] is True
    whole = ask(url, SELECT + " LIMIT 4")
    assert whole.headers["X-Ikgraph-Truncated"] == "false" and whole.json()["truncated"] is False
    csv = ask(url, SELECT, params={"format": "csv"})
    assert csv.headers["X-Ikgraph-Truncated"] == "true" and len(csv.text.splitlines()) == 5
    graph = ask(url, CONSTRUCT, params={"format": "nt"})
    assert graph.headers["X-Ikgraph-Truncated"] == "true" and len(graph.text.splitlines()) == 4
    lowered = ask(url, SELECT, params={"max-rows": "2"})
    assert len(lowered.json()["results"]["bindings"]) == 2
    not_raised = ask(url, SELECT, params={"max-rows": "1000"})
    assert len(not_raised.json()["results"]["bindings"]) == 4


@pytest.mark.parametrize(("max_rows", "rows", "truncated"), [(10, 10, "true"), (100, 64, "false")])
def test_answers_larger_than_the_read_ahead_are_counted_then_streamed(
    make_app, serve, monkeypatch, max_rows, rows, truncated
):
    monkeypatch.setattr(limits, "READ_AHEAD", 5)
    url = serve(make_app(MAX_ROWS=max_rows))
    response = ask(url, "SELECT * WHERE { ?s ?p ?o }")
    assert response.headers["X-Ikgraph-Truncated"] == truncated
    assert len(response.json()["results"]["bindings"]) == rows
    assert "Content-Length" not in response.headers  # streamed in chunks
    assert response.headers["Transfer-Encoding"] == "chunked"


# --- ETag, conditional GET, cache -------------------------------------------------------


def count_queries(store: OxigraphStore, monkeypatch) -> list[str]:
    calls: list[str] = []
    original = store.query

    def spy(sparql, **kwargs):
        calls.append(sparql)
        return original(sparql, **kwargs)

    monkeypatch.setattr(store, "query", spy)
    return calls


def test_etag_and_conditional_get(live_server):
    first = ask(live_server, SELECT)
    tag = first.headers["ETag"]
    assert tag.startswith('W/"ikg-')
    again = ask(live_server, SELECT, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == tag
    other = ask(live_server, SELECT, params={"format": "xml"})
    assert other.headers["ETag"] != tag
    assert ask(live_server, SELECT, headers={"If-None-Match": 'W/"stale"'}).status_code == 200


def test_cached_answers_do_not_touch_the_engine(live_server, store, monkeypatch):
    calls = count_queries(store, monkeypatch)
    first = ask(live_server, SELECT)
    assert len(calls) == 1
    second = ask(live_server, SELECT)
    third = ask(live_server, SELECT, op="post-query")
    assert len(calls) == 1
    assert first.content == second.content == third.content
    assert second.headers["X-Ikgraph-Truncated"] == "false"
    assert ask(live_server, SELECT, params={"format": "tsv"}).status_code == 200
    assert len(calls) == 2


def test_a_write_invalidates_the_cache_at_once(live_server, store):
    count = PREFIXES + "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ikg:Project }"
    before = ask(live_server, count)
    assert before.json()["results"]["bindings"][0]["n"]["value"] == "2"
    assert ask(live_server, count).content == before.content  # cached

    write_a_project(store)

    after = ask(live_server, count, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["results"]["bindings"][0]["n"]["value"] == "3"
    assert after.headers["ETag"] != before.headers["ETag"]


NEW_PROJECT = f"""
@prefix ikg: <https://w3id.org/ikg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
# Made-up example project for the cache test.
<{RES}measure/nachhilfe-beispiel> a ikg:Project ;
    skos:prefLabel "Nachhilfe im Quartier (Beispiel)"@de , "Tutoring (example)"@en ;
    rdfs:label "Nachhilfe im Quartier (Beispiel)"@de , "Tutoring (example)"@en ;
    ikg:responsibleOrganisation <{RES}organisation/landkreis-06434> ;
    dcterms:subject <{RES}field/1> ;
    schema:startDate "2024-01-01"^^xsd:date ;
    dcterms:source <https://example.org/beispiel/nachhilfe> .
"""


def write_a_project(store: OxigraphStore) -> None:
    """Write through the one ingest path, as every contribution does."""
    from ikgraph.ingest import ingest
    from ikgraph.sources import Source

    source = Source(name="nachhilfe", data=NEW_PROJECT.encode(), format=ox.RdfFormat.TURTLE)
    result = ingest(store, [source], contributor="test-suite")
    assert result.accepted, result.report


# --- the server --------------------------------------------------------------------------


def test_parallel_queries_on_the_threaded_server(live_server, store):
    expected = engine_rows(store, SELECT)
    results: list[Counter] = []

    def worker(n: int) -> None:
        body = ask(live_server, SELECT + f" # {n}", params={"format": "json"}).content
        results.append(bindings(body, "json"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def test_banner_names_home_endpoint_and_an_example():
    text = banner({"HOST": "0.0.0.0", "PORT": 8080, "STORE": "memory:", "THREADS": 4})
    assert "http://127.0.0.1:8080/\n" in text
    assert "http://127.0.0.1:8080/sparql\n" in text
    example = next(line for line in text.splitlines() if "example" in line).split()[-1]
    assert example.startswith("http://127.0.0.1:8080/sparql?query=") and "format=json" in example


def test_example_url_of_the_banner_answers(live_server):
    port = live_server.rsplit(":", 1)[1]
    text = banner({"HOST": "127.0.0.1", "PORT": int(port)})
    example = next(line for line in text.splitlines() if "example" in line).split()[-1]
    answer = requests.get(example).json()
    assert len(answer["results"]["bindings"]) == 2


def test_app_config_variants_in_one_line(make_app: Callable[..., Flask]):
    app = make_app(MAX_ROWS=7, QUERY_TIMEOUT=2)
    assert app.config["MAX_ROWS"] == 7 and app.config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024


def test_from_in_the_query_chooses_the_default_graph(live_server):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{G}tiny-reference> WHERE {{ ?s ?p ?o }}"
    answer = ask(live_server, query).json()
    assert answer["results"]["bindings"][0]["n"]["value"] == "30"


def test_from_named_in_the_query_chooses_the_named_graphs(live_server):
    query = f"SELECT DISTINCT ?g FROM NAMED <{G}tiny-reference> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    answer = ask(live_server, query).json()
    assert [b["g"]["value"] for b in answer["results"]["bindings"]] == [f"{G}tiny-reference"]


def test_the_app_opens_and_owns_the_configured_store(serve):
    from ikgraph.app import create_app

    app = create_app({"STORE": "memory:", "QUERY_TIMEOUT": 5})
    assert app.extensions["ikgraph"].owns_store
    url = serve(app)
    assert ask(url, "ASK { ?s ?p ?o }").json()["boolean"] is False
    assert requests.get(f"{url}/sparql", headers={"Accept": "text/turtle"}).status_code == 200


def test_a_timeout_while_streaming_breaks_the_answer_and_is_not_cached(
    make_app, serve, monkeypatch
):
    """Past the headers a 503 is impossible: the stream is cut off, never completed."""

    class CountingDeadline(limits.Deadline):
        checks = 0

        def check(self) -> None:
            CountingDeadline.checks += 1
            if CountingDeadline.checks > 90:  # 64 to read ahead and count, then mid-stream
                raise limits.QueryTimeout(self.message, setting="QUERY_TIMEOUT")

    monkeypatch.setattr(limits, "READ_AHEAD", 5)
    monkeypatch.setattr(limits, "Deadline", CountingDeadline)
    monkeypatch.setattr(serialize, "CHUNK", 2)
    app = make_app(MAX_ROWS=100)
    url = serve(app)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        ask(url, "SELECT * WHERE { ?s ?p ?o }")
    assert len(app.extensions["ikgraph"].cache) == 0


def test_the_cache_is_bounded_by_bytes_and_evicts_the_least_recently_used():
    from ikgraph.cache import Answer, ResultCache

    answers = ResultCache(800)  # entries up to 100 bytes
    for name in "abcdefgh":
        assert answers.put(name, Answer(b"x" * 100, "text/plain"))
    assert answers.get("a") is not None  # now the most recently used
    assert answers.put("i", Answer(b"y" * 100, "text/plain"))
    assert answers.get("b") is None and answers.get("a") is not None
    assert answers.size == 800
    assert not answers.put("big", Answer(b"z" * 101, "text/plain"))
    answers.sync("v1")
    assert len(answers) == 0
    assert list(answers.tee("k", iter([b"ab", b"cd"]), content_type="t", headers={})) == [
        b"ab",
        b"cd",
    ]
    assert answers.get("k").body == b"abcd"


# --- point lookups and worker answers ------------------------------------------------------

POINT_LOOKUPS = {
    "SELECT ?p ?o WHERE { <http://example.org/m1> ?p ?o . }": True,
    "PREFIX ex: <http://example.org/> SELECT * { ex:a ?p ?o } LIMIT 5": True,
    'SELECT ?s { ?s ?p "Sprachcafé"@de }': True,
    "PREFIX ex: <http://example.org/> SELECT ?s { ?s a ex:Measure }": True,
    "ASK { <http://example.org/m1> ?p ?o }": True,
    "SELECT ?p { <http://example.org/m1> ?p ?o } # LIMIT 3": True,
    "SELECT * { ?s ?p ?o }": False,
    "SELECT * { _:b ?p ?o }": False,
    "SELECT * { [] ?p ?o }": False,
    "SELECT DISTINCT ?p { <a> ?p ?o }": False,
    "SELECT ?p { <a> ?p ?o } ORDER BY ?p": False,
    "SELECT ?p { <a> ?p ?o . ?o ?q ?r }": False,
    "SELECT ?p { <a> ?p ?o ; ?q ?r }": False,
    "SELECT ?p { <a> ?p ?o, ?r }": False,
    "PREFIX ex: <http://example.org/> SELECT ?o { <a> ex:p* ?o }": False,
    "SELECT ?p { <a> ?p ?o FILTER(?o > 1) }": False,
    "SELECT ?p FROM <http://example.org/g> { <a> ?p ?o }": False,
    "SELECT ?p { GRAPH ?g { <a> ?p ?o } }": False,
    "SELECT (COUNT(*) AS ?n) { <a> ?p ?o }": False,
    "SELECT ?p { <a> ?p ?o } OFFSET 5": False,
    "SELECT ?p { <a> ?p ?o } LIMIT 5 OFFSET 5": False,
    "SELECT ?p { <a> ?p ?o OPTIONAL { ?o ?q ?r } }": False,
    "SELECT ?p { <a> ?p ?o } VALUES ?p { <x> }": False,
    "CONSTRUCT WHERE { <a> ?p ?o }": False,
    "SELECT ?p { SERVICE <http://example.org/s> { <a> ?p ?o } }": False,
    'SELECT ?p { <a> ?p ?o } # }" . ?x ?y ?z': True,
    'SELECT ?p { <a> ?p "} . ?x ?y ?z" }': True,
}


@pytest.mark.parametrize(("query", "expected"), POINT_LOOKUPS.items())
def test_point_lookups_are_recognised_strictly(query, expected):
    from ikgraph.querytext import point_lookup

    assert point_lookup(query)[0] is expected


LOOKUP = f"SELECT ?p ?o WHERE {{ <{RES}measure/sprachkurs-muetter> ?p ?o }}"


def embedded_only(store) -> None:
    if not isinstance(store, OxigraphStore):
        pytest.skip("point lookups are answered in the server process on the embedded store")


def test_point_lookups_skip_the_workers_and_answer_like_them(make_app, serve, store):
    embedded_only(store)
    app = make_app(QUERY_WORKERS=1, CACHE_BYTES=0)
    url = serve(app)
    general = ask(url, LOOKUP.replace("?o }", "?o FILTER(true) }"))  # not a point lookup
    assert general.status_code == 200
    pool = app.extensions["ikgraph.workers"]
    asked: list[str] = []
    to_worker = pool.query
    pool.query = lambda text, **kwargs: asked.append(text) or to_worker(text, **kwargs)
    for fmt in ("json", "xml", "csv", "tsv"):
        lookup = ask(url, LOOKUP, params={"format": fmt})
        assert lookup.status_code == 200 and lookup.headers["X-Ikgraph-Truncated"] == "false"
        assert "Content-Length" in lookup.headers  # whole, not chunked
        if fmt in ("json", "xml"):
            assert bindings(lookup.content, fmt) == bindings(general.content, "json")
    assert lookup.headers["Content-Type"].startswith("text/tab-separated-values")
    assert ask(url, LOOKUP, params={"format": "json"}).json()["truncated"] is False
    assert ask(url, f"ASK {{ <{RES}measure/sprachkurs-muetter> ?p ?o }}").json()["boolean"]
    assert asked == []  # none of these reached a worker
    assert ask(url, "SELECT * WHERE { ?s ?p ?o }").status_code == 200
    assert asked == ["SELECT * WHERE { ?s ?p ?o }"]


@pytest.mark.parametrize(
    ("suffix", "params", "rows", "truncated"),
    [
        ("", {"max-rows": "2"}, 2, True),
        (" LIMIT 2", {"max-rows": "2"}, 2, False),
        (" LIMIT 50", {"max-rows": "3"}, 3, True),
        (" LIMIT 1", {}, 1, False),
    ],
)
def test_point_lookups_are_cut_at_the_row_limit(live_server, suffix, params, rows, truncated):
    answer = ask(live_server, LOOKUP + suffix, params=params)
    assert answer.headers["X-Ikgraph-Truncated"] == ("true" if truncated else "false")
    assert len(answer.json()["results"]["bindings"]) == rows
    assert answer.json()["truncated"] is truncated


def test_a_large_answer_comes_from_the_worker_in_pieces(make_app, serve, store):
    embedded_only(store)
    triples = len(list(store.query("SELECT * WHERE { ?s ?p ?o }")))
    url = serve(make_app(QUERY_WORKERS=1, CACHE_BYTES=0, MAX_ROWS=100_000))
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # triples² rows: megabytes of JSON
    answer = requests.get(f"{url}/sparql", params={"query": query}, stream=True)
    assert answer.headers["Transfer-Encoding"] == "chunked"
    body = answer.raw.read(decode_content=True)
    assert len(body) > 1_000_000
    expected = min(triples**2, 100_000)
    assert len(json.loads(body)["results"]["bindings"]) == expected
    assert answer.headers["X-Ikgraph-Truncated"] == ("true" if triples**2 > 100_000 else "false")
