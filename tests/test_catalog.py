"""For portals: VoID, the DCAT-AP.de 3.0 catalog, the dumps, sitemap and robots.txt.

The catalog is validated with the official DCAT-AP.de 3.0 shapes as the
official validator assembles them (``../shared/reference/dcat-ap-de/README.md``):
SEMIC DCAT-AP 3.0.0, the German overlay, deprecations, German additions and the
controlled-vocabulary checks, with the vocabulary statements given offline.
"""

from __future__ import annotations

import gzip
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
import requests
from conftest import BASE, FIXTURES, ROOT
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD
from test_resources import build_published, serve_published

from ikgraph.ingest import ingest
from ikgraph.sources import from_path
from ikgraph.store import OxigraphStore

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCATDE = rdflib.Namespace("http://dcat-ap.de/def/dcatde/")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
EU = "http://publications.europa.eu/resource/authority/"
REFERENCE = ROOT.parent / "shared" / "reference"
DCAT_AP_DE_SHAPES = [
    "dcat-ap/shacl/dcat-ap-3.0.0-SHACL.ttl",
    "dcat-ap-de/shacl/dcat-ap-SHACL-DE.ttl",
    "dcat-ap-de/shacl/dcat-ap-de-deprecated.ttl",
    "dcat-ap-de/shacl/dcat-ap-spec-german-additions.ttl",
    "dcat-ap-de/shacl/dcat-ap-de-controlledvocabularies.ttl",
]
#: skos:inScheme of the coded values the catalog uses beyond the reference stubs (the
#: official validator fetches them from the EU authority tables)
MORE_STUBS = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{EU}language/ENG> skos:inScheme <{EU}language> .
<{EU}file-type/RDF_N_QUADS> skos:inScheme <{EU}file-type> .
<{EU}file-type/RDF_TRIG> skos:inScheme <{EU}file-type> .
<{EU}file-type/JSON_LD> skos:inScheme <{EU}file-type> .
"""
PARSERS = {
    "application/gzip": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}


@pytest.fixture(scope="module")
def published() -> Iterator[OxigraphStore]:
    store = build_published(OxigraphStore(None, base=BASE))
    yield store
    store.close()


@pytest.fixture(scope="module")
def site(published: OxigraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_published(published, tmp_path_factory.mktemp("dumps")) as url:
        yield url


def rdf(url: str, accept: str = "text/turtle") -> rdflib.Graph:
    response = requests.get(url, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    fmt = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
    return rdflib.Graph().parse(data=response.content, format=fmt[accept])


def statements(response: requests.Response) -> list[ox.Triple | ox.Quad]:
    """The parsed statements of a dump or graph answer (gzip unpacked)."""
    kind = response.headers["Content-Type"].split(";")[0]
    body = gzip.decompress(response.content) if kind == "application/gzip" else response.content
    return list(ox.parse(body, format=PARSERS[kind]))


def distinct_triples(parsed: list) -> int:
    return len({(q.subject, q.predicate, q.object) for q in parsed})


def value(graph: rdflib.Graph, subject, prop) -> rdflib.term.Node:
    found = list(graph.objects(subject, prop))
    assert len(found) == 1, (subject, prop, found)
    return found[0]


# --- VoID ---------------------------------------------------------------------------


def test_void_is_computed_from_the_store(site, published):
    void = rdf(f"{site}/.well-known/void")
    root = next(void.subjects(VOID.sparqlEndpoint, rdflib.URIRef(f"{site}/sparql")))
    assert root == rdflib.URIRef(f"{BASE}catalog#dataset")  # the catalog's dataset
    union = published.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert int(value(void, root, VOID.triples)) == len(list(union))
    assert int(value(void, root, VOID.classes)) > 20
    assert int(value(void, root, VOID.properties)) > 50
    assert int(value(void, root, VOID.entities)) > 100
    subsets = set(void.objects(root, VOID.subset))
    assert {str(s) for s in subsets} == set(published.graphs())
    wir = rdflib.URIRef(f"{BASE}graph/wir")
    recorded = published.query(
        f"SELECT ?n WHERE {{ GRAPH <{BASE}graph/meta> "
        f"{{ <{wir}> <{BASE}ontology#tripleCount> ?n }} }}"
    )
    assert int(value(void, wir, VOID.triples)) == int(next(iter(recorded))["n"].value)
    classes = {value(void, p, VOID["class"]): p for p in void.objects(root, VOID.classPartition)}
    programme = classes[rdflib.URIRef(f"{BASE}ontology#Programme")]
    assert int(value(void, programme, VOID.entities)) == 10
    props = {value(void, p, VOID.property) for p in void.objects(root, VOID.propertyPartition)}
    assert rdflib.URIRef(f"{BASE}ontology#responsibleOrganisation") in props


def test_void_negotiates_and_names_its_alternates(site):
    response = requests.get(f"{site}/.well-known/void", headers={"Accept": "*/*"}, timeout=30)
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in response.headers["Vary"]
    assert f"<{site}/.well-known/void?format=jsonld>" in response.headers["Link"]
    for url in (f"{site}/.well-known/void", f"{site}/catalog"):
        tag = requests.get(url, timeout=30).headers["ETag"]
        assert requests.get(url, headers={"If-None-Match": tag}, timeout=30).status_code == 304
    assert len(rdf(f"{site}/.well-known/void", "application/ld+json")) == len(
        rdf(f"{site}/.well-known/void")
    )


def test_every_data_dump_answers_with_as_many_triples_as_void_says(site):
    void = rdf(f"{site}/.well-known/void")
    root = rdflib.URIRef(f"{BASE}catalog#dataset")
    subsets = list(void.objects(root, VOID.subset))
    in_subsets = sum(int(value(void, s, VOID.triples)) for s in subsets)
    dumps = list(void.subject_objects(VOID.dataDump))
    assert len(dumps) == 4 + len(subsets)
    for dataset, url in dumps:
        response = requests.get(str(url), timeout=30)
        assert response.status_code == 200, url
        parsed = statements(response)
        assert distinct_triples(parsed) == int(value(void, dataset, VOID.triples)), url
        if response.headers["Content-Type"] in ("application/gzip", "application/trig"):
            # with the named graphs: a quad per triple of each graph
            assert len(parsed) == in_subsets, url
            assert {str(q.graph_name.value) for q in parsed} == {str(s) for s in subsets}


# --- catalog --------------------------------------------------------------------------


def dcat_ap_de_shapes() -> rdflib.Graph:
    if not REFERENCE.is_dir():
        pytest.skip(f"the DCAT-AP.de reference shapes are not at {REFERENCE} (../shared)")
    shapes = rdflib.Graph()
    for name in DCAT_AP_DE_SHAPES:
        shapes.parse(REFERENCE / name)
    return shapes


def validate(catalog: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
    import pyshacl

    data = rdflib.Graph()
    data += catalog
    data.parse(REFERENCE / "dcat-ap-de/offline-vocab-stubs.ttl")
    data.parse(REFERENCE / "dcat-ap-de/vocabularies/dcat-ap-de-licenses.rdf", format="xml")
    data.parse(data=MORE_STUBS, format="turtle")
    conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    return conforms, report


def test_catalog_conforms_to_the_dcat_ap_de_3_shapes(site):
    shapes = dcat_ap_de_shapes()
    catalog = rdf(f"{site}/catalog")
    conforms, report = validate(catalog, shapes)
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    messages = [str(m) for r in results for m in report.objects(r, SH.resultMessage)]
    assert conforms and not results, messages  # no violations and no warnings either
    # the shapes do bite: a distribution without a licence is a violation
    dist = rdflib.URIRef(f"{BASE}catalog#distribution-ttl")
    catalog.remove((dist, DCTERMS.license, None))
    conforms, report = validate(catalog, shapes)
    assert not conforms
    assert (None, SH.focusNode, dist) in report


@pytest.mark.parametrize("accept", ["application/rdf+xml", "application/ld+json"])
def test_catalog_formats_hold_the_same_graph(site, accept):
    turtle, other = rdf(f"{site}/catalog"), rdf(f"{site}/catalog", accept)
    assert rdflib.compare.isomorphic(turtle, other)


def test_catalog_says_what_portals_need(site, published):
    catalog = rdf(f"{site}/catalog")
    ds = rdflib.URIRef(f"{BASE}catalog#dataset")
    assert (None, DCAT.dataset, ds) in catalog
    assert {str(t.language) for t in catalog.objects(ds, DCTERMS.title)} == {"de", "en"}
    assert set(catalog.objects(ds, DCAT.theme)) == {
        rdflib.URIRef(f"{EU}data-theme/SOCI"),
        rdflib.URIRef(f"{EU}data-theme/GOVE"),
    }
    keywords = {str(k) for k in catalog.objects(ds, DCAT.keyword) if k.language == "de"}
    assert "Interkulturelle Öffnung, Diversity, Antidiskriminierung" in keywords
    assert len(keywords) == 7
    assert value(catalog, ds, DCTERMS.spatial) == rdflib.URIRef(
        "http://dcat-ap.de/def/politicalGeocoding/stateKey/06"
    )
    assert value(catalog, ds, DCATDE.politicalGeocodingLevelURI) == rdflib.URIRef(
        "http://dcat-ap.de/def/politicalGeocoding/Level/state"
    )
    period = value(catalog, ds, DCTERMS.temporal)
    start, end = value(catalog, period, DCAT.startDate), value(catalog, period, DCAT.endDate)
    assert start.datatype == XSD.date and str(start) < str(end)
    latest = published.query(
        f"SELECT (MAX(?t) AS ?m) WHERE {{ GRAPH <{BASE}graph/meta> "
        f"{{ ?g <{PROV}generatedAtTime> ?t }} }}"
    )
    assert (
        value(catalog, ds, DCTERMS.modified).toPython()
        == rdflib.Literal(next(iter(latest))["m"].value, datatype=XSD.dateTime).toPython()
    )
    contact = value(catalog, ds, DCAT.contactPoint)
    assert list(catalog.objects(contact, rdflib.URIRef("http://www.w3.org/2006/vcard/ns#hasURL")))
    licences = set(catalog.objects(None, DCTERMS.license))
    assert licences == {rdflib.URIRef("http://dcat-ap.de/def/licenses/cc-by/4.0")}
    services = list(catalog.subjects(DCAT.servesDataset, ds))
    assert [value(catalog, s, DCAT.endpointURL) for s in services] == [
        rdflib.URIRef(f"{site}/sparql")
    ]


def test_every_download_url_matches_its_size_checksum_and_void(site):
    catalog = rdf(f"{site}/catalog")
    void = rdf(f"{site}/.well-known/void")
    triples = int(value(void, rdflib.URIRef(f"{BASE}catalog#dataset"), VOID.triples))
    downloads = list(catalog.subject_objects(DCAT.downloadURL))
    assert len(downloads) == 4
    for dist, url in downloads:
        response = requests.get(str(url), timeout=30)
        assert response.status_code == 200, url
        assert int(value(catalog, dist, DCAT.byteSize)) == len(response.content)
        checksum = value(catalog, dist, SPDX.checksum)
        digest = str(value(catalog, checksum, SPDX.checksumValue))
        assert digest == hashlib.sha256(response.content).hexdigest()
        assert distinct_triples(statements(response)) == triples
        media = str(value(catalog, dist, DCAT.mediaType))
        assert media.startswith("https://www.iana.org/assignments/media-types/")


def test_dumps_answer_conditional_requests(site):
    url = f"{site}/dumps/ikgraph.nq.gz"
    first = requests.get(url, timeout=30)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    by_tag = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert by_tag.status_code == 304 and not by_tag.content
    by_date = requests.get(
        url, headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=30
    )
    assert by_date.status_code == 304
    assert requests.get(f"{site}/dumps/other.nq.gz", timeout=30).status_code == 404
    index = requests.get(f"{site}/dumps/", headers={"Accept": "text/html"}, timeout=30)
    assert "ikgraph.trig" in index.text and 'type="text/turtle"' in index.headers["Link"]


def test_dumps_and_void_follow_a_write(tmp_path):
    store = build_published(OxigraphStore(None, base=BASE))
    with serve_published(store, tmp_path / "dumps") as site:
        url, root = f"{site}/dumps/ikgraph.ttl", rdflib.URIRef(f"{BASE}catalog#dataset")
        before = requests.get(url, timeout=30)
        triples_before = int(value(rdf(f"{site}/.well-known/void"), root, VOID.triples))
        contribution = from_path(FIXTURES / "contribution-valid.ttl")
        assert ingest(store, [contribution], contributor="test-suite").accepted
        after = requests.get(url, headers={"If-None-Match": before.headers["ETag"]}, timeout=30)
        assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
        assert b"beispiel-sprachcafe" in after.content
        assert b"beispiel-sprachcafe" not in before.content
        triples_after = int(value(rdf(f"{site}/.well-known/void"), root, VOID.triples))
        assert triples_after > triples_before
        assert distinct_triples(statements(after)) == triples_after
        folders = [p for p in (tmp_path / "dumps").iterdir() if p.is_dir()]
        assert len(folders) == 1, "the dumps of the old version are removed"
    store.close()


# --- sitemap and robots.txt --------------------------------------------------------------


def test_sitemap_lists_resource_pages_and_robots_points_to_it(site):
    response = requests.get(f"{site}/sitemap.xml", timeout=30)
    assert response.headers["Content-Type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in ET.fromstring(response.content).findall("s:url/s:loc", ns)]
    assert f"{site}/id/measure/wir" in urls and f"{site}/fields" in urls
    assert not [u for u in urls if "/id/ingest/" in u], "provenance records are not pages"
    robots = requests.get(f"{site}/robots.txt", timeout=30).text
    assert f"Sitemap: {site}/sitemap.xml" in robots and "Disallow: /sparql" in robots
