"""The query API: /api/queries, /api/openapi.json, the /api page and the try-it form.

The app serves the published data (ontology/ + data/ through the real ingest path);
the OpenAPI document is validated against the OpenAPI 3.1 schema and every
operation in it is driven with its example parameters through a live server.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
import requests
from conftest import BASE
from openapi_spec_validator import validate
from test_queries import INJECTION, published_store

from ikgraph import querycatalog as qc
from ikgraph.store import OxigraphStore

RES = f"{BASE}id/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SPARQLWRAPPER_JSON = (
    "application/sparql-results+json,application/json,text/javascript,application/javascript"
)
BUDGETS = "/api/queries/budgets-nach-programm-und-jahr"
SEARCH = "/api/queries/massnahmen-suche"


@pytest.fixture(scope="module")
def published() -> Iterator[OxigraphStore]:
    store = published_store()
    yield store
    store.close()


@pytest.fixture
def api(make_app, published):
    return make_app(STORE_OBJECT=published, RATE_LIMIT_QUERY="")


@pytest.fixture
def client(api):
    return api.test_client()


def objects(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def error(response, status: int, parameter: str | None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == status and body.get("parameter") == parameter
    return body["error"]


# --- listing and description ---------------------------------------------------------


def test_listing_describes_every_query(client):
    response = client.get("/api/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listed = {q["name"]: q for q in response.get_json()["queries"]}
    shipped = qc.load("queries", base=BASE)
    assert set(listed) == {q.name for q in shipped} and len(listed) >= 15
    budgets = listed["budgets-nach-programm-und-jahr"]
    assert budgets["url"] == "http://localhost/api/queries/budgets-nach-programm-und-jahr"
    assert budgets["editor"] == "http://localhost/sparql?example=budgets-nach-programm-und-jahr"
    assert budgets["title"] == {
        "de": "Beträge je Maßnahme und Jahr",
        "en": "Amounts per measure and year",
    }
    assert budgets["parameters"][0] == {
        "name": "measure",
        "type": "iri",
        "class": f"{BASE}ontology#Measure",
        "required": False,
        "example": f"{RES}measure/mitsprache-deutsch4u",
        "description": "Only this programme or project; empty: all measures.",
    }
    assert budgets["form"] == "SELECT" and "value" in budgets["variables"]
    assert budgets["query"].startswith("#+ title@de:")
    assert "openapi" in response.headers["Link"]
    assert "invalid" not in response.get_json()


def test_openapi_document_is_valid_with_one_path_per_query(client):
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)  # OpenAPI 3.1 schema
    assert doc["openapi"] == "3.1.0"
    names = {q.name for q in qc.load("queries", base=BASE)}
    assert {p.removeprefix("/api/queries/") for p in doc["paths"] if p.count("/") == 3} == names
    budgets = doc["paths"]["/api/queries/budgets-nach-programm-und-jahr"]["get"]
    params = {p["name"]: p for p in budgets["parameters"] if "name" in p}
    assert params["year"]["schema"]["type"] == "integer" and params["year"]["example"] == 2022
    assert params["measure"]["schema"]["format"] == "iri"
    class_note = f"resource of class <{BASE}ontology#Measure>"
    assert class_note in params["measure"]["description"]
    assert set(params["format"]["schema"]["enum"]) == {"json", "srj", "xml", "csv", "tsv", "html"}
    content = budgets["responses"]["200"]["content"]
    assert set(content) >= {"application/json", "application/sparql-results+json", "text/csv"}
    assert "value" in content["application/json"]["schema"]["items"]["properties"]
    by_level = doc["paths"]["/api/queries/massnahmen-nach-handlungsfeld-und-ebene"]["get"]
    level = next(p for p in by_level["parameters"] if p.get("name") == "level")
    assert f"{BASE}ontology#CivilSocietyOrganisation" in level["schema"]["enum"]
    on = next(
        p
        for p in doc["paths"]["/api/queries/mitgliedschaften"]["get"]["parameters"]
        if p.get("name") == "on"
    )
    assert on["schema"] == {"type": "string", "format": "date"}
    graph = doc["paths"]["/api/queries/foerdernetz"]["get"]["responses"]["200"]["content"]
    assert "text/turtle" in graph and "application/ld+json" in graph
    lang = doc["paths"]["/api/queries/planversionen"]["get"]["parameters"][0]
    assert lang["schema"]["default"] == "de" and lang["example"] == "en"


RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


def _parse(response: requests.Response) -> int:
    """Rows or triples in an answer, parsing it by its media type."""
    kind = response.headers["Content-Type"].split(";")[0]
    if kind == "application/json":
        return len(response.json())
    if kind == "application/sparql-results+json":
        return len(response.json()["results"]["bindings"])
    if kind == "application/sparql-results+xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        return len(ET.fromstring(response.content).findall("r:results/r:result", ns))
    if kind in ("text/csv", "text/tab-separated-values"):
        dialect = "excel" if kind == "text/csv" else "excel-tab"
        return len(list(csv.reader(io.StringIO(response.text), dialect=dialect))) - 1
    if kind == "text/html":
        return response.text.split('class="results"')[1].split("</table>")[0].count("<tr><td>")
    return len(list(ox.parse(response.content, RDF_TYPES[kind])))


def test_every_operation_answers_with_its_example_parameters(api, serve):
    url = serve(api)
    doc = requests.get(f"{url}/api/openapi.json", timeout=10).json()
    assert doc["servers"] == [{"url": url}]
    for path, item in doc["paths"].items():
        operation = item["get"]
        params = {
            p["name"]: str(p["example"])
            for p in operation.get("parameters", [])
            if "example" in p and p["name"] != "format"
        }
        media_types = operation["responses"]["200"]["content"]
        for media_type in media_types:
            response = requests.get(
                f"{url}{path}", params=params, headers={"Accept": media_type}, timeout=10
            )
            assert response.status_code == 200, (path, response.text)
            assert response.headers["Content-Type"].startswith(media_type), path
            if path.startswith("/api/queries/"):
                assert _parse(response) > 0, (path, media_type, params)
            else:
                assert response.json()


# --- answers ----------------------------------------------------------------------------


def test_select_as_plain_json_objects_with_typed_values(client):
    rows = objects(client.get(BUDGETS, query_string={"year": "2022"}))
    assert rows[0] == {
        "measure": f"{RES}measure/wir",
        "measure_label": "Landesprogramm WIR",
        "budget_year": "2022",
        "amount_type": f"{RES}concept/amount/beantragt",
        "amount_type_label": "beantragt",
        "value": 8700000,
        "currency": "EUR",
        "source": "https://soziales.hessen.de/presse/pressearchiv/wir-programm-staerkt-die-willkommenskultur",
        "year": 2022,
    }
    assert [r["measure"].rsplit("/", 1)[1] for r in rows] == ["wir", "mitsprache-deutsch4u"]
    fields = objects(client.get("/api/queries/handlungsfelder"))
    assert fields[5]["measures"] == 7 and isinstance(fields[5]["measures"], int)
    unbound = objects(client.get("/api/queries/plenarsitzungen"))
    assert unbound[2]["number"] is None and unbound[0]["number"] == 1


def test_select_in_sparql_formats(client):
    sparql_json = client.get(BUDGETS, query_string={"year": "2022", "format": "srj"})
    assert sparql_json.mimetype == "application/sparql-results+json"
    body = sparql_json.get_json()
    assert body["truncated"] is False and "value" in body["head"]["vars"]
    value = body["results"]["bindings"][0]["value"]
    assert value == {
        "type": "literal",
        "value": "8700000",
        "datatype": "http://www.w3.org/2001/XMLSchema#decimal",
    }
    table = client.get(BUDGETS, query_string={"year": "2022"}, headers={"Accept": "text/csv"})
    assert table.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert [(r["measure_label"], r["value"]) for r in rows] == [
        ("Landesprogramm WIR", "8700000"),
        ("MitSprache – Deutsch4U", "4700000"),
    ]
    tsv = client.get(BUDGETS, query_string={"year": "2022", "format": "tsv"})
    assert tsv.get_data(as_text=True).startswith("?measure\t?measure_label")
    srx = {"Accept": "application/sparql-results+xml"}
    xml = client.get(BUDGETS, query_string={"year": "2022"}, headers=srx)
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert len(ET.fromstring(xml.data).findall("r:results/r:result", ns)) == 2


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (SPARQLWRAPPER_JSON, "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json, application/sparql-results+json;q=0.5", "application/json"),
        ("text/csv;q=0.9, */*;q=0.1", "text/csv"),
        (BROWSER, "text/html"),
    ],
)
def test_the_answer_format_follows_accept(client, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/api/queries/handlungsfelder", headers=headers)
    assert response.status_code == 200 and response.mimetype == media_type
    assert response.headers["Vary"] == "Accept"


def test_construct_answers_in_rdf_formats(client):
    turtle = client.get("/api/queries/foerdernetz")
    assert turtle.mimetype == "text/turtle"
    triples = {q.triple for q in ox.parse(turtle.data, ox.RdfFormat.TURTLE)}
    funded = ox.Triple(
        ox.NamedNode(f"{RES}measure/wir-vielfaltszentrum-06434"),
        ox.NamedNode(f"{BASE}ontology#fundedBy"),
        ox.NamedNode(f"{RES}measure/wir"),
    )
    assert funded in triples
    jsonld = client.get("/api/queries/foerdernetz", headers={"Accept": "application/ld+json"})
    assert {q.triple for q in ox.parse(jsonld.data, ox.RdfFormat.JSON_LD)} == triples
    nt = client.get("/api/queries/foerdernetz", query_string={"format": "nt"})
    assert {q.triple for q in ox.parse(nt.data, ox.RdfFormat.N_TRIPLES)} == triples
    refused = client.get("/api/queries/foerdernetz", headers={"Accept": "text/csv"})
    assert "text/turtle" in error(refused, 406, None)


def test_unknown_query_and_unknown_format(client):
    assert "handlungsfelder" in error(client.get("/api/queries/gibt-es-nicht"), 404, None)
    refused = client.get("/api/queries/handlungsfelder", query_string={"format": "ttl"})
    assert "format=srj" in error(refused, 406, None)


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter", "message"),
    [
        (BUDGETS, {"yaer": "2022"}, "yaer", "unknown parameter; this query takes measure, year"),
        (BUDGETS, {"year": "zweitausend"}, "year", "not an integer"),
        (BUDGETS, {"year": ["2021", "2022"]}, "year", "more than once"),
        (BUDGETS, {"measure": "wir"}, "measure", "not an absolute http(s) IRI"),
        (BUDGETS, {"measure": f"{RES}organisation/land-hessen"}, "measure", "not a resource of"),
        (SEARCH, {}, "text", "is required (for example Vielfalt)"),
        (SEARCH, {"text": "x", "lang": "deutsch!"}, "lang", "BCP 47"),
        ("/api/queries/plenarsitzungen", {"since": "2015-13-01"}, "since", "not a date"),
        ("/api/queries/organisationen", {"kind": f"{BASE}ontology#Measure"}, "kind", "not one of"),
        ("/api/queries/handlungsfelder", {"field": RES}, "field", "this query takes none"),
        (BUDGETS, {"timeout": "soon"}, "timeout", "IKGRAPH_QUERY_TIMEOUT"),
        (BUDGETS, {"max-rows": "0"}, "max-rows", "IKGRAPH_MAX_ROWS"),
    ],
)
def test_parameter_errors_answer_400_naming_the_parameter(client, path, params, parameter, message):
    assert message in error(client.get(path, query_string=params), 400, parameter)


LONG = "x" * 100_000

#: (query, parameter, hostile value, other parameters)
HOSTILE = [
    ("massnahmen-suche", "text", INJECTION, {}),
    ("massnahmen-suche", "text", '") } SELECT * WHERE { ?s ?p ?o } #', {}),
    ("massnahmen-suche", "text", "> } ; DROP ALL #", {}),
    ("massnahmen-suche", "text", "x\n} UNION { ?s ?p ?o }\n#", {}),
    ("massnahmen-suche", "text", "<https://w3id.org/ikg/id/measure/wir>", {}),
    ("massnahmen-in-region", "key", '06434" || true || "', {}),
    ("massnahmen-in-region", "name", INJECTION, {}),
    ("massnahmen-suche", "text", LONG, {}),
    ("massnahmen-suche", "lang", 'de")) } UNION { ?s ?p ?o } #', {"text": "WIR"}),
    ("massnahmen-suche", "lang", "de\n#", {"text": "WIR"}),
    ("massnahmen-suche", "lang", LONG, {"text": "WIR"}),
    ("budgets-nach-programm-und-jahr", "measure", RES + "measure/wir> } UNION { ?s ?p ?o } #", {}),
    ("budgets-nach-programm-und-jahr", "measure", f"{RES}measure/wir>", {}),
    ("budgets-nach-programm-und-jahr", "measure", f'{RES}measure/wir"', {}),
    ("budgets-nach-programm-und-jahr", "measure", "> } ; DROP ALL #", {}),
    ("budgets-nach-programm-und-jahr", "measure", f"{RES}measure/{LONG}", {}),
    ("budgets-nach-programm-und-jahr", "year", "2022 } UNION { ?s ?p ?o }", {}),
    ("budgets-nach-programm-und-jahr", "year", '2022"^^<x:y>', {}),
    ("budgets-nach-programm-und-jahr", "year", "2022 #", {}),
    ("budgets-nach-programm-und-jahr", "year", "1" * 100_000, {}),
    ("plenarsitzungen", "since", '2016-01-01"^^xsd:date) || true || ("', {}),
    ("plenarsitzungen", "since", "2016-01-01 } #", {}),
    ("plenarsitzungen", "since", LONG, {}),
    ("organisationen", "kind", f"{BASE}ontology#District> }} UNION {{ ?s ?p ?o }} #", {}),
]


@pytest.mark.parametrize(("name", "parameter", "value", "others"), HOSTILE)
def test_injection_attempts_never_change_the_query(
    client, published, name, parameter, value, others
):
    before = len(published.raw)
    response = client.get(f"/api/queries/{name}", query_string={parameter: value, **others})
    if response.status_code == 400:
        assert response.get_json()["parameter"] == parameter
    else:  # bound as a literal: it matches nothing, and the whole graph never comes back
        assert objects(response) == []
    assert len(published.raw) == before


def test_string_parameters_match_as_plain_text(client):
    rows = objects(client.get(SEARCH, query_string={"text": "zusammen[ ]"}))
    assert [r["measure"] for r in rows] == [f"{RES}measure/zusammen-wachsen"]
    assert objects(client.get(SEARCH, query_string={"text": INJECTION})) == []
    region = "/api/queries/massnahmen-in-region"
    everything = objects(client.get(region))
    assert objects(client.get(region, query_string={"name": ""})) == everything  # empty: all


# --- limits and caching ------------------------------------------------------------------


def test_limits_apply_as_on_the_sparql_endpoint(make_app, published):
    client = make_app(STORE_OBJECT=published, RATE_LIMIT_QUERY="", MAX_ROWS=3).test_client()
    cut = client.get("/api/queries/uebersicht-klassen")
    assert len(objects(cut)) == 3 and cut.headers["X-Ikgraph-Truncated"] == "true"
    sparql_json = client.get("/api/queries/uebersicht-klassen", query_string={"format": "srj"})
    assert sparql_json.get_json()["truncated"] is True
    lowered = client.get("/api/queries/uebersicht-klassen", query_string={"max-rows": "1"})
    assert len(objects(lowered)) == 1
    whole = client.get("/api/queries/uebersicht-klassen", query_string={"max-rows": "1000"})
    assert len(objects(whole)) == 3  # a request cannot raise the limit
    small = client.get(BUDGETS, query_string={"year": "2022"})
    assert small.headers["X-Ikgraph-Truncated"] == "false"
    late = client.get("/api/queries/handlungsfelder", query_string={"timeout": "0.000001"})
    assert "timeout=" in error(late, 503, None)


def test_answers_carry_an_etag_and_are_cached(client):
    first = client.get(BUDGETS, query_string={"year": "2022"})
    tag = first.headers["ETag"]
    again = client.get(BUDGETS, query_string={"year": "2022"}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    other = client.get(BUDGETS, query_string={"year": "2021"})
    assert other.headers["ETag"] != tag
    assert client.get(BUDGETS, query_string={"year": "2022"}).data == first.data


def test_reads_are_open_to_every_origin(client):
    response = client.get("/api/queries/handlungsfelder", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- HTML -----------------------------------------------------------------------------------


def test_api_page_lists_every_query_with_parameters_a_form_and_an_editor_link(client):
    response = client.get("/api", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for query in qc.load("queries", base=BASE):
        assert f'id="{query.name}"' in html
        assert f'action="/api/queries/{query.name}"' in html
        assert f'href="/sparql?example={query.name}"' in html
    assert '<a href="/api">API</a>' in html  # in the navigation
    assert 'href="/api/openapi.json"' in html
    # iri(ikg:FieldOfAction) offers the seven fields; the level its four classes
    form = html.split('id="massnahmen-nach-handlungsfeld-und-ebene"')[1].split("</form>")[0]
    assert form.count(f'<option value="{RES}field/') == 7
    assert f'<option value="{BASE}ontology#Municipality">ikg:Municipality</option>' in form
    assert 'type="date"' in html and 'name="year" value=""' in html
    links = response.headers["Link"]
    assert "/api/openapi.json" in links and "/api/queries" in links


def test_try_it_form_shows_the_answer_without_javascript(client):
    response = client.get(BUDGETS, query_string={"year": "2022", "format": "html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    table = html.split('class="results"')[1].split("</table>")[0]
    assert table.count("<tr><td>") == 2 and "Landesprogramm WIR" in table
    assert 'name="year" value="2022"' in html  # the form keeps what was asked
    downloads = re.findall(r'href="(/api/queries/budgets-nach-programm-und-jahr\?[^"]+)"', html)
    asked = [parse_qs(urlsplit(d.replace("&amp;", "&")).query) for d in downloads]
    assert {a["format"][0] for a in asked} == {"json", "srj", "xml", "csv", "tsv"}
    assert all(a["year"] == ["2022"] for a in asked)
    assert 'href="/sparql?example=budgets-nach-programm-und-jahr"' in html
    assert "format=json" in response.headers["Link"]
    wrong = client.get(BUDGETS, query_string={"year": "zwei", "format": "html"})
    assert wrong.status_code == 400 and wrong.mimetype == "text/html"
    page = wrong.get_data(as_text=True)
    assert "not an integer" in page and 'class="at-fault"' in page


def test_the_editor_link_opens_the_query_text(client):
    response = client.get("/sparql?example=massnahmen-suche", headers={"Accept": BROWSER})
    assert response.status_code == 200
    text = (qc.load("queries", base=BASE).get("massnahmen-suche").text).replace('"', "&#34;")
    assert text.replace(">", "&gt;").replace("<", "&lt;") in response.get_data(as_text=True)


# --- another catalogue -----------------------------------------------------------------


def test_a_custom_folder_with_an_ask_query_and_a_broken_file(make_app, published, tmp_path):
    (tmp_path / "gibt-es.rq").write_text(
        "#+ title@de: Gibt es das?\n#+ title@en: Does it exist?\n"
        "#+ param: thing | iri | | required | https://w3id.org/ikg/id/measure/wir | A resource\n"
        "ASK { ?thing ?p ?o }\n",
        encoding="utf-8",
    )
    (tmp_path / "kaputt.rq").write_text("#+ title@de: Kaputt\nSELECT\n", encoding="utf-8")
    app = make_app(STORE_OBJECT=published, RATE_LIMIT_QUERY="", QUERIES_DIR=str(tmp_path))
    client = app.test_client()
    listing = client.get("/api/queries").get_json()
    assert [q["name"] for q in listing["queries"]] == ["gibt-es"]
    assert "malformed" in listing["invalid"]["kaputt"]
    yes = client.get("/api/queries/gibt-es", query_string={"thing": f"{RES}measure/wir"})
    assert yes.get_json() == {"boolean": True}
    asked = {"thing": f"{RES}measure/nein", "format": "srj"}
    no = client.get("/api/queries/gibt-es", query_string=asked)
    assert no.get_json()["boolean"] is False
    doc = client.get("/api/openapi.json").get_json()
    validate(doc)
    assert list(doc["paths"]) == ["/api/queries", "/api/openapi.json", "/api/queries/gibt-es"]
    assert "kaputt" in client.get("/api").get_data(as_text=True)
    assert json.loads(client.get("/api/queries/gibt-es?thing=x").data)["parameter"] == "thing"


def test_every_query_text_runs_unchanged_in_the_sparql_endpoint(client):
    """What "Open in the query editor" shows answers as it stands, with the defaults."""
    for query in qc.load("queries", base=BASE):
        response = client.get("/sparql", query_string={"query": query.text})
        assert response.status_code == 200, (query.name, response.get_data(as_text=True))
        if query.form == "SELECT":
            assert response.get_json()["results"]["bindings"], query.name
        else:
            assert list(ox.parse(response.data, ox.RdfFormat.TURTLE)), query.name


def test_curated_queries_answer_the_same_in_query_workers(make_app, published):
    """With query workers (as `ikgraph serve` runs), parameters reach the worker bound."""
    inside = make_app(STORE_OBJECT=published, RATE_LIMIT_QUERY="").test_client()
    workers = make_app(STORE_OBJECT=published, RATE_LIMIT_QUERY="", QUERY_WORKERS=1)
    outside = workers.test_client()
    doc = inside.get("/api/openapi.json").get_json()
    checked = 0
    for path, item in doc["paths"].items():
        if not path.startswith("/api/queries/"):
            continue
        params = {
            p["name"]: str(p["example"])
            for p in item["get"].get("parameters", [])
            if "example" in p and p["name"] != "format"
        }
        accept = {"Accept": "text/csv, application/n-triples;q=0.9"}
        expected = inside.get(path, query_string=params, headers=accept)
        answer = outside.get(path, query_string=params, headers=accept)
        assert answer.status_code == expected.status_code == 200, (path, answer.text)

        # GROUP_CONCAT leaves the order of its parts open: compare each cell's parts
        def rows(text: str) -> list[list[str]]:
            cells = csv.reader(io.StringIO(text))
            return sorted(
                [" ".join(sorted(c.replace(",", " ").split())) for c in row] for row in cells
            )

        assert rows(answer.text) == rows(expected.text), path
        checked += 1
    assert checked >= 15
