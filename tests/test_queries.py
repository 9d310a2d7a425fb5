"""The curated query catalogue (queries/*.rq): headers, binding, and every query's answer.

Each query runs on the published data (ontology/ + data/, loaded through the real
ingest path) with expected answers read from data/ by hand, and where that is
simple recomputed independently with rdflib from the Turtle files. The CLI runs
the same queries as a subprocess.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import backends
import pyoxigraph as ox
import pytest
import rdflib
from cli_helpers import run
from conftest import BASE, ROOT
from rdflib.namespace import DCTERMS, RDF, SKOS

from ikgraph import querycatalog as qc
from ikgraph.ingest import ingest
from ikgraph.model import DATA_DIR, ONTOLOGY_DIR
from ikgraph.sources import from_path
from ikgraph.store import OxigraphStore, Store

IKG = rdflib.Namespace(f"{BASE}ontology#")
SCHEMA = rdflib.Namespace("http://schema.org/")
QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = rdflib.Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
RES = f"{BASE}id/"
MEASURE_TYPES = {IKG.Measure, IKG.Programme, IKG.Project}
INJECTION = '" } UNION { ?s ?p ?o } #'


def publish(store: Store) -> Store:
    """Load ontology/ and data/ into ``store`` as `ikgraph build` does."""
    ontology = [from_path(p) for p in sorted(ONTOLOGY_DIR.glob("*.ttl"))]
    for source in ontology:
        source.name = "ontology" if len(ontology) == 1 else f"ontology-{source.name}"
    data = [from_path(p) for p in sorted(DATA_DIR.glob("*.ttl"))]
    result = ingest(store, ontology + data, contributor="test")
    assert result.accepted, result.report.to_text("en")
    return store


def published_store() -> OxigraphStore:
    """An in-memory store with ontology/ and data/."""
    return publish(OxigraphStore(None, base=BASE))


@pytest.fixture(scope="module")
def published() -> Iterator[OxigraphStore]:
    store = published_store()
    yield store
    store.close()


@pytest.fixture(scope="module")
def files() -> dict[str, rdflib.Graph]:
    """Each data file as its own rdflib graph, by file stem (= named graph)."""
    out = {}
    for path in sorted(DATA_DIR.glob("*.ttl")):
        out[path.stem] = rdflib.Graph().parse(path, format="turtle")
    return out


@pytest.fixture(scope="module")
def data(files) -> rdflib.Graph:
    union = rdflib.Graph()
    for graph in files.values():
        union += graph
    return union


@pytest.fixture(scope="module")
def catalog() -> qc.Catalog:
    return qc.load(ROOT / "queries", base=BASE)


def answer(store, catalog, name: str, /, **params: str) -> list[dict[str, str | None]]:
    """Rows of a catalogue query as {variable: lexical value or None}."""
    query = catalog.get(name)
    assert query is not None, name
    result = store.query(query.text, substitutions=query.bind(params, store=store))
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def de(graph: rdflib.Graph, node) -> str:
    return next(str(o) for o in graph.objects(node, SKOS.prefLabel) if o.language == "de")


def measures(graph: rdflib.Graph) -> set:
    return {s for t in MEASURE_TYPES for s in graph.subjects(RDF.type, t)}


# --- the catalogue --------------------------------------------------------------------


TESTED = {
    "budget-nach-handlungsfeld",
    "budgets-nach-programm-und-jahr",
    "foerdernetz",
    "handlungsfelder",
    "indikator-zeitreihe",
    "landesprogramm-projekte",
    "massnahmen-in-region",
    "massnahmen-nach-handlungsfeld-und-ebene",
    "massnahmen-ohne-ziel",
    "massnahmen-suche",
    "massnahmen-und-foerderprogramme",
    "mitgliedschaften",
    "organisationen",
    "organisationen-mehrere-handlungsfelder",
    "planversionen",
    "plenarsitzungen",
    "quellen-je-graph",
    "rechtsgrundlagen",
    "uebersicht-klassen",
    "zielfortschritt",
}


def test_every_shipped_query_is_valid_documented_and_tested(catalog):
    assert dict(catalog.errors) == {}
    assert len(catalog) >= 15
    assert {q.name for q in catalog} == TESTED, "a new query needs a test of its answer here"
    for query in catalog:
        assert query.title("de") != query.name and query.title("en") != query.title("de")
        assert query.description("en"), query.name
        assert query.form in ("SELECT", "CONSTRUCT")
        for param in query.parameters:
            assert param.description, (query.name, param.name)
            assert param.example or param.enum or param.default, (query.name, param.name)


HEADER = """#+ title@de: Beispiel
#+ title@en: Example
#+ description@en: A query
#+   on two lines.
#+ param: field | iri(ikg:FieldOfAction) | | optional | https://w3id.org/ikg/id/field/1 | Field
#+ param: year | integer | 2020 | optional | 2021 | Year
#+ param: text | string | | required | x | Text
#+ param: on | date | | optional | 2020-01-31 | Day
#+ param: lang | language | de | optional | en | Language
#+ param: kind | iri | | optional | ikg:District | Kind
#+ enum: kind | ikg:District ikg:Municipality
# an ordinary comment
PREFIX ikg: <https://w3id.org/ikg/ontology#>
SELECT ?s ?field ?year ?text ?on ?lang ?kind WHERE {
  ?s a ?kind ; <http://purl.org/dc/terms/subject> ?field .
  FILTER(COALESCE(?year, 0) >= 0 && COALESCE(?on, true) && CONTAINS(STR(?s), ?text))
  FILTER(langMatches(?lang, "*"))
}
"""


def test_header_format_is_parsed_into_typed_parameters():
    query = qc.check(qc.parse(HEADER, name="beispiel"))
    assert query.titles == {"de": "Beispiel", "en": "Example"}
    assert query.description("en") == "A query on two lines."
    assert query.description("de") == "A query on two lines."  # falls back to another language
    assert [p.name for p in query.parameters] == ["field", "year", "text", "on", "lang", "kind"]
    field, year, text, on, lang, kind = query.parameters
    assert (field.type, field.cls, field.required) == (
        "iri",
        f"{BASE}ontology#FieldOfAction",
        False,
    )
    assert (year.type, year.default, year.example) == ("integer", "2020", "2021")
    assert text.required and on.type == "date" and lang.default == "de"
    assert kind.enum == (f"{BASE}ontology#District", f"{BASE}ontology#Municipality")
    assert query.form == "SELECT" and "field" in query.variables


def test_binding_types_defaults_and_unbound_optionals():
    query = qc.parse(HEADER, name="beispiel")
    terms = query.bind({"text": "a b", "on": "2024-02-29", "kind": f"{BASE}ontology#District"})
    assert terms["text"] == ox.Literal("a b")
    assert terms["year"] == ox.Literal("2020", datatype=ox.NamedNode(qc.XSD + "integer"))
    assert terms["on"] == ox.Literal("2024-02-29", datatype=ox.NamedNode(qc.XSD + "date"))
    assert terms["lang"] == ox.Literal("de")
    assert terms["kind"] == ox.NamedNode(f"{BASE}ontology#District")
    assert "field" not in terms  # optional without default: unbound
    assert query.bind({"text": ["x"], "year": "", "lang": "EN-gb"})["lang"] == ox.Literal("en-gb")
    assert query.bind({"text": "x", "format": "csv", "timeout": "1"}).keys() == {
        "text",
        "year",
        "lang",
    }


@pytest.mark.parametrize(
    ("values", "parameter", "message"),
    [
        ({}, "text", "is required"),
        ({"text": "x", "yaer": "1"}, "yaer", "unknown parameter"),
        ({"text": ["x", "y"]}, "text", "more than once"),
        ({"text": "x", "year": "20x1"}, "year", "not an integer"),
        ({"text": "x", "year": "1e3"}, "year", "not an integer"),
        ({"text": "x", "year": "1" * 19}, "year", "not an integer"),
        ({"text": "x", "on": "2023-02-29"}, "on", "not a date"),
        ({"text": "x", "on": "29.02.2024"}, "on", "not a date"),
        ({"text": "x", "lang": 'de") || true || ("'}, "lang", "BCP 47"),
        ({"text": "x", "field": "field/1"}, "field", "not an absolute http"),
        ({"text": "x", "field": "file:///etc/passwd"}, "field", "not an absolute http"),
        ({"text": "x", "field": "<https://w3id.org/ikg/id/field/1>"}, "field", "not an absolute"),
        ({"text": "x", "kind": f"{BASE}ontology#StateBody"}, "kind", "not one of"),
        ({"text": "x" * (qc.MAX_VALUE_CHARS + 1)}, "text", "at most"),
    ],
)
def test_binding_refuses_bad_values_naming_the_parameter(values, parameter, message):
    query = qc.parse(HEADER, name="beispiel")
    with pytest.raises(qc.ParameterError, match=message) as info:
        query.bind(values)
    assert info.value.parameter == parameter


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("#+ title@de: T\n#+ tilte@en: T\n", "unknown header key 'tilte'"),
        ("#+ title@de: T\n#+ param: x | float | | optional | 1 | X\n", "unknown type"),
        ("#+ title@de: T\n#+ param: x | string | | maybe | 1 | X\n", "required' or 'optional"),
        ("#+ title@de: T\n#+ param: x | string | a | required | b | X\n", "cannot have a default"),
        ("#+ title@de: T\n#+ param: x | string | | required | | X\n", "needs an example"),
        ("#+ title@de: T\n#+ param: format | string | | optional | a | X\n", "reserved"),
        ("#+ title@de: T\n#+ param: x | iri(zz:C) | | optional | | X\n", "unknown prefix"),
        ("#+ title@de: T\n#+ param: x | integer | | optional | ten | X\n", "not an integer"),
        ("#+ title@de: T\n#+ enum: y | a b\n", "undeclared parameter"),
        ("#+ title@de: T\n#+ title@de: U\n", "given twice"),
        ("#+ title@de: T\n#+ param: x | string | | optional | a |\n", "parameter x is not used"),
    ],
)
def test_malformed_headers_are_refused_with_the_line(header, message):
    with pytest.raises(qc.CatalogError, match=message):
        qc.check(qc.parse(header + "SELECT ?s WHERE { ?s ?p ?o }\n", name="bad"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "#+ param: s | string | | optional | a | S\nSELECT ?s WHERE { ?s ?p ?o }",
            "needs a title",
        ),
        ("#+ title@de: T\nSELECT ?s WHERE { ?s ?p", "malformed query"),
        ("#+ title@de: T\nDELETE WHERE { ?s ?p ?o }", "SPARQL Update"),
        ("#+ title@de: T\nSELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", "SERVICE"),
        (
            "#+ title@de: T\n#+ param: n | string | | optional | a | N\n"
            "SELECT ?s WHERE { ?s ?p ?o FILTER(?o = ?n) }",
            "projected",
        ),
    ],
)
def test_queries_that_cannot_be_served_are_refused(text, message):
    with pytest.raises(qc.CatalogError, match=message):
        qc.check(qc.parse(text, name="bad"))


def test_a_folder_with_a_broken_file_keeps_the_others_and_says_why(tmp_path):
    (tmp_path / "gut.rq").write_text("#+ title@de: Gut\nASK {}\n", encoding="utf-8")
    (tmp_path / "kaputt.rq").write_text("#+ title@de: K\nSELECT\n", encoding="utf-8")
    (tmp_path / "alt.rq").write_text("# title: Alt\n# title@en: Old\nASK {}\n", encoding="utf-8")
    found = qc.load(tmp_path)
    assert [q.name for q in found] == ["alt", "gut"]
    assert found.get("alt").title("de") == "Alt" and found.get("alt").title("en") == "Old"
    assert "kaputt.rq" in found.errors["kaputt"] and "malformed" in found.errors["kaputt"]
    assert len(qc.load(tmp_path / "absent")) == 0


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("#+ title@de: Eins\nASK {}\n", encoding="utf-8")
    assert qc.load(tmp_path).get("q").title() == "Eins"
    path.write_text("#+ title@de: Zwei, länger\nASK {}\n", encoding="utf-8")
    assert qc.load(tmp_path).get("q").title() == "Zwei, länger"


def test_queries_follow_the_configured_base_iri():
    other = "https://example.org/hessen/"
    query = qc.check(
        qc.parse((ROOT / "queries" / "organisationen.rq").read_text(), name="o", base=other)
    )
    assert f"<{other}ontology#>" in query.text and BASE not in query.text
    assert query.parameter("kind").enum[0] == f"{other}ontology#StateBody"
    undeclared = "#+ title@de: T\n#+ param: m | iri(ikg:Measure) | | optional | res:measure/a | M\n"
    rebased = qc.parse(undeclared + "SELECT ?m { ?m ?p ?o }", name="u", base=other)
    assert rebased.parameters[0].cls == f"{other}ontology#Measure"
    assert rebased.parameters[0].example == f"{other}id/measure/a"


def test_iri_class_parameters_must_name_a_resource_of_that_class(published, catalog):
    query = catalog.get("budgets-nach-programm-und-jahr")
    programme = query.bind({"measure": f"{RES}measure/wir"}, store=published)  # a subclass
    assert programme["measure"] == ox.NamedNode(f"{RES}measure/wir")
    for wrong in (f"{RES}organisation/land-hessen", f"{RES}measure/gibt-es-nicht"):
        with pytest.raises(qc.ParameterError, match="is not a resource of class") as info:
            query.bind({"measure": wrong}, store=published)
        assert info.value.parameter == "measure"


# --- the answers ---------------------------------------------------------------------


def test_handlungsfelder(published, catalog, data):
    rows = answer(published, catalog, "handlungsfelder")
    assert [r["notation"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    counts = {r["field"].rsplit("/", 1)[1]: int(r["measures"]) for r in rows}
    # read from data/: field 6 has WIR, WIR-Vielfaltszentren, KIV and four WIR projects
    assert counts["6"] == 7 and counts["3"] == 1 and counts["5"] == 1
    expected = Counter(
        str(f).rsplit("/", 1)[1]
        for m in measures(data)
        for f in set(data.objects(m, DCTERMS.subject))
    )
    assert counts == dict(expected)  # targets, which also name a field, are not counted
    assert rows[5]["label_en"] == "Intercultural opening, diversity, anti-discrimination"


def test_budget_nach_handlungsfeld(published, catalog, data):
    rows = answer(published, catalog, "budget-nach-handlungsfeld")
    got = {
        r["field"].rsplit("/", 1)[1]: (Decimal(r["budget_eur"]), int(r["measures"])) for r in rows
    }
    # Deutsch4U 1.5 + 2.7 + 4.7 + 4.0 Mio. and Sprachkurse Deutsch4U 40 Mio. in field 1
    assert got["1"] == (Decimal("52900000"), 2)
    assert [r["field"].rsplit("/", 1)[1] for r in rows] == [
        "1",
        "6",
        "7",
        "2",
    ]  # by sum, descending
    expected: dict[str, list] = defaultdict(lambda: [Decimal(0), set()])
    for m in set(data.subjects(IKG.budget, None)):
        for f in set(data.objects(m, DCTERMS.subject)):
            for b in data.objects(m, IKG.budget):
                expected[str(f).rsplit("/", 1)[1]][0] += Decimal(str(data.value(b, SCHEMA.value)))
            expected[str(f).rsplit("/", 1)[1]][1].add(m)
    assert got == {k: (v[0], len(v[1])) for k, v in expected.items()}


def test_organisationen(published, catalog, data):
    rows = answer(published, catalog, "organisationen")
    kinds = Counter(r["kind"].rsplit("#", 1)[1] for r in rows)
    assert kinds["District"] == 27 and kinds["Municipality"] == 7 and kinds["Conference"] == 1
    for kind in ("StateBody", "District", "Municipality", "CivilSocietyOrganisation", "Conference"):
        assert kinds[kind] == len(set(data.subjects(RDF.type, IKG[kind])))
    assert rows == sorted(rows, key=lambda r: (r["kind"], r["label"]))
    civil = answer(
        published, catalog, "organisationen", kind=f"{BASE}ontology#CivilSocietyOrganisation"
    )
    assert [r["organisation"] for r in civil] == [
        f"{RES}organisation/agah",
        f"{RES}organisation/landesfachstelle-integration-jugendarbeit",
    ]


def test_foerdernetz(published, catalog, data):
    query = catalog.get("foerdernetz")
    triples = {
        (t.subject.value, t.predicate.value, t.object.value) for t in published.query(query.text)
    }
    expected = set()
    for project in data.subjects(RDF.type, IKG.Project):
        expected.add((str(project), str(SKOS.prefLabel), de(data, project)))
        for p in (IKG.fundedBy, IKG.responsibleOrganisation, IKG.partner):
            expected |= {(str(project), str(p), str(o)) for o in data.objects(project, p)}
    assert triples == expected
    hanau = f"{RES}measure/wir-koordination-06435014"
    assert (hanau, str(IKG.fundedBy), f"{RES}measure/wir") in triples


def test_massnahmen_und_foerderprogramme(published, catalog, data):
    rows = answer(published, catalog, "massnahmen-und-foerderprogramme")
    assert {r["project"] for r in rows} == {str(p) for p in data.subjects(RDF.type, IKG.Project)}
    assert [r["project_label"] for r in rows] == sorted(r["project_label"] for r in rows)
    by_project = {r["project"].rsplit("/", 1)[1]: r for r in rows}
    assert by_project["wir-koordination-06435014"]["programme_label"] == "Landesprogramm WIR"
    assert by_project["wir-koordination-06435014"]["responsible_label"] == "Hanau"
    assert by_project["zusammen-wachsen"]["programme_label"] is None


def test_massnahmen_nach_handlungsfeld_und_ebene(published, catalog, data):
    rows = answer(published, catalog, "massnahmen-nach-handlungsfeld-und-ebene")
    got = {(r["notation"], r["level"].rsplit("#", 1)[1]): int(r["measures"]) for r in rows}
    # field 6: WIR, Vielfaltszentren, KIV (state); Hochtaunus, Lahn-Dill (districts);
    # Bad Homburg, Hanau (municipalities)
    assert got[("6", "StateBody")] == 3 and got[("6", "District")] == 2
    assert got[("6", "Municipality")] == 2 and got[("4", "CivilSocietyOrganisation")] == 1
    levels = ["StateBody", "District", "Municipality", "CivilSocietyOrganisation"]
    expected: Counter = Counter()
    for m in measures(data):
        for responsible in data.objects(m, IKG.responsibleOrganisation):
            for level in levels:
                if (responsible, RDF.type, IKG[level]) in data:
                    for f in set(data.objects(m, DCTERMS.subject)):
                        expected[(str(data.value(f, SKOS.notation)), level)] += 1
    assert got == dict(expected)
    order = [(r["notation"], levels.index(r["level"].rsplit("#", 1)[1])) for r in rows]
    assert order == sorted(order)
    municipal = answer(
        published,
        catalog,
        "massnahmen-nach-handlungsfeld-und-ebene",
        level=f"{BASE}ontology#Municipality",
    )
    assert [(r["notation"], r["measures"]) for r in municipal] == [
        ("2", "1"),
        ("6", "2"),
        ("7", "1"),
    ]
    field6 = answer(
        published, catalog, "massnahmen-nach-handlungsfeld-und-ebene", field=f"{RES}field/6"
    )
    assert [r["level_label"] for r in field6] == [
        "Land",
        "Landkreis oder kreisfreie Stadt",
        "Gemeinde",
    ]


def test_landesprogramm_projekte(published, catalog, data):
    rows = answer(published, catalog, "landesprogramm-projekte", programme=f"{RES}measure/wir")
    names = [r["measure"].rsplit("/", 1)[1] for r in rows]
    # the WIR funding lines and the district and municipal projects under them
    assert set(names) == {
        "kiv",
        "wir-migrantenorganisationen",
        "wir-innovative-projekte",
        "wir-integrationslotsen",
        "wir-laiendolmetscher",
        "wir-vielfaltszentren",
        "wir-vielfaltszentrum-06434",
        "wir-vielfaltszentrum-06434001",
        "wir-vielfaltszentrum-06532",
        "wir-koordination-06435014",
        "wir-fallmanagement-06435014",
    }
    assert [r["measure_label"] for r in rows] == sorted(r["measure_label"] for r in rows)
    by_name = dict(zip(names, rows, strict=True))
    assert by_name["wir-migrantenorganisationen"]["civil_society_partners"] == (
        "Landesfachstelle Hessen „Integration in der Jugendarbeit“"
    )
    assert by_name["wir-koordination-06435014"]["level"] == f"{BASE}ontology#Municipality"
    assert by_name["wir-vielfaltszentrum-06532"]["responsible_label"] == "Lahn-Dill-Kreis"
    # the same closure computed with rdflib, for every state programme
    links = (DCTERMS.isPartOf, IKG.fundedBy, IKG.implements)
    expected = set()
    for m in measures(data):
        reached, todo = set(), [m]
        while todo:
            node = todo.pop()
            for p in links:
                for up in data.objects(node, p):
                    if up not in reached:
                        reached.add(up)
                        todo.append(up)
        expected |= {(str(p), str(m)) for p in reached if (p, RDF.type, IKG.Programme) in data}
    everything = answer(published, catalog, "landesprogramm-projekte")
    assert {(r["programme"], r["measure"]) for r in everything} == expected


def test_mitgliedschaften(published, catalog):
    rows = answer(published, catalog, "mitgliedschaften")
    assert [(r["member"], r["body"], r["role_label"]) for r in rows] == [
        (
            f"{RES}organisation/landkreis-06635",
            f"{RES}organisation/integrationskonferenz",
            "Mitglied",
        )
    ]
    assert rows[0]["since"] is None  # the source gives no date
    konferenz = f"{RES}organisation/integrationskonferenz"
    assert len(answer(published, catalog, "mitgliedschaften", body=konferenz, on="2024-12-31")) == 1
    assert answer(published, catalog, "mitgliedschaften", body=f"{RES}group/ag-1") == []


def test_massnahmen_in_region(published, catalog):
    rows = answer(published, catalog, "massnahmen-in-region", key="06434")
    got = {r["measure"].rsplit("/", 1)[1]: set(r["relations"].split(", ")) for r in rows}
    assert got == {
        "wir-vielfaltszentrum-06434": {"responsible", "area"},
        "wir-vielfaltszentrum-06434001": {"municipality-in-district"},
        "modellregionen-integration": {"partner", "area"},
    }
    assert {r["region_label"] for r in rows} == {"Hochtaunuskreis"}
    assert [r["measure_label"] for r in rows] == sorted(r["measure_label"] for r in rows)
    by_ags = answer(published, catalog, "massnahmen-in-region", key="06435014")
    by_name = answer(published, catalog, "massnahmen-in-region", name="hAnAu")
    assert by_ags == [{**r, "key": "06435014", "name": None} for r in by_name]
    assert {r["measure"].rsplit("/", 1)[1] for r in by_name} == {
        "wir-koordination-06435014",
        "wir-fallmanagement-06435014",
        "modellregionen-integration",
    }
    assert answer(published, catalog, "massnahmen-in-region", key="06434", name="Lahn") == []
    assert answer(published, catalog, "massnahmen-in-region", key="6434") == []


def test_budgets_nach_programm_und_jahr(published, catalog, data):
    rows = answer(published, catalog, "budgets-nach-programm-und-jahr", year="2022")
    assert [(r["measure"].rsplit("/", 1)[1], r["value"], r["amount_type_label"]) for r in rows] == [
        ("wir", "8700000", "beantragt"),
        ("mitsprache-deutsch4u", "4700000", "Mittelansatz"),
    ]
    deutsch4u = answer(
        published,
        catalog,
        "budgets-nach-programm-und-jahr",
        measure=f"{RES}measure/mitsprache-deutsch4u",
    )
    assert [(r["budget_year"], r["value"]) for r in deutsch4u] == [
        ("2016", "1500000"),
        ("2017", "2700000"),
        ("2022", "4700000"),
        ("2024", "4000000"),
    ]
    assert {r["currency"] for r in deutsch4u} == {"EUR"}
    everything = answer(published, catalog, "budgets-nach-programm-und-jahr")
    assert len(everything) == len(list(data.subject_objects(IKG.budget)))
    assert any(r["budget_year"] is None for r in everything)  # multi-year amounts, no year given
    assert answer(published, catalog, "budgets-nach-programm-und-jahr", year="1999") == []


def test_indikator_zeitreihe(published, catalog, data):
    kurse = answer(
        published, catalog, "indikator-zeitreihe", indicator=f"{RES}indicator/deutsch4u-kurse"
    )
    assert [(r["year"], r["value"], r["unit"]) for r in kurse] == [
        ("2016", "134", "Kurse"),
        ("2023", "500", "Kurse"),
    ]
    hessen = "http://dcat-ap.de/def/politicalGeocoding/stateKey/06"
    rows = answer(published, catalog, "indikator-zeitreihe", area=hessen)
    observations = set(data.subjects(RDF.type, QB.Observation))
    in_hessen = set(data.subjects(SDMX_DIMENSION.refArea, rdflib.URIRef(hessen)))
    assert {r["observation"] for r in rows} == {str(o) for o in observations & in_hessen}
    assert len(answer(published, catalog, "indikator-zeitreihe")) == len(observations)
    keys = [(r["indicator_label"], r["year"]) for r in rows]
    assert keys == sorted(keys)
    assert (
        answer(published, catalog, "indikator-zeitreihe", area="https://example.org/nowhere") == []
    )


def test_plenarsitzungen(published, catalog):
    rows = answer(published, catalog, "plenarsitzungen")
    assert [r["date"] for r in rows] == ["2015-03-19", "2015-11-19", "2024-09-23"]
    assert [r["number"] for r in rows] == ["1", "2", None]
    assert rows[2]["location"] == "Bürgerhaus Braunshardt, Weiterstadt"
    later = answer(published, catalog, "plenarsitzungen", since="2016-01-01")
    assert [r["session"] for r in later] == [f"{RES}session/2024-09-23"]
    first_year = answer(published, catalog, "plenarsitzungen", until="2015-12-31")
    assert [r["date"] for r in first_year] == ["2015-03-19", "2015-11-19"]


def test_organisationen_mehrere_handlungsfelder(published, catalog, data):
    rows = answer(published, catalog, "organisationen-mehrere-handlungsfelder")
    fields: dict[str, set] = defaultdict(set)
    for m in measures(data):
        for p in (IKG.responsibleOrganisation, IKG.partner):
            for org in data.objects(m, p):
                fields[str(org)] |= {
                    str(data.value(f, SKOS.notation)) for f in data.objects(m, DCTERMS.subject)
                }
    expected = {org: f for org, f in fields.items() if len(f) >= 2}
    assert {r["organisation"]: set(r["field_numbers"].split(", ")) for r in rows} == expected
    assert [int(r["fields"]) for r in rows] == sorted(
        (int(r["fields"]) for r in rows), reverse=True
    )
    hochtaunus = next(r for r in rows if r["organisation"].endswith("landkreis-06434"))
    assert set(hochtaunus["field_numbers"].split(", ")) == {
        "2",
        "6",
        "7",
    }  # its centre and the model region
    broad = answer(published, catalog, "organisationen-mehrere-handlungsfelder", min_fields="4")
    assert [r["label"] for r in broad] == sorted(r["label"] for r in broad)
    assert {r["organisation"].rsplit("/", 1)[1] for r in broad} == {"hmsi", "land-hessen"}


def test_massnahmen_ohne_ziel(published, catalog, data):
    rows = answer(published, catalog, "massnahmen-ohne-ziel")
    expected = {
        str(m)
        for m in measures(data)
        if (m, IKG.contributesTo, None) not in data and (m, DCTERMS.subject, None) in data
    }
    assert {r["measure"] for r in rows} == expected
    assert f"{RES}measure/kiv" in expected and f"{RES}measure/wir-vielfaltszentren" not in expected
    field6 = answer(published, catalog, "massnahmen-ohne-ziel", field=f"{RES}field/6")
    assert [r["measure"].rsplit("/", 1)[1] for r in field6] == [
        "kiv",  # programmes first, by label
        "wir",
        "wir-koordination-06435014",
    ]


def test_planversionen(published, catalog):
    rows = answer(published, catalog, "planversionen")
    assert [(r["version_number"], r["position"], r["fields"]) for r in rows] == [
        ("2017", "1", "7"),
        ("2.0", "2", "0"),
    ]
    assert rows[0]["accepted"] == "2017-12" and rows[0]["previous"] is None
    assert rows[1]["previous"] == f"{RES}plan/integrationsplan-2017"
    assert rows[1]["change_note"].startswith("Erstmals ein eigenes Handlungsfeld")
    english = answer(published, catalog, "planversionen", lang="en")
    assert [r["label"] for r in english] == [
        "Hessian integration plan (2017)",
        "Hessian integration plan 2.0",
    ]
    assert english[1]["change_note"].startswith("For the first time")
    assert english[0]["attributed_to_label"] == "Hessian state government"


def test_uebersicht_klassen(published, catalog, files):
    rows = answer(published, catalog, "uebersicht-klassen")
    got = {r["class"]: (int(r["resources"]), int(r["graphs"])) for r in rows}
    expected: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for name, graph in files.items():
        for resource, cls in graph.subject_objects(RDF.type):
            key = resource if isinstance(resource, rdflib.URIRef) else (name, resource)
            expected[str(cls)][0].add(key)
            expected[str(cls)][1].add(name)
    assert got == {c: (len(r), len(g)) for c, (r, g) in expected.items()}
    assert got[f"{BASE}ontology#District"] == (27, 1)
    order = [(-int(r["resources"]), r["class"]) for r in rows]
    assert order == sorted(order)
    district = next(r for r in rows if r["class"] == f"{BASE}ontology#District")
    assert district["label"]  # from the ontology


def test_quellen_je_graph(published, catalog, files):
    law = answer(published, catalog, "quellen-je-graph", graph=f"{BASE}graph/law")
    assert law[0] == {
        "graph": f"{BASE}graph/law",
        "source": "https://lexaris.de/book/version/documentflat/head/1325331",
        "cited_by": "11",  # the IntTG and its ten sections
    }
    assert [r["cited_by"] for r in law[1:]] == ["1", "1", "1"]
    assert [r["source"] for r in law[1:]] == sorted(r["source"] for r in law[1:])
    everything = answer(published, catalog, "quellen-je-graph")
    expected = set()
    for name, graph in files.items():
        cited = Counter(str(o) for s, o in set(graph.subject_objects(DCTERMS.source)))
        expected |= {(f"{BASE}graph/{name}", src, str(n)) for src, n in cited.items()}
    assert {(r["graph"], r["source"], r["cited_by"]) for r in everything} == expected


def test_rechtsgrundlagen(published, catalog):
    rows = answer(published, catalog, "rechtsgrundlagen")
    assert [(r["subject"].rsplit("/", 1)[1], r["section_number"]) for r in rows] == [
        ("integrationskonferenz", "§ 10"),
        ("wir-vielfaltszentren", "§ 11"),
        ("wir-vielfaltszentrum-06434001", "§ 11"),
    ]
    assert {r["act"] for r in rows} == {f"{RES}law/inttg"}
    assert {(r["in_force_from"], r["in_force_until"]) for r in rows} == {
        ("2023-04-04", "2030-12-31")
    }


def test_massnahmen_suche(published, catalog):
    rows = answer(published, catalog, "massnahmen-suche", text="VIELFALT")
    assert {r["measure"].rsplit("/", 1)[1] for r in rows} == {
        "wir",  # by its short name "WIR – Vielfalt und Teilhabe"
        "wir-vielfaltszentren",
        "kiv",
        "wir-vielfaltszentrum-06434",
        "wir-vielfaltszentrum-06434001",
        "wir-vielfaltszentrum-06532",
    }
    assert [r["label"] for r in rows] == sorted(r["label"] for r in rows)
    english = answer(published, catalog, "massnahmen-suche", text="vielfalt", lang="en")
    assert "WIR state programme" in {r["label"] for r in english}
    brackets = answer(published, catalog, "massnahmen-suche", text="zusammen[ ]")
    assert [r["measure"] for r in brackets] == [f"{RES}measure/zusammen-wachsen"]


def test_zielfortschritt(published, catalog, data):
    rows = answer(published, catalog, "zielfortschritt")
    targets = {str(t) for t in data.subjects(RDF.type, IKG.Target) if (t, IKG.unit, None) in data}
    assert {r["target"] for r in rows} == targets
    kurse = next(r for r in rows if r["target"].endswith("deutsch4u-kurse-2024"))
    assert (kurse["latest"], kurse["latest_year"]) == ("500", "2023")  # not 134 from 2016


# --- parameters cannot change a query -----------------------------------------------------


HOSTILE_TEXTS = [
    INJECTION,
    '") } SELECT * WHERE { ?s ?p ?o } #',
    "x' } UNION { ?s ?p ?o } #",
    '\\" } #',
    "> } ; DROP ALL #",
    "vielfalt\n} UNION { ?s ?p ?o }\n#",
    "<https://w3id.org/ikg/id/measure/wir>",
    "${text} ?text $lang",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_string_values_are_literals_never_query_text(published, catalog, text):
    before = len(published.raw)
    assert answer(published, catalog, "massnahmen-suche", text=text) == []
    assert answer(published, catalog, "massnahmen-in-region", name=text) == []
    assert len(published.raw) == before


# --- another backend ---------------------------------------------------------------------


def _lexical(term) -> str | None:
    """A term's value, numbers normalised (Virtuoso keeps literals by value)."""
    if term is None:
        return None
    try:
        return str(Decimal(term.value).normalize())
    except ArithmeticError:
        return term.value


#: Columns that are lists (GROUP_CONCAT), whose order SPARQL leaves open, and their separator.
LISTS = {
    "relations": ", ",
    "field_numbers": ", ",
    "partners": ", ",
    "civil_society_partners": " | ",
    "target_sources": " ",
    "latest_sources": " ",
}


def _solutions(result) -> list:
    if not isinstance(result, ox.QuerySolutions):
        return sorted(str(t) for t in result)
    names = [v.value for v in result.variables]
    rows = []
    for row in result:
        values = [_lexical(row[n]) for n in names]
        for i, name in enumerate(names):
            if name in LISTS and values[i]:
                values[i] = LISTS[name].join(sorted(values[i].split(LISTS[name])))
        rows.append(tuple(values))
    return sorted(rows)


def test_the_catalogue_answers_alike_on_a_remote_store(virtuoso, published, catalog):
    """A remote store binds parameters with a VALUES block opening the WHERE group;
    every query answers there as on Oxigraph, without and with its examples."""
    remote = virtuoso.open(base=BASE)
    backends.clear(remote)
    try:
        publish(remote)
        for query in catalog:
            examples = {p.name: p.example for p in query.parameters if p.example}
            required = any(p.required for p in query.parameters)
            for values in [examples] if required else [{}, examples]:
                here = published.query(query.text, substitutions=query.bind(values))
                there = remote.query(query.text, substitutions=query.bind(values, store=remote))
                expected, got = _solutions(here), _solutions(there)
                missing = [r for r in expected if r not in got][:2]
                extra = [r for r in got if r not in expected][:2]
                assert got == expected, repr((query.name, values, missing, extra))
    finally:
        backends.clear(remote)
        remote.close()


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    run("build", store=path, check=True)
    return path


def test_cli_runs_a_named_query_with_parameters(built):
    out = run(
        "query",
        "--named",
        "budgets-nach-programm-und-jahr",
        "--param",
        "year=2022",
        "--format",
        "csv",
        store=built,
        check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["measure"], r["value"], r["year"]) for r in rows] == [
        (f"{RES}measure/wir", "8700000", "2022"),
        (f"{RES}measure/mitsprache-deutsch4u", "4700000", "2022"),
    ]


def test_cli_lists_the_catalogue_and_refuses_bad_parameters(built, catalog):
    listed = run("query", "--list", store=built, check=True).stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == [q.name for q in catalog]
    assert "year=integer?" in next(line for line in listed if line.startswith("budgets-"))
    bad = run(
        "query", "--named", "budgets-nach-programm-und-jahr", "--param", "year=zwei", store=built
    )
    assert bad.returncode == 2 and "'year'" in bad.stderr and "not an integer" in bad.stderr
    unknown = run("query", "--named", "gibt-es-nicht", store=built)
    assert unknown.returncode == 2 and "--list" in unknown.stderr
    both = run("query", "ASK {}", "--named", "handlungsfelder", store=built)
    assert both.returncode == 2
    loose = run("query", "--param", "year=2022", store=built)
    assert loose.returncode == 2


def test_cli_binds_strings_as_literals(built):
    hostile = run(
        "query",
        "--named",
        "massnahmen-suche",
        "--param",
        f"text={INJECTION}",
        "--format",
        "json",
        store=built,
        check=True,
    )
    assert '"bindings":[]' in hostile.stdout.replace(" ", "")
