"""The published reference data in ``data/``.

Each ``data/*.ttl`` file is one source and becomes one named graph. These tests
check what a maintainer must be able to rely on before the files are loaded:

* every file parses as Turtle;
* every resource under ``{base}id/`` follows the IRI patterns of docs/model.md
  and carries German labels;
* every statement about the real world names a public source: each resource
  under ``{base}id/`` has at least one ``dcterms:source`` that is an http(s)
  IRI. The only exemption are the code lists under ``{base}id/concept/``
  (status, roles, kinds, amount types, population groups): they are the
  project's own vocabulary, not claims about the world. Monetary amounts
  (blank nodes) name their source too;
* the 26 Hessian districts and the seven fields of action are present with
  their official keys and names;
* links between resources under ``{base}id/`` never dangle, and every ``ikg:``
  term used is defined in the ontology;
* all of ``data/`` together conforms to the SHACL shapes (no violations).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import RDF, RDFS, SKOS, BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SH

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DATA_FILES = sorted(DATA_DIR.glob("*.ttl"))

BASE = "https://w3id.org/ikg/"
ID = BASE + "id/"
CONCEPT = ID + "concept/"
IKG = Namespace(BASE + "ontology#")
SCHEMA = Namespace("http://schema.org/")

#: Kinds of resource IRI ``{base}id/{kind}/{slug}`` (docs/model.md, "Identifiers").
KINDS = {
    "organisation",
    "group",
    "field",
    "session",
    "plan",
    "document",
    "law",
    "measure",
    "target",
    "indicator",
    "observation",
    "membership",
    "event",
    "concept",
}
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
#: Code lists are ``id/concept/{list}`` (the scheme) and ``id/concept/{list}/{code}``.
RESOURCE_IRI = re.compile(rf"^{re.escape(ID)}(?P<kind>[a-z]+)/(?P<slug>{SLUG}(?:/{SLUG})?)$")

#: The districts of Hessen until 31 December 2025 (RKI landkreis.csv, DCAT-AP.de districtKey list).
DISTRICTS = {
    "06411": ("stadt-06411", "kreisfreie-stadt", "DE711", "Darmstadt"),
    "06412": ("stadt-06412", "kreisfreie-stadt", "DE712", "Frankfurt am Main"),
    "06413": ("stadt-06413", "kreisfreie-stadt", "DE713", "Offenbach am Main"),
    "06414": ("stadt-06414", "kreisfreie-stadt", "DE714", "Wiesbaden"),
    "06431": ("landkreis-06431", "landkreis", "DE715", "Bergstraße"),
    "06432": ("landkreis-06432", "landkreis", "DE716", "Darmstadt-Dieburg"),
    "06433": ("landkreis-06433", "landkreis", "DE717", "Groß-Gerau"),
    "06434": ("landkreis-06434", "landkreis", "DE718", "Hochtaunuskreis"),
    "06435": ("landkreis-06435", "landkreis", "DE719", "Main-Kinzig-Kreis"),
    "06436": ("landkreis-06436", "landkreis", "DE71A", "Main-Taunus-Kreis"),
    "06437": ("landkreis-06437", "landkreis", "DE71B", "Odenwaldkreis"),
    "06438": ("landkreis-06438", "landkreis", "DE71C", "Offenbach"),
    "06439": ("landkreis-06439", "landkreis", "DE71D", "Rheingau-Taunus-Kreis"),
    "06440": ("landkreis-06440", "landkreis", "DE71E", "Wetteraukreis"),
    "06531": ("landkreis-06531", "landkreis", "DE721", "Gießen"),
    "06532": ("landkreis-06532", "landkreis", "DE722", "Lahn-Dill-Kreis"),
    "06533": ("landkreis-06533", "landkreis", "DE723", "Limburg-Weilburg"),
    "06534": ("landkreis-06534", "landkreis", "DE724", "Marburg-Biedenkopf"),
    "06535": ("landkreis-06535", "landkreis", "DE725", "Vogelsbergkreis"),
    "06611": ("stadt-06611", "kreisfreie-stadt", "DE731", "Kassel"),
    "06631": ("landkreis-06631", "landkreis", "DE732", "Fulda"),
    "06632": ("landkreis-06632", "landkreis", "DE733", "Hersfeld-Rotenburg"),
    "06633": ("landkreis-06633", "landkreis", "DE734", "Kassel"),
    "06634": ("landkreis-06634", "landkreis", "DE735", "Schwalm-Eder-Kreis"),
    "06635": ("landkreis-06635", "landkreis", "DE736", "Waldeck-Frankenberg"),
    "06636": ("landkreis-06636", "landkreis", "DE737", "Werra-Meißner-Kreis"),
}
#: Hanau, kreisfrei since 1 January 2026; its key is not yet verified (editorial note in data).
HANAU_2026 = ("06415", "stadt-06415")

#: The seven fields of action, verbatim from the Integrationskompass page on the conference.
FIELDS = {
    "1": "Sprache und Bildung",
    "2": "Wirtschaft und Arbeitsmarkt",
    "3": "Gesundheit, Pflege, Familie und Gleichberechtigung",
    "4": "Gesellschaftliche und politische Partizipation, Sport, Wohnen und Freizeit",
    "5": "Religion, Kultur und Medien",
    "6": "Interkulturelle Öffnung, Diversity, Antidiskriminierung",
    "7": "Zuwanderung und Flüchtlinge",
}


def _parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


def _read_dir(folder: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def graphs() -> dict[str, rdflib.Graph]:
    return {path.name: _parse(path) for path in DATA_FILES}


@pytest.fixture(scope="module")
def data(graphs) -> rdflib.Graph:
    merged = rdflib.Graph()
    for graph in graphs.values():
        merged += graph
    return merged


def _resources(graph: rdflib.Graph) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(ID)}


def _texts(graph: rdflib.Graph, node, prop, lang: str) -> set[str]:
    return {
        str(o) for o in graph.objects(node, prop) if isinstance(o, Literal) and o.language == lang
    }


def test_data_folder_has_files():
    assert DATA_FILES, "data/ holds no Turtle files"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_file_parses(path):
    graph = _parse(path)
    assert len(graph) > 0


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_file_has_header_comment(path):
    assert path.read_text(encoding="utf-8").startswith("# "), "no header comment"


def _follows_model(iri: str) -> bool:
    """``id/{kind}/{slug}`` with a known kind; only code lists have a two-part slug."""
    match = RESOURCE_IRI.match(iri)
    if not match or match["kind"] not in KINDS:
        return False
    return match["kind"] == "concept" or "/" not in match["slug"]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_iris_follow_the_model(path, graphs):
    """Every IRI under the base is ``id/{kind}/{slug}`` or an ontology term."""
    bad = {
        str(term)
        for triple in graphs[path.name]
        for term in triple
        if isinstance(term, URIRef)
        and term.startswith(BASE)
        and not term.startswith(BASE + "ontology#")
        and not _follows_model(str(term))
    }
    assert not bad, f"IRIs not of the form {ID}{{kind}}/{{slug}}: {sorted(bad)}"


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_real_world_resources_name_a_public_source(path, graphs):
    graph = graphs[path.name]
    missing = []
    for node in _resources(graph):
        if node.startswith(CONCEPT):
            continue  # code lists: project vocabulary, see the module docstring
        sources = [
            s
            for s in graph.objects(node, DCTERMS.source)
            if isinstance(s, URIRef) and re.match(r"^https?://", s)
        ]
        if not sources:
            missing.append(str(node))
    assert not missing, f"without dcterms:source (http IRI): {sorted(missing)}"


def test_amounts_name_a_public_source(data):
    for amount in data.subjects(RDF.type, SCHEMA.MonetaryAmount):
        sources = [s for s in data.objects(amount, DCTERMS.source) if str(s).startswith("http")]
        owner = next(data.subjects(IKG.budget, amount), amount)
        assert sources, f"a budget of {owner} has no dcterms:source"


def test_resources_have_german_labels(data):
    unlabelled = [
        str(node)
        for node in _resources(data)
        if not _texts(data, node, SKOS.prefLabel, "de") or not _texts(data, node, RDFS.label, "de")
    ]
    assert not unlabelled, f"without skos:prefLabel@de and rdfs:label@de: {sorted(unlabelled)}"


def test_links_do_not_dangle(data):
    described = _resources(data)
    dangling = {
        str(o)
        for _, p, o in data
        if isinstance(o, URIRef) and o.startswith(ID) and o not in described and p != RDF.type
    }
    assert not dangling, f"links to undescribed resources: {sorted(dangling)}"


def test_ikg_terms_are_defined_in_the_ontology(data):
    ontology = _read_dir(ROOT / "ontology")
    used = {
        t for triple in data for t in triple if isinstance(t, URIRef) and t.startswith(str(IKG))
    }
    undefined = sorted(str(t) for t in used if (t, None, None) not in ontology)
    assert not undefined, f"ikg: terms not defined in ontology/: {undefined}"


def test_the_26_districts(data):
    keyed = {str(k): s for s, k in data.subject_objects(IKG.districtKey)}
    assert set(keyed) == set(DISTRICTS) | {HANAU_2026[0]}
    for key, (slug, kind, nuts, name) in DISTRICTS.items():
        node = keyed[key]
        assert node == URIRef(f"{ID}organisation/{slug}")
        assert (node, RDF.type, IKG.District) in data
        assert (
            node,
            URIRef("http://www.w3.org/ns/org#classification"),
            URIRef(f"{CONCEPT}kind/{kind}"),
        ) in data
        assert {str(n) for n in data.objects(node, IKG.nuts)} == {nuts}
        spatial = URIRef(f"http://dcat-ap.de/def/politicalGeocoding/districtKey/{key}")
        assert (node, DCTERMS.spatial, spatial) in data
        labels = _texts(data, node, SKOS.prefLabel, "de") | _texts(data, node, SKOS.altLabel, "de")
        assert name in labels, f"{key}: {name!r} not among {labels}"
    kinds = [d[1] for d in DISTRICTS.values()]
    assert kinds.count("landkreis") == 21
    assert kinds.count("kreisfreie-stadt") == 5


def test_hanau_has_two_time_bounded_identities(data):
    key, slug = HANAU_2026
    city = URIRef(f"{ID}organisation/{slug}")
    town = URIRef(f"{ID}organisation/gemeinde-06435014")
    assert (city, IKG.districtKey, Literal(key)) in data
    assert _texts(data, city, SKOS.editorialNote, "de"), "unverified key without editorial note"
    assert (town, IKG.ags, Literal("06435014")) in data
    assert (town, IKG.inDistrict, URIRef(f"{ID}organisation/landkreis-06435")) in data
    org = Namespace("http://www.w3.org/ns/org#")
    (event,) = set(data.objects(town, org.changedBy))
    assert (event, org.resultingOrganization, city) in data
    assert (event, DCTERMS.date, Literal("2026-01-01", datatype=rdflib.XSD.date)) in data


def test_the_seven_fields_of_action(data):
    scheme = URIRef(f"{ID}field/scheme")
    fields = set(data.subjects(RDF.type, IKG.FieldOfAction))
    assert fields == {URIRef(f"{ID}field/{n}") for n in FIELDS}
    for number, name in FIELDS.items():
        node = URIRef(f"{ID}field/{number}")
        assert _texts(data, node, SKOS.prefLabel, "de") == {name}
        assert _texts(data, node, SKOS.prefLabel, "en"), f"field {number} has no English name"
        assert {str(n) for n in data.objects(node, SKOS.notation)} == {number}
        assert (node, SKOS.inScheme, scheme) in data
        assert (node, SKOS.topConceptOf, scheme) in data


def test_working_groups_serve_the_fields(data):
    org = Namespace("http://www.w3.org/ns/org#")
    conference = URIRef(f"{ID}organisation/integrationskonferenz")
    for number in FIELDS:
        group = URIRef(f"{ID}group/ag-{number}")
        assert (group, org.unitOf, conference) in data
        assert (group, org.purpose, URIRef(f"{ID}field/{number}")) in data


def test_data_conforms_to_the_shapes(data):
    shapes = _read_dir(ROOT / "shapes")
    ontology = _read_dir(ROOT / "ontology")
    assert len(shapes) > 0, "shapes/ holds no shapes"
    conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    violations = list(report.subjects(SH.resultSeverity, SH.Violation))
    assert not violations, text
    assert conforms, text


def test_no_blank_node_is_a_resource(data):
    """Blank nodes are only budgets; everything else has an IRI of its own."""
    for node in {s for s in data.subjects() if isinstance(s, BNode)}:
        assert (node, RDF.type, SCHEMA.MonetaryAmount) in data, f"unexpected blank node {node}"


def test_every_district_links_to_geocoding_and_wikidata_by_its_key(data):
    for district in data.subjects(RDF.type, IKG.District):
        key = str(data.value(district, IKG.districtKey))
        if not key or str(district).endswith("stadt-06415"):
            continue  # Hanau's new key is in no official list yet (see districts.ttl)
        geo = URIRef(f"http://dcat-ap.de/def/politicalGeocoding/districtKey/{key}")
        assert (district, DCTERMS.spatial, geo) in data, district
        wikidata = URIRef(f"https://hub.toolforge.org/P440:{key}?site=wikidata")
        assert (district, RDFS.seeAlso, wikidata) in data, district
