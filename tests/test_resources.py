"""Linked data for people and programs: dereferencing, pages, browsing, search.

Against the published data (``ontology/`` and ``data/``, loaded through the
same ingest path as ``ikgraph build``), served over loopback HTTP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rdflib
import requests
from conftest import BASE, ROOT
from rdflib.namespace import OWL, RDF, SKOS

from ikgraph.app import create_app
from ikgraph.ingest import ingest
from ikgraph.server import create_server, stop
from ikgraph.sources import expand_paths, from_path
from ikgraph.store import OxigraphStore

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: rdflib's own header when it fetches a URL without a format (rdflib/parser.py)
RDFLIB = (
    "application/rdf+xml, text/n3, text/turtle, application/n-triples, application/ld+json, "
    "application/n-quads, application/trix, application/trig"
)
RDF_FORMATS = {  # Accept → (extension, rdflib parser)
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
    "application/n-triples": ("nt", "nt"),
}
WIR = f"{BASE}id/measure/wir"
RESOURCES = {
    "/id/measure/wir": WIR,
    "/id/organisation/land-hessen": f"{BASE}id/organisation/land-hessen",
    "/id/field/6": f"{BASE}id/field/6",
    "/ontology": f"{BASE}ontology",
}


def build_published(store: OxigraphStore) -> OxigraphStore:
    """Load ``ontology/`` and ``data/`` as ``ikgraph build`` does: validated, a graph per file."""
    ontology = [from_path(p) for p in expand_paths([ROOT / "ontology"])]
    for source in ontology:
        source.name = "ontology"
    data = [from_path(p) for p in expand_paths([ROOT / "data"])]
    result = ingest(store, ontology + data, contributor="test-suite")
    assert result.accepted, result.report
    return store


@contextmanager
def serve_published(store: OxigraphStore, dumps: Path) -> Iterator[str]:
    """Serve ``store`` on a free loopback port (dumps under ``dumps``); its base URL."""
    app = create_app({"STORE_OBJECT": store, "TESTING": True, "DUMPS_DIR": str(dumps)})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="published-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop(server)
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The published data, served; its base URL."""
    store = build_published(OxigraphStore(None, base=BASE))
    with serve_published(store, tmp_path_factory.mktemp("dumps")) as url:
        yield url
    store.close()


class Page(HTMLParser):
    """The links, element ids and text of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def get(url: str, accept: str = BROWSER, params=None, **headers: str) -> requests.Response:
    """GET with an ``Accept`` header and others (``If_None_Match=`` → ``If-None-Match``)."""
    more = {name.replace("_", "-"): value for name, value in headers.items()}
    return requests.get(url, params=params, headers={"Accept": accept, **more}, timeout=30)


def parse(response: requests.Response, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=response.content, format=fmt)


# --- dereferencing ------------------------------------------------------------------


@pytest.mark.parametrize("path", RESOURCES)
@pytest.mark.parametrize("accept", RDF_FORMATS)
def test_every_rdf_format_describes_the_resource(site, path, accept):
    response = get(site + path, accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == accept
    assert "Accept" in response.headers["Vary"]
    links = response.headers["Link"]
    for other, (ext, _) in RDF_FORMATS.items():
        if other != accept:
            assert f'<{site}{path}.{ext}>; rel="alternate"; type="{other}"' in links
    assert f'<{site}{path}.html>; rel="alternate"; type="text/html"' in links
    graph = parse(response, RDF_FORMATS[accept][1])
    assert (rdflib.URIRef(RESOURCES[path]), None, None) in graph


@pytest.mark.parametrize("ext", [ext for ext, _ in RDF_FORMATS.values()])
def test_extension_and_format_parameter_choose_the_format(site, ext):
    by_ext = get(f"{site}/id/measure/wir.{ext}")  # a browser's Accept: the URL wins
    by_param = get(f"{site}/id/measure/wir?format={ext}")
    assert by_ext.status_code == by_param.status_code == 200
    assert by_ext.headers["Content-Type"] == by_param.headers["Content-Type"] != "text/html"
    assert by_ext.content == by_param.content


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "text/turtle"),  # curl, requests
        (BROWSER, "text/html"),  # Firefox, Chromium
        (RDFLIB, "text/turtle"),
        ("application/rdf+xml, */*;q=0.1", "application/rdf+xml"),  # rdflib format="xml"
        ("application/ld+json, application/json;q=0.9, */*;q=0.1", "application/ld+json"),
        ("text/turtle;q=0.5, application/n-triples", "application/n-triples"),
    ],
)
def test_literal_accept_headers_of_clients(site, accept, expected):
    response = get(f"{site}/id/measure/wir", accept)
    assert response.headers["Content-Type"].split(";")[0] == expected


def test_rdf_is_the_concise_bounded_description_with_labels_of_what_it_links_to(site):
    graph = parse(get(f"{site}/id/measure/wir", "text/turtle"), "turtle")
    wir = rdflib.URIRef(WIR)
    budgets = list(graph.objects(wir, rdflib.URIRef(f"{BASE}ontology#budget")))
    assert budgets and all(isinstance(b, rdflib.BNode) for b in budgets)
    for budget in budgets:  # the blank nodes are described, not left dangling
        assert (budget, rdflib.URIRef("http://schema.org/value"), None) in graph
    land = rdflib.URIRef(f"{BASE}id/organisation/land-hessen")
    assert (land, SKOS.prefLabel, rdflib.Literal("Land Hessen", lang="de")) in graph
    assert not set(graph.objects(land, RDF.type)), "only labels of linked resources"
    # only the description of wir and labels: no triple about what links to it
    project = rdflib.URIRef(f"{BASE}id/measure/wir-koordination-06435014")
    assert (project, None, wir) not in graph


def test_rdflib_dereferences_a_resource_by_its_own_content_negotiation(site):
    graph = rdflib.Graph().parse(f"{site}/id/organisation/land-hessen")
    assert (rdflib.URIRef(f"{BASE}id/organisation/land-hessen"), SKOS.prefLabel, None) in graph


def test_hash_iri_of_the_ontology_resolves_through_the_ontology_document(site):
    graph = rdflib.Graph().parse(f"{site}/ontology#Measure")
    measure = rdflib.URIRef(f"{BASE}ontology#Measure")
    assert (measure, RDF.type, OWL.Class) in graph
    assert len(set(graph.subjects(RDF.type, OWL.Class))) > 10  # the whole ontology
    page = Page(get(f"{site}/ontology").text)
    assert {"Measure", "Programme", "responsibleOrganisation", "District"} <= page.ids
    assert "Maßnahme" in page.words and "Measure" in page.words  # both languages


def test_shapes_are_served_as_rdf_and_as_a_page(site):
    graph = parse(get(f"{site}/shapes", "text/turtle"), "turtle")
    shape = rdflib.URIRef(f"{BASE}shapes#MeasureShape")
    assert (shape, RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#NodeShape")) in graph
    page = Page(get(f"{site}/shapes").text)
    assert "MeasureShape" in page.ids and "Measure-partner" in page.ids


def test_named_graph_content_and_its_provenance_page(site):
    graph = parse(get(f"{site}/graph/wir.nt"), "nt")
    assert (rdflib.URIRef(WIR), SKOS.prefLabel, None) in graph
    page = get(f"{site}/graph/wir", Accept_Language="en")
    assert page.status_code == 200 and page.headers["Content-Language"] == "en"
    words = Page(page.text).words
    assert "Provenance" in words and "wir.ttl" in words and f"{len(graph):,}" in words
    assert "/id/measure/wir" in Page(page.text).hrefs
    assert get(f"{site}/graph/no-such-graph").status_code == 404


def test_unknown_iri_is_404_in_the_asked_format(site):
    page = get(f"{site}/id/measure/no-such-measure")
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Nicht gefunden" in page.text and f"{BASE}id/measure/no-such-measure" in page.text
    text = get(f"{site}/id/measure/no-such-measure", "text/turtle")
    assert text.status_code == 404
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "Accept" in text.headers["Vary"]
    assert get(f"{site}/id/measure/no-such-measure.ttl").status_code == 404


def test_unchanged_answer_is_304(site):
    first = get(f"{site}/id/measure/wir", "text/turtle")
    again = get(f"{site}/id/measure/wir", "text/turtle", If_None_Match=first.headers["ETag"])
    assert again.status_code == 304
    other_format = get(
        f"{site}/id/measure/wir", "application/ld+json", If_None_Match=first.headers["ETag"]
    )
    assert other_format.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/id/measure/wir",
        "/ontology",
        "/shapes",
        "/graph/wir",
        "/fields",
        "/organisations",
        "/districts",
        "/measures?field=6&level=District",
        "/search?q=wir",
    ],
)
def test_every_page_names_twins_that_answer_in_their_type(site, path):
    response = get(site + path)
    assert response.headers["Content-Type"].startswith("text/html")
    twins = re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', response.headers["Link"])
    assert {media for _, media in twins} == set(RDF_FORMATS)
    for url, media in twins:
        twin = get(url)  # a browser's Accept: the URL decides
        assert twin.status_code == 200, url
        assert twin.headers["Content-Type"].split(";")[0] == media, url
        if path.startswith("/measures"):
            assert "field=6" in url and "level=District" in url
    for url, _media in twins:  # the page links the same twins
        assert url.removeprefix(site) in Page(response.text).hrefs


# --- pages --------------------------------------------------------------------------


def test_page_speaks_german_by_default_and_english_when_asked(site):
    de = get(f"{site}/id/measure/wir")
    assert de.headers["Content-Language"] == "de"
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in de.headers["Vary"].split(",")}
    assert '<html lang="de">' in de.text and "<h1>Landesprogramm WIR</h1>" in de.text
    en = get(f"{site}/id/measure/wir", Accept_Language="en-US,en;q=0.9")
    assert '<html lang="en">' in en.text and "<h1>WIR state programme</h1>" in en.text
    switched = get(f"{site}/id/measure/wir?lang=en", Accept_Language="de")
    assert "<h1>WIR state programme</h1>" in switched.text
    assert "?lang=en" in "".join(Page(de.text).hrefs)


def test_resource_page_links_locally_with_labels_and_to_its_twins(site):
    response = get(f"{site}/id/measure/wir")
    page = Page(response.text)
    assert "/id/organisation/land-hessen" in page.hrefs  # IRIs under the base → local pages
    assert "Land Hessen" in page.words and f"{BASE}id/organisation/land-hessen" not in page.words
    assert "/ontology#responsibleOrganisation" in page.hrefs
    assert "verantwortliche Organisation" in page.words
    for ext in ("ttl", "jsonld", "rdf", "nt"):
        assert f"/id/measure/wir.{ext}" in page.hrefs
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


def test_measure_page_shows_its_projects_and_its_partner(site):
    page = Page(get(f"{site}/id/measure/wir").text)
    assert "/id/measure/wir-vielfaltszentrum-06434" in page.hrefs  # fundedBy → wir
    assert "/id/measure/wir-koordination-06435014" in page.hrefs  # isPartOf → wir
    assert "/id/organisation/regierungspraesidium-darmstadt" in page.hrefs  # partner
    project = Page(get(f"{site}/id/measure/wir-vielfaltszentrum-06434").text)
    assert "/id/measure/wir" in project.hrefs  # its programme
    assert "/id/target/wir-vielfaltszentren-2025" in project.hrefs  # its target


def test_organisation_page_shows_measures_memberships_and_partnerships(site):
    land = Page(get(f"{site}/id/organisation/land-hessen").text)
    assert "/id/measure/wir" in land.hrefs and "/id/measure/mitsprache-deutsch4u" in land.hrefs
    assert "verantwortliche Organisation" in land.words
    district = Page(get(f"{site}/id/organisation/landkreis-06635").text)
    assert "Mitgliedschaften" in district.words
    assert "/id/membership/landkreis-06635-integrationskonferenz-2024" in district.hrefs
    partner = Page(get(f"{site}/id/organisation/regierungspraesidium-darmstadt").text)
    assert "/id/measure/wir" in partner.hrefs and "Partner" in partner.words


def test_field_page_shows_working_group_measures_and_targets(site):
    page = Page(get(f"{site}/id/field/6").text)
    assert "/id/group/ag-6" in page.hrefs
    assert "/id/measure/wir" in page.hrefs
    assert "/id/target/wir-vielfaltszentren-2025" in page.hrefs
    assert {"Arbeitsgruppen", "Maßnahmen", "Ziele"} <= set(page.words.split())


# --- browsing and search ---------------------------------------------------------------


def test_fields_page_lists_the_seven_fields_with_their_groups(site):
    response = get(f"{site}/fields")
    page = Page(response.text)
    assert [f"/id/field/{n}" for n in range(1, 8)] == [
        h for h in dict.fromkeys(page.hrefs) if re.fullmatch(r"/id/field/\d", h)
    ]
    assert "/id/group/ag-1" in page.hrefs and "/measures?field=6&lang=de" in page.hrefs
    twin = parse(get(f"{site}/fields", "text/turtle"), "turtle")
    hydra = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
    assert len(set(twin.objects(None, hydra.member))) == 7


def test_organisations_by_sector_and_districts(site):
    page = Page(get(f"{site}/organisations").text)
    assert {"StateBody", "District", "Municipality", "CivilSocietyOrganisation"} <= page.ids
    assert "/id/organisation/agah" in page.hrefs
    districts = Page(get(f"{site}/districts").text)
    assert "Landkreis Groß-Gerau" in districts.words and "06433" in districts.words
    assert "/id/organisation/stadt-06411" in districts.hrefs


def test_measures_are_paged_and_filtered_by_field_and_level(site):
    everything = Page(get(f"{site}/measures").text)
    assert "/id/measure/wir" in everything.hrefs
    district_projects = Page(get(f"{site}/measures?field=6&level=District").text)
    assert "/id/measure/wir-vielfaltszentrum-06434" in district_projects.hrefs
    assert "/id/measure/wir-vielfaltszentrum-06532" in district_projects.hrefs
    assert "/id/measure/wir" not in district_projects.hrefs  # the state's programme
    assert "/id/measure/wir-vielfaltszentrum-06434001" not in district_projects.hrefs  # a town's
    twin = parse(get(f"{site}/measures?field=6&level=District", "text/turtle"), "turtle")
    hydra = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
    assert int(next(twin.objects(None, hydra.totalItems))) == 2
    assert "Seite 1 von 1" in district_projects.words


@pytest.mark.parametrize("query", ["groß-gerau", "Gross-Gerau", "GROSS GERAU", "Groß Gerau"])
def test_search_folds_case_and_umlauts(site, query):
    page = Page(get(f"{site}/search", params={"q": query}).text)
    assert "/id/organisation/landkreis-06433" in page.hrefs


def test_search_finds_projects_by_a_word_of_their_name(site):
    page = Page(get(f"{site}/search", params={"q": "vielfaltszentrum"}).text)
    for project in ("06434", "06434001", "06532"):
        assert f"/id/measure/wir-vielfaltszentrum-{project}" in page.hrefs
    assert "/id/organisation/land-hessen" not in page.hrefs
    twin = parse(get(f"{site}/search", "text/turtle", params={"q": "vielfaltszentrum"}), "turtle")
    assert (None, None, rdflib.URIRef(f"{BASE}id/measure/wir-vielfaltszentrum-06532")) in twin
