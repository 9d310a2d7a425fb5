"""Writes through the service: tokens, the Graph Store Protocol, SPARQL Update, /validate.

Every app here runs on the tiny in-memory store of ``conftest.py``; the
contributions are made up (a district's project funded by the example
programme of ``tiny.trig``) and small enough to read.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from openpyxl import Workbook

from ikgraph import tokens

BASE = "https://w3id.org/ikg/"
G = f"{BASE}graph/kreis-lesepaten"
PROJECT = f"{BASE}id/measure/kreis-lesepaten"
PREFIXES = """@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ikg: <https://w3id.org/ikg/ontology#> .
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def project(label: str = "Lesepaten (Beispiel)", end: str | None = None) -> bytes:
    """A made-up project of the example district, funded by the example programme."""
    end_date = f'schema:endDate "{end}"^^xsd:date ;' if end else ""
    return (
        PREFIXES
        + f"""
<{PROJECT}> a ikg:Project ;
    skos:prefLabel "{label}"@de , "Reading mentors (example)"@en ;
    ikg:responsibleOrganisation <{BASE}id/organisation/landkreis-06434> ;
    dcterms:subject <{BASE}id/field/1> ;
    ikg:fundedBy <{BASE}id/measure/beispiel-programm> ;
    schema:startDate "2024-01-01"^^xsd:date ; {end_date}
    dcterms:source <https://example.org/beispiel/lesepaten> .
"""
    ).encode("utf-8")


BROKEN = project(end="2023-06-30")  # ends before it starts
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


@pytest.fixture
def secrets(tmp_path) -> dict[str, str]:
    path = tmp_path / "tokens.json"
    return {
        "path": str(path),
        "kreis": tokens.add(path, "kreis-hochtaunus", ["kreis-*"]),
        "land": tokens.add(path, "land", ["*"]),
    }


@pytest.fixture
def writer(make_app, secrets, tmp_path):
    """An app with write endpoints (no rate limit) and its test client."""
    app = make_app(
        TOKENS_FILE=secrets["path"], HISTORY_DIR=str(tmp_path / "history"), RATE_LIMIT_WRITE=""
    )
    return app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def put(client, body: bytes, token: str | None, *, graph: str = G, **headers):
    auth = bearer(token) if token else {}
    return client.put(
        "/graph-store",
        query_string={"graph": graph},
        data=body,
        content_type=headers.pop("content_type", "text/turtle"),
        headers={**auth, **headers},
    )


def dump(store) -> list[str]:
    """The whole store as sorted N-Quads lines."""
    return sorted(store.dump(None, ox.RdfFormat.N_QUADS).decode("utf-8").splitlines())


def labels(client) -> list[str]:
    """The German labels of the project, through /sparql (and its cache)."""
    query = f'SELECT ?l WHERE {{ <{PROJECT}> <{SKOS}prefLabel> ?l FILTER(lang(?l) = "de") }}'
    answer = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
    )
    return sorted(b["l"]["value"] for b in answer.get_json()["results"]["bindings"])


# --- tokens and scope -----------------------------------------------------------


def test_write_endpoints_exist_only_with_a_tokens_file(client):
    assert put(client, project(), None).status_code == 405
    assert client.post(
        "/update", data="x", content_type="application/sparql-update"
    ).status_code in (
        404,
        405,
    )
    assert (
        client.get("/graph-store", query_string={"graph": f"{BASE}graph/tiny-measures"}).status_code
        == 200
    )


def test_writes_without_a_valid_token_are_401_with_a_bearer_challenge(writer, store):
    before = dump(store)
    answers = [
        put(writer, project(), None),
        writer.post(
            "/graph-store", query_string={"graph": G}, data=project(), content_type="text/turtle"
        ),
        writer.delete("/graph-store", query_string={"graph": f"{BASE}graph/tiny-measures"}),
        writer.post("/update", data=f"DROP GRAPH <{G}>", content_type="application/sparql-update"),
        put(writer, project(), "not-a-token"),
        put(writer, project(), None, Authorization="Basic dXNlcjpwdw=="),
    ]
    for answer in answers:
        assert answer.status_code == 401, answer.data
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in answers[4].headers["WWW-Authenticate"]
    assert dump(store) == before


def test_a_token_writing_outside_its_scope_is_403_naming_the_graph(writer, secrets, store):
    before = dump(store)
    other = f"{BASE}graph/tiny-measures"
    answer = put(writer, project(), secrets["kreis"], graph=other)
    assert answer.status_code == 403
    assert other in answer.get_data(as_text=True) and "kreis-*" in answer.get_data(as_text=True)
    update = f'INSERT DATA {{ GRAPH <{other}> {{ <{PROJECT}> <{BASE}ontology#x> "y" }} }}'
    answer = writer.post(
        "/update",
        data=update,
        content_type="application/sparql-update",
        headers=bearer(secrets["kreis"]),
    )
    assert answer.status_code == 403 and other in answer.get_data(as_text=True)
    meta = put(writer, project(), secrets["land"], graph=f"{BASE}graph/meta")
    assert meta.status_code == 403
    assert dump(store) == before


def test_tokens_are_stored_hashed_and_reread_when_the_file_changes(writer, secrets):
    text = Path(secrets["path"]).read_text(encoding="utf-8")
    assert secrets["kreis"] not in text and tokens.digest(secrets["kreis"]) in text
    tokens.remove(secrets["path"], "kreis-hochtaunus")
    assert put(writer, project(), secrets["kreis"]).status_code == 401
    fresh = tokens.add(secrets["path"], "kreis-hochtaunus", ["kreis-lesepaten"])
    assert put(writer, project(), fresh).status_code == 201


# --- Graph Store Protocol ---------------------------------------------------------


def test_put_creates_then_replaces_and_queries_see_it_at_once(writer, secrets):
    assert labels(writer) == []  # cached now
    created = put(writer, project(), secrets["kreis"])
    assert created.status_code == 201, created.data
    assert created.headers["Location"].startswith("/graph-store?graph=")
    body = created.get_json()
    assert body["conforms"] is True and body["written"] is True
    assert body["graphs"] == {G: 8} and body["versions"] == {G: 1} and body["version"]
    assert labels(writer) == ["Lesepaten (Beispiel)"]
    replaced = put(writer, project("Lesepatenschaften (Beispiel)"), secrets["kreis"])
    assert replaced.status_code == 200 and replaced.get_json()["versions"] == {G: 2}
    assert labels(writer) == ["Lesepatenschaften (Beispiel)"]
    turtle = writer.get(
        "/graph-store", query_string={"graph": G}, headers={"Accept": "text/turtle"}
    )
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    assert b"Lesepatenschaften" in turtle.data and b"Lesepaten (Beispiel)" not in turtle.data
    nt = writer.get("/graph-store", query_string={"graph": G, "format": "nt"})
    assert len(nt.data.decode().splitlines()) == 8
    union = writer.get("/graph-store?default", headers={"Accept": "application/n-triples"})
    assert union.status_code == 200 and b"Lesepatenschaften" in union.data
    assert b"Sprachkurs" in union.data
    missing = writer.get("/graph-store", query_string={"graph": f"{BASE}graph/nichts"})
    assert missing.status_code == 404


def test_a_broken_contribution_is_422_with_findings_and_changes_nothing(writer, secrets, store):
    assert put(writer, project(), secrets["kreis"]).status_code == 201
    before = dump(store)
    answer = put(writer, BROKEN, secrets["kreis"])
    assert answer.status_code == 422
    report = answer.get_json()
    assert report["conforms"] is False and report["written"] is False
    [finding] = [f for f in report["findings"] if f["severity"] == "Violation"]
    assert finding["focus"] == PROJECT
    assert "Ende" in finding["message_de"] and "end" in finding["message_en"]
    assert finding["message"] == finding["message_de"]
    english = put(
        writer, BROKEN, secrets["kreis"], **{"Accept-Language": "en", "Accept": "text/plain"}
    )
    assert english.status_code == 422 and english.headers["Content-Language"] == "en"
    assert "Violation" in english.get_data(as_text=True) and "Verstoß" not in english.get_data(
        as_text=True
    )
    path_finding = put(
        writer,
        project().replace(b'"2024-01-01"^^xsd:date', b'"Januar"'),
        secrets["kreis"],
    ).get_json()
    assert any(f["path"] == "http://schema.org/startDate" for f in path_finding["findings"])
    assert dump(store) == before


def test_post_merges_and_the_whole_result_is_validated(writer, secrets, store):
    extra = (
        f'<{PROJECT}> <http://purl.org/dc/terms/description> "Kinder lesen vor."@de .\n'.encode()
    )
    created = writer.post(
        "/graph-store",
        query_string={"graph": G},
        data=project(),
        content_type="text/turtle",
        headers=bearer(secrets["kreis"]),
    )
    assert created.status_code == 201
    merged = writer.post(
        "/graph-store",
        query_string={"graph": G},
        data=extra,
        content_type="application/n-triples",
        headers=bearer(secrets["kreis"]),
    )
    assert merged.status_code == 200 and merged.get_json()["graphs"] == {G: 9}
    before = dump(store)
    end = f'<{PROJECT}> <http://schema.org/endDate> "2020-01-01"^^<{XSD_DATE}> .\n'
    refused = writer.post(
        "/graph-store",
        query_string={"graph": G},
        data=end.encode(),
        content_type="application/n-triples",
        headers=bearer(secrets["kreis"]),
    )
    assert refused.status_code == 422  # the end alone is fine; with the start it is not
    assert dump(store) == before


def test_delete_removes_the_graph_and_keeps_it_in_the_history(writer, secrets, store):
    assert put(writer, project(), secrets["kreis"]).status_code == 201
    gone = writer.delete(
        "/graph-store", query_string={"graph": G}, headers=bearer(secrets["kreis"])
    )
    assert gone.status_code == 200 and gone.get_json()["graphs"] == {G: 0}
    assert G not in store.graphs() and labels(writer) == []
    again = writer.delete(
        "/graph-store", query_string={"graph": G}, headers=bearer(secrets["kreis"])
    )
    assert again.status_code == 404
    history = writer.get("/history/kreis-lesepaten").get_json()
    assert [v["triples"] for v in history["versions"]] == [8, 0]


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("default", 400, "union"),
        ("graph=https://example.org/g", 400, "graph/NAME"),
        (f"graph={BASE}graph/Gross_Gerau", 400, "lowercase"),
        ("", 400, "?graph=IRI"),
    ],
)
def test_graph_store_targets_that_cannot_be_written(writer, secrets, query, status, says):
    answer = writer.put(
        f"/graph-store?{query}",
        data=project(),
        content_type="text/turtle",
        headers=bearer(secrets["land"]),
    )
    assert answer.status_code == status
    assert says in answer.get_data(as_text=True)


def test_a_body_with_other_graphs_or_of_unknown_type_is_refused(writer, secrets):
    trig = f"<{BASE}graph/anderer> {{ <{PROJECT}> <{BASE}ontology#x> 1 }}".encode()
    answer = put(writer, trig, secrets["land"], content_type="application/trig")
    assert answer.status_code == 400 and "graph/anderer" in answer.get_data(as_text=True)
    assert put(writer, b"\x89PNG", secrets["land"], content_type="image/png").status_code == 415


# --- SPARQL Update ------------------------------------------------------------------


def update(client, text: str, token: str, **kwargs):
    return client.post(
        "/update",
        data=text,
        content_type="application/sparql-update",
        headers=bearer(token),
        **kwargs,
    )


def test_update_that_conforms_is_applied_and_one_that_violates_changes_nothing(
    writer, secrets, store
):
    assert put(writer, project(), secrets["kreis"]).status_code == 201
    insert = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    INSERT DATA {{ GRAPH <{G}> {{ <{PROJECT}> skos:altLabel "Lesefreunde"@de }} }}"""
    done = update(writer, insert, secrets["kreis"])
    assert done.status_code == 200, done.data
    assert done.get_json()["graphs"] == {G: 9} and done.get_json()["versions"] == {G: 2}
    with_form = writer.post(
        "/update",
        data={
            "update": f"WITH <{G}> DELETE {{ ?s <{SKOS}altLabel> ?o }} "
            f"WHERE {{ ?s <{SKOS}altLabel> ?o }}"
        },
        headers=bearer(secrets["kreis"]),
    )
    assert with_form.status_code == 200 and with_form.get_json()["graphs"] == {G: 8}
    before = dump(store)
    violating = f"""PREFIX schema: <http://schema.org/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
    INSERT DATA {{ GRAPH <{G}> {{ <{PROJECT}> schema:endDate "2020-01-01"^^xsd:date }} }}"""
    refused = update(writer, violating, secrets["kreis"])
    assert refused.status_code == 422 and refused.get_json()["conforms"] is False
    assert dump(store) == before


def test_update_with_prefixed_graph_names_and_a_new_graph(writer, secrets, store):
    text = f"""PREFIX g: <{BASE}graph/>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    INSERT DATA {{ GRAPH g:kreis-neu {{
        <{BASE}id/field/1> skos:altLabel "Sprache"@de }} }}"""
    answer = update(writer, text, secrets["kreis"])
    assert answer.status_code == 200, answer.data
    assert f"{BASE}graph/kreis-neu" in store.graphs()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('INSERT DATA { <https://example.org/a> <https://example.org/b> "c" }', "names no graph"),
        (f"LOAD <https://example.org/data.ttl> INTO GRAPH <{G}>", "LOAD"),
        ("DROP ALL", "ALL"),
        ("CLEAR DEFAULT", "DEFAULT"),
        (
            f"INSERT {{ GRAPH ?g {{ <{PROJECT}> <a:x> 1 }} }} WHERE {{ GRAPH ?g {{}} }}",
            "GRAPH ?variable",
        ),
        (
            f"WITH <{G}> INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <https://x.org/q> {{ ?s ?p ?o }}}}",
            "SERVICE",
        ),
        (f"INSERT DATA {{ GRAPH <{G}> {{ <{PROJECT}> ", "malformed"),
        (
            f"WITH <{G}> INSERT {{ <{PROJECT}> <a:x> 1 }} WHERE {{}} ;"
            " INSERT DATA { <a:b> <a:c> <a:d> }",
            "default graph",
        ),
    ],
)
def test_updates_that_are_refused_with_400(writer, secrets, store, text, says):
    before = dump(store)
    answer = update(writer, text, secrets["land"])
    assert answer.status_code == 400, answer.data
    assert says in answer.get_data(as_text=True)
    assert dump(store) == before


def test_update_that_drops_a_graph(writer, secrets, store):
    assert put(writer, project(), secrets["kreis"]).status_code == 201
    answer = update(writer, f"DROP GRAPH <{G}>", secrets["kreis"])
    assert answer.status_code == 200 and answer.get_json()["graphs"] == {G: 0}
    assert G not in store.graphs()


# --- /validate ------------------------------------------------------------------------


def as_format(body: bytes, fmt: ox.RdfFormat) -> bytes:
    return ox.serialize(ox.parse(body, format=ox.RdfFormat.TURTLE), format=fmt)


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_validate_reads_every_rdf_format_and_never_writes(client, store, content_type, fmt):
    before = dump(store)
    good = client.post("/validate", data=as_format(project(), fmt), content_type=content_type)
    assert good.status_code == 200 and good.mimetype == "application/json"
    assert good.get_json()["conforms"] is True
    bad = client.post("/validate", data=as_format(BROKEN, fmt), content_type=content_type)
    assert bad.status_code == 200 and bad.get_json()["conforms"] is False
    assert dump(store) == before


def test_validate_refuses_malformed_unknown_and_too_large_input(make_app):
    client = make_app(MAX_BODY_BYTES=2000, RATE_LIMIT_WRITE="").test_client()
    malformed = client.post(
        "/validate", data=PREFIXES.encode() + b'<a> <b> "c .\n', content_type="text/turtle"
    )
    assert malformed.status_code == 400
    assert "line 6" in malformed.get_data(as_text=True) or ":6:" in malformed.get_data(as_text=True)
    unknown = client.post("/validate", data=b"%PDF-1.4", content_type="application/pdf")
    assert unknown.status_code == 415 and "text/turtle" in unknown.get_data(as_text=True)
    large = client.post("/validate", data=b"#" * 3000, content_type="text/turtle")
    assert large.status_code == 413 and "IKGRAPH_MAX_BODY_BYTES" in large.get_data(as_text=True)


def test_validate_report_formats_and_languages(client):
    english = client.post(
        "/validate",
        data=BROKEN,
        content_type="text/turtle",
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert english.headers["Content-Language"] == "en"
    assert "end" in english.get_json()["findings"][0]["message"]
    text = client.post(
        "/validate", data=BROKEN, content_type="text/turtle", headers={"Accept": "text/plain"}
    )
    assert text.mimetype == "text/plain" and "Verstoß" in text.get_data(as_text=True)
    shacl = client.post("/validate?format=ttl", data=BROKEN, content_type="text/turtle")
    assert shacl.mimetype == "text/turtle" and "ValidationReport" in shacl.get_data(as_text=True)
    page = client.post(
        "/validate",
        data=BROKEN,
        content_type="text/turtle",
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "en"},
    )
    html = page.get_data(as_text=True)
    assert (
        page.mimetype == "text/html" and "Does not conform" in html and "schema:startDate" in html
    )
    form = client.get("/validate", headers={"Accept": "text/html"})
    assert form.status_code == 200 and 'type="file"' in form.get_data(as_text=True)


def test_validate_a_multipart_upload_by_its_file_name(client):
    answer = client.post(
        "/validate",
        data={"file": (io.BytesIO(as_format(project(), ox.RdfFormat.JSON_LD)), "lesepaten.jsonld")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200 and answer.get_json()["conforms"] is True


SHEET = [
    [
        "ID",
        "Art",
        "Titel",
        "Titel (englisch)",
        "Verantwortliche Organisation",
        "Handlungsfeld",
        "Beginn",
        "Programm",
        "Quelle",
    ],
    [
        "kreis-lesepaten",
        "Projekt",
        "Lesepaten (Beispiel)",
        "Reading mentors (example)",
        "Hochtaunuskreis (Beispiel)",
        "1",
        "01.02.2024",
        "Förderprogramm Teilhabe (Beispiel)",
        "https://example.org/beispiel",
    ],
]


def test_validate_spreadsheets_xlsx_and_csv(client):
    book = Workbook()
    sheet = book.active
    sheet.title = "Maßnahmen"
    for row in SHEET:
        sheet.append(row)
    xlsx = io.BytesIO()
    book.save(xlsx)
    answer = client.post(
        "/validate",
        data={"file": (io.BytesIO(xlsx.getvalue()), "lesepaten.xlsx")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200 and answer.get_json()["conforms"] is True, answer.data
    broken = [*SHEET[:1], [*SHEET[1][:4], "Unbekannter Kreis", *SHEET[1][5:]]]
    csv = "\n".join(";".join(row) for row in broken).encode("utf-8")
    report = client.post("/validate", data=csv, content_type="text/csv").get_json()
    assert report["conforms"] is False
    [finding] = report["findings"]
    assert finding["location"] == "contribution.csv!E2"
    assert "Unbekannte Organisation" in finding["message_de"]
    assert "tmp" not in json.dumps(report)
