"""Measurable targets: progress in SPARQL, the shipped numbers, pages and charts.

* The progress query ``queries/zielfortschritt.rq`` on small made-up targets
  (inline Turtle, one indicator each): share of the way, share of time and
  status for every rule of docs/targets.md, to three decimals.
* The shipped data (``ontology/`` + ``data/``, loaded through the ingest): the
  numbers the query gives, against the values in their sources.
* The pages through HTTP: ``/targets``, ``/indicators/<slug>`` and the chart,
  CSV and Turtle twins; every number next to a link to its source.
* A contributor adds an observation with a spreadsheet (``ikgraph load``) and
  the progress changes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from backends import clear
from cli_helpers import FIXTURES, ROOT, run
from flask import Flask
from rdflib.namespace import DCTERMS

from ikgraph import progress
from ikgraph.app import create_app
from ikgraph.ingest import ingest
from ikgraph.settings import DEFAULT_BASE_IRI as BASE
from ikgraph.sources import from_path
from ikgraph.store import OxigraphStore

IKG = rdflib.Namespace(BASE + "ontology#")
QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
SDMX_MEASURE = rdflib.Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
HESSEN = "http://dcat-ap.de/def/politicalGeocoding/stateKey/06"
GEO = "http://dcat-ap.de/def/politicalGeocoding/"
OBSERVATIONS_CSV = FIXTURES / "targets" / "beobachtungen-deutsch4u-2024.csv"

# --- made-up targets --------------------------------------------------------------

HEADER = f"""
@prefix ikg: <{BASE}ontology#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix group: <{BASE}id/concept/group/> .
@prefix ex: <https://example.org/test/> .
"""

# name: baseline, baseline year, target value, deadline, observations (year, value),
#       expected (share, time share, status, latest, latest year)
# A baseline of None is "ikg:baselineStated false"; a target value of None is
# "ikg:numericTargetStated false".
CASES = {
    "achieved": (10, 2015, 20, "2025-12-31", [(2018, 14), (2020, 22)],
                 ("1.200", "0.500", "achieved", 22, 2020)),
    "on-track": (10, 2015, 20, "2025", [(2018, 12), (2020, 16)],
                 ("0.600", "0.500", "on track", 16, 2020)),
    "behind": (10, 2015, 20, "2025", [(2020, 12)],
               ("0.200", "0.500", "behind", 12, 2020)),
    "thirds": (10, 2020, 13, "2026", [(2021, 11)],
               ("0.333", "0.167", "on track", 11, 2021)),
    "no-data-baseline-year": (10, 2020, 20, "2025", [(2019, 9), (2020, 10)],
                              (None, None, "no data", 10, 2020)),
    "no-observation": (10, 2020, 20, "2025", [], (None, None, "no data", None, None)),
    "deadline-passed": (10, 2015, 20, "2020", [(2022, 18)],
                        ("0.800", "1.000", "behind", 18, 2022)),
    "hold-achieved": (500, 2023, 500, "2024", [(2023, 500), (2024, 510)],
                      ("1.000", "1.000", "achieved", 510, 2024)),
    "hold-behind": (500, 2023, 500, "2024", [(2023, 500), (2024, 480)],
                    ("0.000", "1.000", "behind", 480, 2024)),
    "down-achieved": (30, 2015, 20, "2025", [(2022, 19)],
                      ("1.100", "0.700", "achieved", 19, 2022)),
    "down-on-track": (30, 2015, 20, "2025", [(2020, 24)],
                      ("0.600", "0.500", "on track", 24, 2020)),
    "down-behind": (30, 2015, 20, "2025", [(2020, 27)],
                    ("0.300", "0.500", "behind", 27, 2020)),
    "down-wrong-way": (30, 2015, 20, "2025", [(2020, 33)],
                       ("-0.300", "0.500", "behind", 33, 2020)),
    "no-baseline-achieved": (None, None, 33, "2025", [(2024, 33)],
                             (None, None, "achieved", 33, 2024)),
    "no-baseline-open": (None, None, 33, "2025", [(2024, 30)],
                         (None, None, "no data", 30, 2024)),
    "no-baseline-late": (None, None, 33, "2025", [(2025, 30)],
                         (None, None, "behind", 30, 2025)),
    "no-number": (23, None, None, None, [(2020, 25)],
                  (None, None, "no target value", 25, 2020)),
}  # fmt: skip


def _case_turtle(name: str, spec: tuple) -> str:
    baseline, baseline_year, target_value, deadline, observations, _ = spec
    lines = [
        f'ex:ind-{name} a ikg:Indicator ; skos:prefLabel "Indikator {name}"@de ; ikg:unit "%" .',
        f'ex:target-{name} a ikg:Target ; ikg:indicator ex:ind-{name} ; ikg:unit "%" ;',
        f'  skos:prefLabel "Ziel {name}"@de ; dcterms:source <https://example.org/q/{name}> ;',
    ]
    if baseline is None:
        lines.append("  ikg:baselineStated false ;")
    else:
        lines.append(f"  ikg:baselineValue {baseline}.0 ;")
    if baseline_year is not None:
        lines.append(f'  ikg:baselineYear "{baseline_year}"^^xsd:gYear ;')
    if target_value is None:
        lines.append('  ikg:numericTargetStated false ; skos:scopeNote "Mehr."@de ;')
    else:
        lines.append(f"  ikg:targetValue {target_value}.0 ;")
    if deadline is not None:
        kind = "gYear" if len(deadline) == 4 else "date"
        lines.append(f'  ikg:deadline "{deadline}"^^xsd:{kind} ;')
    lines.append("  dcterms:subject ex:field-1 .")
    for year, value in observations:
        lines.append(_observation(f"{name}-{year}", f"ex:ind-{name}", year, value))
    return "\n".join(lines)


def _observation(slug, indicator, year, value, *, area=HESSEN, group="gesamt") -> str:
    return (
        f"ex:obs-{slug} a qb:Observation ; ikg:indicator {indicator} ;"
        f' ikg:refYear "{year}"^^xsd:gYear ; sdmx-measure:obsValue {value}.0 ;'
        f" sdmx-dimension:refArea <{area}> ; ikg:populationGroup group:{group} ;"
        f" dcterms:source <https://example.org/q/obs-{slug}> ."
    )


SPECIAL = "\n".join(
    [
        # values of other areas and population groups do not count
        _observation("behind-area", "ex:ind-behind", 2021, 99, area=GEO + "districtKey/06411"),
        _observation("behind-group", "ex:ind-behind", 2021, 99, group="mit-migrationshintergrund"),
        # a target for one district counts that district's values
        """ex:ind-area a ikg:Indicator ; ikg:unit "%" .
        ex:target-area a ikg:Target ; ikg:indicator ex:ind-area ; ikg:unit "%" ;
          ikg:baselineValue 1.0 ; ikg:baselineYear "2020"^^xsd:gYear ; ikg:targetValue 3.0 ;
          ikg:deadline "2024"^^xsd:gYear ;
          dcterms:spatial <http://dcat-ap.de/def/politicalGeocoding/districtKey/06411> .""",
        _observation("area-hessen", "ex:ind-area", 2022, 100),
        _observation("area-06411", "ex:ind-area", 2022, 2, area=GEO + "districtKey/06411"),
        # two values in the latest year: the one with the smaller IRI
        """ex:ind-twice a ikg:Indicator ; ikg:unit "%" .
        ex:target-twice a ikg:Target ; ikg:indicator ex:ind-twice ; ikg:unit "%" ;
          ikg:baselineValue 10.0 ; ikg:baselineYear "2020"^^xsd:gYear ; ikg:targetValue 20.0 ;
          ikg:deadline "2030"^^xsd:gYear ; dcterms:subject ex:field-1 , ex:field-2 .""",
        _observation("twice-b", "ex:ind-twice", 2022, 17),
        _observation("twice-a", "ex:ind-twice", 2022, 15),
    ]
)


def _made_up_quads() -> list[ox.Quad]:
    text = HEADER + "\n".join(_case_turtle(n, s) for n, s in CASES.items()) + SPECIAL
    graph = ox.NamedNode(BASE + "graph/made-up")
    return [
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)
    ]


@pytest.fixture(scope="module")
def made_up() -> list[progress.TargetProgress]:
    """The progress rows of the made-up targets, from a fresh in-memory store."""
    store = OxigraphStore(None, base=BASE)
    store.raw.extend(_made_up_quads())
    rows = progress.progress(store, base=BASE)
    store.close()
    return rows


def _row(rows: list[progress.TargetProgress], name: str) -> progress.TargetProgress:
    (row,) = {r.target: r for r in rows if r.target.endswith(f"/target-{name}")}.values()
    return row


def _three(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.3f}"


@pytest.mark.parametrize("name", CASES)
def test_progress_of_a_made_up_target(made_up, name):
    share, time_share, status, latest, latest_year = CASES[name][-1]
    row = _row(made_up, name)
    assert (_three(row.share), _three(row.time_share), row.status) == (share, time_share, status)
    assert (row.latest, row.latest_year) == (
        None if latest is None else Decimal(latest),
        latest_year,
    )
    if latest is not None:
        assert row.latest_sources == (f"https://example.org/q/obs-{name}-{latest_year}",)
    assert row.target_sources == (f"https://example.org/q/{name}",)


def test_direction_follows_baseline_and_target(made_up):
    assert _row(made_up, "on-track").direction == "increase"
    assert _row(made_up, "down-behind").direction == "decrease"
    assert _row(made_up, "hold-behind").direction == "hold"
    assert _row(made_up, "no-baseline-open").direction is None


def test_other_areas_and_groups_do_not_count(made_up):
    row = _row(made_up, "behind")
    assert (row.latest, row.latest_year, row.status) == (Decimal(12), 2020, "behind")


def test_a_target_for_a_district_counts_its_values(made_up):
    row = _row(made_up, "area")
    assert row.area == GEO + "districtKey/06411"
    assert (row.latest, _three(row.share), _three(row.time_share), row.status) == (
        Decimal(2),
        "0.500",
        "0.500",
        "on track",
    )
    assert row.field is None


def test_of_two_values_in_the_latest_year_the_smaller_iri_counts(made_up):
    rows = [r for r in made_up if r.target.endswith("/target-twice")]
    assert sorted(r.field for r in rows) == [
        "https://example.org/test/field-1",
        "https://example.org/test/field-2",
    ]
    assert {(r.observation, r.latest) for r in rows} == {
        ("https://example.org/test/obs-twice-a", Decimal(15))
    }


def test_the_same_numbers_on_a_remote_store(made_up, virtuoso):
    """The query is plain SPARQL 1.1: Virtuoso computes the same progress."""
    remote = virtuoso.open(base=BASE)
    try:
        clear(remote)
        quads = _made_up_quads()
        remote.replace_graphs({quads[0].graph_name.value: quads})
        rows = progress.progress(remote, base=BASE)
    finally:
        clear(remote)
        remote.close()

    def key(row: progress.TargetProgress) -> tuple:
        return (
            row.target, row.field, _three(row.share), _three(row.time_share), row.status,
            row.latest, row.latest_year, row.observation, row.latest_sources, row.direction,
        )  # fmt: skip

    assert sorted(map(key, rows)) == sorted(map(key, made_up))


def test_the_query_uses_the_configured_base():
    other = "https://data.example.org/ikg/"
    text = progress.query_text(base=other)
    assert f"<{other}ontology#>" in text and BASE not in text


# --- the shipped data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> OxigraphStore:
    """A store built like ``ikgraph build``: ontology and data/, validated by the ingest."""
    store = OxigraphStore(None, base=BASE)
    sources = [from_path(ROOT / "ontology" / "ikg.ttl")]
    sources[0].name = "ontology"
    sources += [from_path(p) for p in sorted((ROOT / "data").glob("*.ttl"))]
    result = ingest(store, sources, contributor="test-suite")
    assert result.accepted, result.report
    yield store
    store.close()


@pytest.fixture(scope="module")
def shipped_rows(shipped) -> dict[str, progress.TargetProgress]:
    return {r.target.rsplit("/", 1)[-1]: r for r in progress.progress(shipped, base=BASE)}


@pytest.fixture(scope="module")
def data() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def test_every_shipped_target_is_in_the_progress_query(shipped_rows, data):
    targets = {str(t).rsplit("/", 1)[-1] for t in data.subjects(rdflib.RDF.type, IKG.Target)}
    assert targets == set(shipped_rows)
    assert len(targets) >= 4


def test_deutsch4u_courses_2023_against_the_2024_target(shipped_rows):
    """2023: more than 500 courses; 2024: at least the previous year's level (D5, T3)."""
    source = "https://soziales.hessen.de/presse/landesregierung-erhoeht-mittel-fuer-deutsch4u-kurse"
    row = shipped_rows["deutsch4u-kurse-2024"]
    assert (row.baseline, row.baseline_year, row.target_value, row.deadline) == (
        Decimal(500),
        2023,
        Decimal(500),
        "2024",
    )
    assert (row.latest, row.latest_year) == (Decimal(500), 2023)
    assert source in row.target_sources and source in row.latest_sources
    # the only value is of the baseline year itself: nothing to judge yet
    assert (row.share, row.status, row.direction) == (None, "no data", "hold")


def test_wir_target_states_no_inferred_baseline(shipped_rows, data):
    """33 centres "bis 2025": a year, and no baseline, since the sources give none."""
    row = shipped_rows["wir-vielfaltszentren-2025"]
    assert (row.baseline, row.target_value, row.deadline) == (None, Decimal(33), "2025")
    assert row.status == "no data"
    target = rdflib.URIRef(BASE + "id/target/wir-vielfaltszentren-2025")
    assert (target, IKG.baselineStated, rdflib.Literal(False)) in data
    assert "land-hat-zukunft.de" in " ".join(row.target_sources)


def test_targets_without_a_number_quote_their_aim(shipped_rows):
    plan = shipped_rows["integrationsplan-2017-oeffentlicher-dienst"]
    assert (plan.baseline, plan.target_value, plan.status) == (Decimal(23), None, "no target value")
    assert "Bei Neueinstellungen liege die Quote derzeit bei 23 Prozent" in plan.aim
    law = shipped_rows["inttg-beschaeftigtenanteil-verwaltung"]
    assert (law.baseline, law.target_value, law.status) == (None, None, "no target value")
    assert "konkrete Zielvorgaben" in law.aim


def test_migration_background_series_against_its_sources(shipped):
    """24 % (2005), 36 % (2022): I5, I10; 38 % in 2023 (dpa via laks.de)."""
    iri = progress.indicator_iri("anteil-migrationshintergrund")
    series = {o.year: o for o in progress.observations(shipped, iri)}
    assert {y: o.value for y, o in series.items()} == {
        2005: Decimal(24),
        2022: Decimal(36),
        2023: Decimal(38),
    }
    assert all(o.area == HESSEN and o.group.endswith("/gesamt") for o in series.values())
    assert any("rettungsgasse.hessen.de" in s for s in series[2005].sources)
    assert any("welt.de" in s for s in series[2022].sources)
    assert any("laks.de" in s for s in series[2023].sources)


def test_every_shipped_observation_names_a_source(shipped):
    for indicator in progress.indicators(shipped):
        for obs in progress.observations(shipped, indicator.iri):
            assert obs.sources, obs.iri
            assert all(s.startswith(("http://", "https://")) for s in obs.sources)


# --- pages through HTTP --------------------------------------------------------------


@pytest.fixture
def site(shipped, serve: Callable[[Flask], str]) -> str:
    app = create_app(
        {"STORE_OBJECT": shipped, "QUERIES_DIR": str(ROOT / "queries"), "TESTING": True}
    )
    return serve(app)


def _table_row(html: str, row_id: str) -> str:
    start = html.index(f'<tr id="{row_id}">')
    return html[start : html.index("</tr>", start)]


def test_targets_page_shows_every_target_with_sources_next_to_numbers(site, shipped_rows):
    response = requests.get(f"{site}/targets", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    for slug, row in shipped_rows.items():
        cells = _table_row(html, slug)
        assert re.sub(r"<[^>]+>", "", row.label) in cells.replace("&#34;", '"')
        for url in row.target_sources + row.latest_sources:
            assert f'href="{url}"' in cells.replace("&amp;", "&"), (slug, url)
        numbers = [
            cell
            for cell in re.findall(r'<td class="num">(.*?)</td>', cells, re.S)
            if re.search(r"\d", re.sub(r"<[^>]+>", "", cell))
        ]
        assert numbers, slug
        for cell in numbers:  # baseline, target value, deadline, latest value
            assert '<sup class="src">' in cell, (slug, cell)
    assert 'href="/targets"' in html  # the navigation


def test_targets_twins_are_the_query_answer(site, shipped_rows):
    response = requests.get(f"{site}/targets", timeout=10)
    assert "format=csv" in response.headers["Link"]
    answer = requests.get(f"{site}/targets?format=json", timeout=10)
    assert answer.headers["Content-Type"].startswith("application/sparql-results+json")
    bindings = json.loads(answer.text)["results"]["bindings"]
    assert {b["target"]["value"].rsplit("/", 1)[-1]: b["status"]["value"] for b in bindings} == {
        slug: row.status for slug, row in shipped_rows.items()
    }
    table = list(csv.DictReader(io.StringIO(requests.get(f"{site}/targets?format=csv").text)))
    assert len(table) == len(bindings)
    by_accept = requests.get(f"{site}/targets", headers={"Accept": "text/csv"}, timeout=10)
    assert by_accept.text == requests.get(f"{site}/targets?format=csv", timeout=10).text


def test_indicator_page_has_chart_table_and_sources(site, shipped):
    response = requests.get(f"{site}/indicators/anteil-migrationshintergrund", timeout=10)
    assert response.status_code == 200
    html = response.text.replace("&amp;", "&")
    assert '<img src="/indicators/anteil-migrationshintergrund/chart.svg"' in html
    links = response.headers["Link"]
    for twin in ("data.csv", "data.ttl", "chart.svg"):
        assert f"/indicators/anteil-migrationshintergrund/{twin}>" in links
    table = html[html.index('<table class="values">') : html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert [re.search(r'class="num">(\d{4})<', r).group(1) for r in rows] == [
        "2005",
        "2022",
        "2023",
    ]
    iri = progress.indicator_iri("anteil-migrationshintergrund")
    for row, obs in zip(rows, progress.observations(shipped, iri), strict=True):
        for url in obs.sources:
            assert f'href="{url}"' in row
    assert requests.get(f"{site}/indicators/keins", timeout=10).status_code == 404
    assert requests.get(f"{site}/indicators", timeout=10).status_code == 200


def test_chart_is_deterministic_svg_with_the_values(site):
    url = f"{site}/indicators/anteil-migrationshintergrund/chart.svg"
    first, second = requests.get(url, timeout=10), requests.get(url, timeout=10)
    assert first.headers["Content-Type"].startswith("image/svg+xml")
    assert first.content == second.content
    root = ET.fromstring(first.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"24", "36", "38"} <= texts
    assert b"<script" not in first.content and b'xlink:href="http' not in first.content
    empty = requests.get(f"{site}/indicators/abiturquote/chart.svg", timeout=10)
    ET.fromstring(empty.content)


def test_csv_twin_matches_the_table(site, shipped):
    slug = "sorge-fremdenfeindlichkeit"
    text = requests.get(f"{site}/indicators/{slug}/data.csv", timeout=10).text
    rows = list(csv.DictReader(io.StringIO(text)))
    observations = progress.observations(shipped, progress.indicator_iri(slug))
    assert [(r["year"], Decimal(r["value"]), r["sources"].split()) for r in rows] == [
        (str(o.year), o.value, list(o.sources)) for o in observations
    ]
    assert {r["population_group"].rsplit("/", 1)[-1] for r in rows} == {
        "mit-migrationshintergrund",
        "ohne-migrationshintergrund",
    }
    html = requests.get(f"{site}/indicators/{slug}", timeout=10).text
    for row in rows:
        assert f">{row['value']}</a>" in html


def test_turtle_twin_holds_the_observations_triples(site):
    url = f"{site}/indicators/anteil-migrationshintergrund/data.ttl"
    response = requests.get(url, timeout=10)
    assert response.headers["Content-Type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    observations = set(graph.subjects(rdflib.RDF.type, QB.Observation))
    assert len(observations) == 3
    assert {float(v) for v in graph.objects(None, SDMX_MEASURE.obsValue)} == {24.0, 36.0, 38.0}
    assert all(set(graph.objects(o, DCTERMS.source)) for o in observations)


# --- a contribution of observations -----------------------------------------------------


def test_spreadsheet_observation_changes_the_progress(tmp_path: Path):
    """A made-up 2024 course count (520) loaded from the observations sheet."""
    store_dir = tmp_path / "store"
    run("build", store=store_dir, check=True)
    loaded = run("load", str(OBSERVATIONS_CSV), store=store_dir, check=True)
    assert "beobachtungen-deutsch4u-2024" in loaded.stdout
    answer = run(
        "query", progress.query_text(), "--format", "csv", store=store_dir, check=True
    ).stdout
    rows = {r["target"].rsplit("/", 1)[-1]: r for r in csv.DictReader(io.StringIO(answer))}
    row = rows["deutsch4u-kurse-2024"]
    assert (row["latest"], row["latest_year"], row["status"]) == ("520", "2024", "achieved")
    assert Decimal(row["share"]) == 1
    assert row["latest_sources"] == "https://example.org/beispiel/deutsch4u-kurse-2024"
    app = create_app({"STORE": f"oxigraph:{store_dir}", "TESTING": True})
    with app.test_client() as client:
        page = client.get("/indicators/deutsch4u-kurse").get_data(as_text=True)
        assert ">520</a>" in page and "https://example.org/beispiel/deutsch4u-kurse-2024" in page
        svg = client.get("/indicators/deutsch4u-kurse/chart.svg").get_data()
        assert b">520<" in svg
