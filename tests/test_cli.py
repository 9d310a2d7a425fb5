"""The command line as a subprocess, on a store on disk."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
import rdflib
from cli_helpers import FIXTURES, ROOT, dump, run

BASE = "https://w3id.org/ikg/"
PROJECT = f"{BASE}id/measure/beispiel-sprachcafe"


@pytest.fixture(scope="session")
def built_store(tmp_path_factory):
    """The store built once from ontology/ and data/ with `ikgraph build`."""
    path = tmp_path_factory.mktemp("built") / "store"
    proc = run("build", store=path)
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture
def store(built_store, tmp_path):
    """A fresh copy of the built store for one test."""
    path = tmp_path / "store"
    shutil.copytree(built_store, path)
    return path


def test_build_loads_every_data_file_into_its_own_graph(store):
    graphs = run(
        "query", "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }", "--format", "csv", store=store
    )
    names = {row["g"] for row in csv.DictReader(io.StringIO(graphs.stdout))}
    expected = {f"{BASE}graph/{p.stem}" for p in (ROOT / "data").glob("*.ttl")}
    assert expected <= names
    assert f"{BASE}graph/ontology" in names
    assert f"{BASE}graph/meta" in names


def test_provenance_records_file_checksum_and_contributor(store):
    import hashlib

    path = sorted((ROOT / "data").glob("*.ttl"))[0]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    q = f"""PREFIX ikg: <{BASE}ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?file ?sha ?n ?who WHERE {{ GRAPH <{BASE}graph/meta> {{
      <{BASE}graph/{path.stem}> ikg:sourceFile ?file ; ikg:sha256 ?sha ; ikg:tripleCount ?n ;
         ikg:conforms true ; prov:wasAttributedTo/rdfs:label ?who ; prov:generatedAtTime ?t }} }}"""
    rows = json.loads(run("query", q, "--format", "json", store=store, check=True).stdout)
    [row] = rows["results"]["bindings"]
    assert row["file"]["value"] == path.name
    assert row["sha"]["value"] == sha
    assert row["who"]["value"] == "test-suite"
    graph = rdflib.Graph().parse(path)
    assert int(row["n"]["value"]) == len(graph)


def test_validate_data_folder_conforms_with_readable_report():
    proc = run("validate", "data/", "--no-store")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 Verstöße" in proc.stdout or "Keine Befunde" in proc.stdout


def test_load_valid_contribution_appears_in_queries(store):
    proc = run("load", str(FIXTURES / "contribution-valid.ttl"), store=store)
    assert proc.returncode == 0, proc.stderr
    assert f"<{BASE}graph/contribution-valid>" in proc.stdout
    q = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?label WHERE {{ GRAPH <{BASE}graph/contribution-valid> {{
        <{PROJECT}> skos:prefLabel ?label FILTER(lang(?label)="de") }} }}"""
    out = run("query", q, "--format", "csv", store=store, check=True).stdout
    assert out.splitlines() == ["label", "Sprachcafé Größenwahn (Beispiel)"]


def test_violation_is_reported_with_node_property_and_message_and_changes_nothing(store):
    before = dump(store)
    proc = run("load", str(FIXTURES / "contribution-violation.ttl"), store=store)
    assert proc.returncode == 1
    assert "measure/beispiel-sprachcafe" in proc.stderr
    assert "schema:endDate" in proc.stderr or "schema:startDate" in proc.stderr
    assert "nothing was loaded" in proc.stderr
    assert dump(store) == before


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed.ttl", "malformed.ttl:5"),
        ("empty.ttl", "empty.ttl: the file is empty"),
        ("notes.txt", "unknown file extension '.txt'"),
        ("does-not-exist.ttl", "does-not-exist.ttl: no such file"),
    ],
)
def test_bad_input_names_the_file_exits_2_and_changes_nothing(store, name, expected):
    before = dump(store)
    proc = run("load", str(FIXTURES / name), store=store)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert dump(store) == before


def test_one_bad_file_among_good_ones_loads_none(store, tmp_path):
    before = dump(store)
    proc = run(
        "load",
        str(FIXTURES / "contribution-valid.ttl"),
        str(FIXTURES / "malformed.ttl"),
        store=store,
    )
    assert proc.returncode == 2
    assert dump(store) == before


def test_validate_formats_and_languages():
    path = str(FIXTURES / "contribution-violation.ttl")
    de = run("validate", path, "data/", "--no-store")
    en = run("validate", path, "data/", "--no-store", "--lang", "en")
    assert de.returncode == en.returncode == 1
    assert "Verstoß" in de.stdout and "Violation" in en.stdout
    report = json.loads(run("validate", path, "data/", "--no-store", "--format", "json").stdout)
    assert report["conforms"] is False
    [finding] = [f for f in report["findings"] if f["severity"] == "Violation"]
    assert finding["focus"] == PROJECT
    assert finding["source"].endswith("contribution-violation.ttl")
    assert finding["message_de"] and finding["message_en"] and finding["detail"]
    turtle = run("validate", path, "data/", "--no-store", "--format", "turtle").stdout
    g = rdflib.Graph().parse(data=turtle, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.focusNode, rdflib.URIRef(PROJECT)) in g


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "jsonld"])
def test_export_formats_parse(store, fmt):
    proc = run("export", "--format", fmt, store=store, check=True)
    rdflib_format = {
        "ttl": "turtle",
        "nt": "nt",
        "nq": "nquads",
        "trig": "trig",
        "jsonld": "json-ld",
    }[fmt]
    ds = rdflib.Dataset()
    ds.parse(data=proc.stdout, format=rdflib_format)
    assert len(ds) > 1000 or sum(1 for _ in ds.quads()) > 1000


def test_query_table_and_errors(store):
    out = run("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", store=store, check=True).stdout
    assert out.splitlines()[0].strip() == "n"
    bad = run("query", "SELEC nonsense", store=store)
    assert bad.returncode == 2 and "malformed query" in bad.stderr


def test_stats_lists_graphs_and_classes(store):
    out = run("stats", store=store, check=True).stdout
    assert f"{BASE}graph/meta" in out
    assert f"{BASE}ontology#Programme" in out


def test_store_in_use_is_a_clear_error(store):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import pyoxigraph,time; s=pyoxigraph.Store({str(store)!r}); "
            "print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        proc = run("stats", store=store)
        assert proc.returncode == 2
        assert "cannot open the store" in proc.stderr
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_the_report_shown_in_the_readme_is_real(store):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    proc = run("validate", "tests/fixtures/contribution-violation.ttl", store=store)
    assert proc.returncode == 1
    assert proc.stdout.strip() in readme
