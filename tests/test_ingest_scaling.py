"""Validation reads what a contribution points to, not the store.

A contribution of five synthetic projects (``bench/validation_scaling.py``) is
validated against stores of 1,000 and 3,000 synthetic measures (``bench/generate.py``):
the reference data fetched is exactly the types, schemes and labels of the IRIs the
contribution uses, the same against both stores. Timings are the benchmark's business.
"""

from __future__ import annotations

import sys
from collections import Counter

import pyoxigraph as ox
import pytest
from conftest import ROOT

from ikgraph import ingest as ingest_mod
from ikgraph.store import OxigraphStore

sys.path.insert(0, str(ROOT / "bench"))
from generate import BASE, generate
from validation_scaling import contribution

PROPS = {ox.NamedNode(p) for p in ingest_mod._REFERENCE_PROPS}
REFERENCE_DATA = ingest_mod.reference_data


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict[int, OxigraphStore]:
    """In-memory stores of 1,000 and 3,000 synthetic measures."""
    folder = tmp_path_factory.mktemp("synthetic")
    stores = {}
    for size in (1000, 3000):
        data = generate(size, 42, folder / f"synthetic-{size}.trig")
        stores[size] = OxigraphStore(None, base=BASE)
        stores[size].raw.bulk_load(path=str(data), format=ox.RdfFormat.TRIG)
    yield stores
    for store in stores.values():
        store.close()


def fetched(store: OxigraphStore, source, monkeypatch) -> tuple[set[str], list[ox.Quad]]:
    """The IRIs ingest looks up in the store, and what it gets back."""
    asked: set[str] = set()
    got: list[ox.Quad] = []

    def spy(store, iris, *, exclude):
        asked.update(iris)
        found = REFERENCE_DATA(store, iris, exclude=exclude)
        got.extend(found)
        return found

    monkeypatch.setattr(ingest_mod, "reference_data", spy)
    result = ingest_mod.ingest(store, [source], contributor="test-suite", dry_run=True)
    assert result.report.conforms, result.report.to_text("en")
    assert not result.graphs  # a dry run writes nothing
    return asked, got


def test_reference_data_is_what_the_contribution_points_to(synthetic, monkeypatch, tmp_path):
    small = synthetic[1000]
    source = contribution(generate(1000, 42, tmp_path / "s.trig"), 5)
    quads = list(ox.parse(source.data, format=ox.RdfFormat.TURTLE))
    assert len({q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}) == 5
    own = {q.subject for q in quads}
    pointed = {q.object.value for q in quads if isinstance(q.object, ox.NamedNode)}
    pointed -= {s.value for s in own if isinstance(s, ox.NamedNode)}

    asked, got = fetched(small, source, monkeypatch)

    assert asked == pointed  # organisations, programmes, targets, fields, concepts, areas
    assert {q.subject.value for q in got} <= asked and {q.predicate for q in got} <= PROPS
    expected = [
        q
        for iri in sorted(asked)
        for q in small.raw.quads_for_pattern(ox.NamedNode(iri), None, None)
        if q.predicate in PROPS
    ]
    assert Counter(q.triple for q in got) == Counter(q.triple for q in expected)
    assert len(got) <= 10 * len(asked)  # a few types and labels each
    assert len(got) < len(small.raw) / 100


def test_a_larger_store_gives_the_same_reference_data(synthetic, monkeypatch, tmp_path):
    source = contribution(generate(1000, 42, tmp_path / "s.trig"), 5)
    _, small = fetched(synthetic[1000], source, monkeypatch)
    _, large = fetched(synthetic[3000], source, monkeypatch)
    assert len(synthetic[3000].raw) > 2.5 * len(synthetic[1000].raw)
    assert Counter(q.predicate for q in large) == Counter(q.predicate for q in small)
    assert {q.subject for q in large} == {q.subject for q in small}
