"""The store contract, on every backend: in memory, on disk, and a real Virtuoso.

Each test gets an empty store of each backend (``store`` in ``backends.py``); the
Virtuoso runs skip with the reason where it cannot be had.
"""

from __future__ import annotations

import io

import backends
import pyoxigraph as ox
import pytest
import rdflib
from backends import BASE, open_backend
from cli_helpers import run

from ikgraph.bulk import Progress, bulk_load
from ikgraph.sources import SourceError
from ikgraph.store import OxigraphStore, StoreError, open_store

store = backends.store
virtuoso = backends.virtuoso
G1, G2 = f"{BASE}graph/eins", f"{BASE}graph/zwei"
META = f"{BASE}graph/meta"
P = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def quads(graph: str, *labels: str) -> list[ox.Quad]:
    return [
        ox.Quad(
            ox.NamedNode(f"{BASE}id/measure/{i}"),
            P,
            ox.Literal(text, language="de"),
            ox.NamedNode(graph),
        )
        for i, text in enumerate(labels)
    ]


def labels(store, graph: str) -> list[str]:
    rows = store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s ?p ?l }} }} ORDER BY ?l")
    return [r["l"].value for r in rows]


def test_replace_swaps_whole_graph_and_changes_version(store):
    v0 = store.version()
    assert v0 == "empty"
    v1 = store.replace_graphs({G1: quads(G1, "Größe", "Straße")})
    assert v1 != v0 and store.version() == v1
    store.replace_graphs({G1: quads(G1, "neu")})
    assert labels(store, G1) == ["neu"]


def test_replacing_with_the_same_content_keeps_it(store):
    store.replace_graphs({G1: quads(G1, "bleibt", "auch")})
    store.replace_graphs({G1: quads(G1, "bleibt", "auch")})
    assert labels(store, G1) == ["auch", "bleibt"]


def test_replacing_with_nothing_removes_the_graph(store):
    store.replace_graphs({G1: quads(G1, "a"), G2: quads(G2, "b")})
    store.replace_graphs({G1: []})
    assert labels(store, G1) == []
    assert G1 not in store.graphs() and G2 in store.graphs()


def test_default_graph_is_union_unless_graphs_are_named(store):
    store.replace_graphs({G1: quads(G1, "a"), G2: quads(G2, "b")})
    union = [
        r["l"].value for r in store.query(f"SELECT ?l WHERE {{ ?s <{P.value}> ?l }} ORDER BY ?l")
    ]
    assert union == ["a", "b"]
    only = store.query("SELECT ?l WHERE { ?s ?p ?l }", default_graph=[G2])
    assert [r["l"].value for r in only] == ["b"]
    named = store.query(
        "SELECT ?g ?l WHERE { GRAPH ?g { ?s ?p ?l } } ORDER BY ?g", named_graphs=[G1]
    )
    assert [(r["g"].value, r["l"].value) for r in named] == [(G1, "a")]
    assert store.graphs() == sorted([G1, G2, META])
    chosen = store.query(f"SELECT ?l FROM <{G2}> WHERE {{ ?s <{P.value}> ?l }}")
    assert [r["l"].value for r in chosen] == ["b"]


def test_meta_is_replaced_with_the_graph(store):
    meta = ox.NamedNode(META)
    count = ox.NamedNode(f"{BASE}ontology#tripleCount")
    for n in (1, 2):
        store.replace_graphs(
            {G1: quads(G1, *["x"] * n)},
            meta=[ox.Quad(ox.NamedNode(G1), count, ox.Literal(str(n)), meta)],
        )
    rows = list(store.query(f"SELECT ?n WHERE {{ GRAPH <{meta.value}> {{ <{G1}> ?p ?n }} }}"))
    assert [r["n"].value for r in rows] == ["2"]


def test_failed_replace_changes_nothing(store):
    store.replace_graphs({G1: quads(G1, "alt")})
    version = store.version()
    bad = [ox.Quad(ox.NamedNode(f"{BASE}id/x"), P, ox.Literal("neu"), ox.NamedNode(G1))]
    with pytest.raises(SyntaxError):
        store.replace_graphs({G1: bad, "not an iri": bad})
    assert labels(store, G1) == ["alt"]
    assert store.version() == version


def test_query_forms_answer_with_the_embedded_types(store):
    store.replace_graphs({G1: quads(G1, "a", "b")})
    select = store.query("SELECT ?s ?l WHERE { ?s ?p ?l } ORDER BY ?l")
    assert isinstance(select, ox.QuerySolutions)
    assert [v.value for v in select.variables] == ["s", "l"]
    assert b"<results>" in select.serialize(format=ox.QueryResultsFormat.XML)
    ask = store.query("ASK { ?s ?p 'a'@de }")
    assert isinstance(ask, ox.QueryBoolean) and bool(ask)
    assert not store.query("ASK { ?s ?p 'z'@de }")
    triples = store.query(f"CONSTRUCT {{ ?s <{P.value}> ?l }} WHERE {{ ?s <{P.value}> ?l }}")
    assert isinstance(triples, ox.QueryTriples)
    turtle = triples.serialize(format=ox.RdfFormat.TURTLE)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) == 2
    described = store.query(f"DESCRIBE <{BASE}id/measure/0>")
    assert ox.Literal("a", language="de") in {t.object for t in described}


def test_substitutions_bind_projected_variables(store):
    store.replace_graphs({G1: quads(G1, "a", "b", "c"), G2: quads(G2, "d")})
    subject = ox.NamedNode(f"{BASE}id/measure/0")
    rows = store.query(
        "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?l } GROUP BY ?s", substitutions={"s": subject}
    )
    assert [(r["s"], r["n"].value) for r in rows] == [(subject, "2")]
    rows = store.query(
        "SELECT ?s ?l WHERE { ?s ?p ?l }", substitutions={"l": ox.Literal("c", language="de")}
    )
    assert [r["s"] for r in rows] == [ox.NamedNode(f"{BASE}id/measure/2")]


def test_malformed_query_is_a_syntax_error(store):
    with pytest.raises(SyntaxError):
        store.query("SELEKT ?s WHERE { ?s ?p ?o }")


def test_literals_and_iris_survive_the_round_trip(store):
    texts = [
        'Anführungszeichen "innen" und \\ Backslash',
        "Zeile 1\nZeile 2\tTab",
        "Emoji 🙂 und ß, ä, ö, ü",
        "<script>alert('x')</script> } ; DROP ALL",
    ]
    subject = ox.NamedNode(f"{BASE}id/measure/große-straße")
    data = [ox.Quad(subject, P, ox.Literal(t), ox.NamedNode(G1)) for t in texts]
    data.append(ox.Quad(subject, P, ox.Literal("Größe", language="de"), ox.NamedNode(G1)))
    store.replace_graphs({G1: data})
    rows = store.query(f"SELECT ?s ?l WHERE {{ GRAPH <{G1}> {{ ?s ?p ?l }} }}")
    got = {(r["s"], r["l"]) for r in rows}
    assert got == {(q.subject, q.object) for q in data}


def test_blank_nodes_stay_one_node(store):
    node = ox.BlankNode()
    data = [ox.Quad(node, P, ox.Literal(f"teil {i}"), ox.NamedNode(G1)) for i in range(3)] + [
        ox.Quad(ox.NamedNode(f"{BASE}id/measure/x"), P, node, ox.NamedNode(G1))
    ]
    store.replace_graphs({G1: data})
    rows = store.query(
        "SELECT (COUNT(DISTINCT ?b) AS ?n) (COUNT(*) AS ?t) WHERE { ?x ?p ?b . ?b ?q ?l }"
    )
    [row] = list(rows)
    assert (row["n"].value, row["t"].value) == ("1", "3")


def test_dump_holds_every_graph(store):
    store.replace_graphs({G1: quads(G1, "a", "b"), G2: quads(G2, "c")})
    dataset = ox.parse(store.dump(None, ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    got = {q for q in dataset if q.graph_name.value != META}
    assert got == set(quads(G1, "a", "b") + quads(G2, "c"))
    one = store.dump(None, ox.RdfFormat.TURTLE, graph=G2)
    assert len(rdflib.Graph().parse(data=one, format="turtle")) == 1
    with pytest.raises(ValueError, match="datasets"):
        store.dump(None, ox.RdfFormat.TURTLE)


@pytest.mark.parametrize("backend", ["disk", "virtuoso"])
def test_persistent_store_keeps_data_across_reopen(backend, request, tmp_path):
    first = open_backend(backend, request, tmp_path)
    first.replace_graphs({G1: quads(G1, "bleibt")})
    assert first.persistent
    first.close()
    again = open_backend(backend, request, tmp_path, fresh=False)
    assert labels(again, G1) == ["bleibt"]
    again.close()


def test_unknown_store_spec_is_a_clear_error():
    with pytest.raises(StoreError, match="unknown store"):
        open_store("postgres://x", base=BASE)
    with pytest.raises(StoreError, match="needs a path"):
        open_store("oxigraph:", base=BASE)
    with pytest.raises(StoreError, match="sparql:QUERY_URL"):
        open_store("sparql:ftp://example.org/sparql", base=BASE)


# -- bulk load -------------------------------------------------------------------------


def _dump_file(tmp_path, n: int, tag: str) -> list:
    """A made-up N-Quads dump of ``n`` measures in two graphs, and a Turtle file."""
    nq = tmp_path / f"dump-{tag}.nq"
    nq.write_text(
        "".join(
            f'<{BASE}id/measure/m{i}> <{P.value}> "Maßnahme {i} ({tag})"@de '
            f"<{BASE}graph/{'eins' if i % 2 else 'zwei'}> .\n"
            for i in range(n)
        ),
        encoding="utf-8",
    )
    ttl = tmp_path / f"kurz-{tag}.ttl"
    ttl.write_text(
        f'@prefix rdfs: <{P.value[:-5]}> .\n<measure/k> rdfs:label "kurz {tag}" .\n'
        '[] rdfs:label "ohne Namen" .\n',
        encoding="utf-8",
    )
    return [nq, ttl]


def test_bulk_load_replaces_graphs_and_records_provenance(store, tmp_path):
    store.replace_graphs({G1: quads(G1, "alt")})
    out = tmp_path / "progress.txt"
    with out.open("w") as stream:
        result = bulk_load(
            store, _dump_file(tmp_path, 1001, "v1"), contributor="t", progress=Progress(stream)
        )
    kurz = f"{BASE}graph/kurz-v1"
    assert result.graphs == {G1: 500, G2: 501, kurz: 2}
    assert "dump-v1.nq: read" in out.read_text()
    assert "alt" not in labels(store, G1) and len(labels(store, G1)) == 500
    assert labels(store, kurz) == ["kurz v1", "ohne Namen"]
    assert store.version() == result.version
    rows = store.query(
        f"SELECT ?n ?file WHERE {{ GRAPH <{META}> {{ <{G2}> <{BASE}ontology#tripleCount> ?n ; "
        f"<{BASE}ontology#sourceFile> ?file }} }}"
    )
    assert [(r["n"].value, r["file"].value) for r in rows] == [("501", "dump-v1.nq")]
    assert not [g for g in store.graphs() if "staging" in g]


def test_bulk_load_of_a_bad_file_changes_nothing(store, tmp_path):
    store.replace_graphs({G1: quads(G1, "alt")})
    version = store.version()
    good, _ = _dump_file(tmp_path, 10, "v2")
    bad = tmp_path / "kaputt.nq"
    bad.write_text(f'<{BASE}id/x> <{P.value}> "offen .\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"kaputt\.nq:1"):
        bulk_load(store, [good, bad], contributor="t", progress=Progress(io.StringIO()))
    outside = tmp_path / "fremd.nq"
    outside.write_text(f'<{BASE}id/x> <{P.value}> "x" <http://example.org/g> .\n')
    with pytest.raises(SourceError, match="not under"):
        bulk_load(store, [outside], contributor="t", progress=Progress(io.StringIO()))
    assert labels(store, G1) == ["alt"] and store.version() == version
    if isinstance(store, OxigraphStore):
        assert not [g for g in store.raw.named_graphs() if "staging" in g.value]


def test_bulk_load_restores_an_export(store, tmp_path):
    count = ox.NamedNode(f"{BASE}ontology#tripleCount")
    provenance = [ox.Quad(ox.NamedNode(G1), count, ox.Literal("1"), ox.NamedNode(META))]
    store.replace_graphs({G1: quads(G1, "a"), G2: quads(G2, "b")}, meta=provenance)
    export = tmp_path / "export.nq"
    export.write_bytes(store.dump(None, ox.RdfFormat.N_QUADS))
    before = store.query(f"SELECT ?p ?o WHERE {{ GRAPH <{META}> {{ <{G1}> ?p ?o }} }}")
    store.replace_graphs({G1: quads(G1, "später")})
    bulk_load(store, [export], contributor="t", progress=Progress(io.StringIO()))
    assert labels(store, G1) == ["a"] and labels(store, G2) == ["b"]
    after = store.query(f"SELECT ?p ?o WHERE {{ GRAPH <{META}> {{ <{G1}> ?p ?o }} }}")
    assert {(r["p"], r["o"]) for r in after} == {(r["p"], r["o"]) for r in before} != set()


def test_cli_bulk_load_shows_progress_lines(tmp_path):
    path = tmp_path / "store"
    proc = run("load", "--bulk", *map(str, _dump_file(tmp_path, 50, "cli")), store=path)
    assert proc.returncode == 0, proc.stderr
    assert f"loaded      25 triples into <{G2}>" in proc.stdout
    assert "bulk: dump-cli.nq: read" in proc.stderr and "done in" in proc.stderr
    bad = run("load", "--bulk", str(tmp_path / "fehlt.nq"), store=path)
    assert bad.returncode == 2 and "no such file" in bad.stderr
