"""Property-based tests: whatever a client sends, the answer is never a server error.

Random text and mutations of valid input go to the query endpoint, the query
API, the RDF and spreadsheet intake (``/validate`` and ``ikgraph validate``).
Every answer must be below 500, and nothing may change the published data.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikgraph.cli import main
from ikgraph.spreadsheet import columns

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
QUERIES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 5",
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    'SELECT ?x WHERE { ?x skos:prefLabel ?l FILTER(CONTAINS(?l, "ü")) } ORDER BY ?x',
    "ASK { ?s a ?t }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 3",
    "DESCRIBE <https://w3id.org/ikg/id/measure/sprachkurs-muetter>",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g HAVING(?n > 1)",
    'SELECT (REPLACE("abc", "b", "x") AS ?r) (STRLEN("ß") AS ?n) (NOW() AS ?t) {}',
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } MINUS { ?s a ?x } } OFFSET 2",
]
TOKENS = [
    "SELECT", "WHERE", "{", "}", "(", ")", "?x", "<urn:a>", '"x"', "@de", "^^", ";", ",", ".",
    "FILTER", "OPTIONAL", "UNION", "GRAPH", "SERVICE", "LIMIT", "-1", "99999999999999999999",
    "REGEX(?x, \"(a+)+$\")", "\\u0000", "#", "'''", "FROM", "VALUES", "BIND", "*", "/", "|",
]  # fmt: skip


def mutate(data: st.DataObject, text: str, alphabet: list[str]) -> str:
    """``text`` with a few random deletions, insertions and duplications."""
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 12)))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate", "text"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "insert":
            text = text[:i] + " " + data.draw(st.sampled_from(alphabet)) + " " + text[i:]
        elif action == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + data.draw(st.text(max_size=8)) + text[i:]
    return text


@pytest.fixture
def fuzz_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RATE_LIMIT_QUERY="", RATE_LIMIT_WRITE="", QUERY_TIMEOUT=5)


@pytest.fixture
def fuzz_client(fuzz_app: Flask) -> FlaskClient:
    return fuzz_app.test_client()


def published(app: Flask) -> bytes:
    store = app.extensions["ikgraph"].store
    return b"\n".join(sorted(store.dump(None, ox.RdfFormat.N_QUADS).splitlines()))


# --- queries ---------------------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text_to_the_query_endpoint_is_never_a_server_error(fuzz_client, text):
    for response in (
        fuzz_client.get("/sparql", query_string={"query": text}),
        fuzz_client.post("/sparql", data=text.encode("utf-8", "surrogatepass"),
                         headers={"Content-Type": "application/sparql-query"}),
    ):  # fmt: skip
        assert response.status_code < 500, (text, response.get_data(as_text=True))


@FUZZ
@given(data=st.data())
def test_mutated_valid_queries_are_never_a_server_error(fuzz_client, data):
    query = mutate(data, data.draw(st.sampled_from(QUERIES)), TOKENS)
    params = {"query": query}
    for name in ("timeout", "max-rows", "format", "default-graph-uri", "named-graph-uri"):
        if data.draw(st.booleans()):
            params[name] = data.draw(
                st.one_of(
                    st.text(max_size=20), st.sampled_from(["0", "-1", "1e308", "nan", "json"])
                )
            )
    accept = data.draw(
        st.sampled_from(["*/*", "text/html", "text/csv", "image/png", "", "a/b;q=x"])
    )
    response = fuzz_client.get("/sparql", query_string=params, headers={"Accept": accept})
    assert response.status_code < 500, (params, response.get_data(as_text=True))


def test_mutated_queries_in_query_workers_are_never_a_server_error(make_app):
    client = make_app(QUERY_WORKERS=1, RATE_LIMIT_QUERY="", QUERY_TIMEOUT=5).test_client()

    @settings(max_examples=30, deadline=None)
    @given(data=st.data())
    def check(data):
        query = mutate(data, data.draw(st.sampled_from(QUERIES)), TOKENS)
        response = client.get("/sparql", query_string={"query": query, "format": "json"})
        assert response.status_code < 500, (query, response.get_data(as_text=True))

    check()


def test_deeply_nested_queries_are_refused_not_crashing(fuzz_client):
    for query in (
        "SELECT * WHERE { " + "{" * 10000 + " ?s ?p ?o " + "}" * 10000 + " }",
        "SELECT (" + "(" * 5000 + "1" + ")" * 5000 + " AS ?x) {}",
    ):
        response = fuzz_client.get("/sparql", query_string={"query": query})
        assert response.status_code == 400 and "levels deep" in response.get_data(as_text=True)


def test_query_api_parameters_are_never_a_server_error(fuzz_client):
    listing = fuzz_client.get("/api/queries", headers={"Accept": "application/json"})
    if listing.status_code == 404:
        pytest.skip("no query API")
    body = listing.get_json()
    entries = body if isinstance(body, list) else body.get("queries", [])
    names = [e["name"] if isinstance(e, dict) else str(e) for e in entries] or ["nichts"]
    names.append("../../etc/passwd")

    @FUZZ
    @given(
        name=st.sampled_from(names),
        params=st.dictionaries(
            st.sampled_from(
                [
                    "field",
                    "level",
                    "year",
                    "limit",
                    "lang",
                    "format",
                    "timeout",
                    "max-rows",
                    "q",
                    "organisation",
                    "region",
                    "x",
                ]
            ),
            st.one_of(st.text(max_size=30), st.sampled_from(["1", "-1", "2024", "de", "ttl"])),
            max_size=4,
        ),
        accept=st.sampled_from(["*/*", "application/json", "text/csv", "text/html", "x/y"]),
    )
    def check(name, params, accept):
        response = fuzz_client.get(
            f"/api/queries/{name}", query_string=params, headers={"Accept": accept}
        )
        assert response.status_code < 500, (name, params, response.get_data(as_text=True))

    check()


# --- RDF intake -------------------------------------------------------------------------------

RDF_TYPES = [
    "text/turtle",
    "application/trig",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-quads",
    "text/csv",
    "application/octet-stream",
]
VALID = (FIXTURES / "contribution-valid.ttl").read_text(encoding="utf-8")
TURTLE_TOKENS = [
    *("@prefix", "<", ">", "a", ";", ".", ",", "[", "]", "(", ")", '"""', "@de", "^^xsd:date"),
    *("_:b", "ikg:Project", "<https://w3id.org/ikg/graph/meta>", "\\U0010ffff"),
]


@FUZZ
@given(data=st.data())
def test_random_and_mutated_rdf_to_validate_never_errors_or_writes(fuzz_app, fuzz_client, data):
    before = published(fuzz_app)
    if data.draw(st.booleans()):
        body = data.draw(st.binary(max_size=400))
    else:
        body = mutate(data, VALID, TURTLE_TOKENS).encode("utf-8", "surrogatepass")
    content_type = data.draw(st.sampled_from(RDF_TYPES))
    response = fuzz_client.post("/validate", data=body, headers={"Content-Type": content_type})
    assert response.status_code < 500, (body[:200], response.get_data(as_text=True)[:500])
    assert published(fuzz_app) == before


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_ikgraph_validate_on_random_input_exits_cleanly(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz-validate")
    suffix = data.draw(st.sampled_from([".ttl", ".rdf", ".jsonld", ".nt", ".trig", ".csv"]))
    if data.draw(st.booleans()):
        body = data.draw(st.binary(max_size=400))
    else:
        body = mutate(data, VALID, TURTLE_TOKENS).encode("utf-8", "surrogatepass")
    path = folder / f"beitrag{suffix}"
    path.write_bytes(body)
    result = CliRunner().invoke(main, ["--store", "memory:", "validate", "--no-store", str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# --- spreadsheet intake ---------------------------------------------------------------------


def sheet(kind: str, rows: list[list[str]]) -> bytes:
    cols = columns(kind)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.de for c in cols])
    for row in rows:
        writer.writerow((row + [""] * len(cols))[: len(cols)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8", "surrogatepass")


CELLS = st.one_of(
    st.text(max_size=25),
    st.sampled_from(["Projekt", "Programm", "1; 7", "01.02.2024", "2024", "12.500,00", "-5",
                     "laufend", "06434999", "beispiel-x", "=HYPERLINK(\"http://127.0.0.1:9\")",
                     "https://example.org/quelle", "31.02.2024", "1e999", ""]),
)  # fmt: skip


@FUZZ
@given(
    kind=st.sampled_from(["measure", "organisation", "target", "observation"]),
    rows=st.lists(st.lists(CELLS, max_size=18), min_size=1, max_size=4),
)
def test_random_spreadsheet_cells_never_error_or_write(fuzz_app, fuzz_client, kind, rows):
    try:
        body = sheet(kind, rows)
    except (KeyError, ValueError):
        pytest.skip(f"no spreadsheet kind {kind}")
    before = published(fuzz_app)
    response = fuzz_client.post("/validate", data=body, headers={"Content-Type": "text/csv"})
    assert response.status_code < 500, (rows, response.get_data(as_text=True)[:500])
    assert published(fuzz_app) == before
