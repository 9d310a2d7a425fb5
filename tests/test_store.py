"""The store interface on the embedded Oxigraph backend, in memory and on disk."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ikgraph.store import OxigraphStore, StoreError, open_store

BASE = "https://w3id.org/ikg/"
G1, G2 = f"{BASE}graph/eins", f"{BASE}graph/zwei"
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


@pytest.fixture(params=["memory", "disk"])
def store(request, tmp_path):
    s = open_store(
        "memory:" if request.param == "memory" else f"oxigraph:{tmp_path / 's'}", base=BASE
    )
    yield s
    s.close()


def test_replace_swaps_whole_graph_and_changes_version(store):
    v0 = store.version()
    v1 = store.replace_graphs({G1: quads(G1, "Größe", "Straße")})
    assert v1 != v0 and store.version() == v1
    store.replace_graphs({G1: quads(G1, "neu")})
    assert labels(store, G1) == ["neu"]


def test_default_graph_is_union_unless_graphs_are_named(store):
    store.replace_graphs({G1: quads(G1, "a"), G2: quads(G2, "b")})
    union = [
        r["l"].value for r in store.query(f"SELECT ?l WHERE {{ ?s <{P.value}> ?l }} ORDER BY ?l")
    ]
    assert union == ["a", "b"]
    only = store.query("SELECT ?l WHERE { ?s ?p ?l }", default_graph=[G2])
    assert [r["l"].value for r in only] == ["b"]
    assert G1 in store.graphs() and G2 in store.graphs()


def test_meta_is_replaced_with_the_graph(store):
    meta = ox.NamedNode(f"{BASE}graph/meta")
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


def test_disk_store_persists_across_reopen(tmp_path):
    path = tmp_path / "s"
    s = OxigraphStore(path, base=BASE)
    s.replace_graphs({G1: quads(G1, "bleibt")})
    s.close()
    again = OxigraphStore(path, base=BASE)
    assert labels(again, G1) == ["bleibt"]
    again.close()


def test_unknown_store_spec_is_a_clear_error():
    with pytest.raises(StoreError, match="unknown store"):
        open_store("postgres://x", base=BASE)
    with pytest.raises(StoreError, match="needs a path"):
        open_store("oxigraph:", base=BASE)
