"""Validation follows the size of the contribution, not the size of the store.

:func:`ikgraph.ingest.ingest` validates a contribution together with the ontology and
only the reference data it points to (:func:`ikgraph.ingest.reference_data`: types,
schemes and labels of the IRIs it uses, fetched from the store). This scenario shows
it: stores of 1,000, 10,000 and 100,000 synthetic measures (``bench/generate.py``),
each bulk-loaded into an on-disk pyoxigraph store, and the same contribution of 100
new synthetic projects validated against each with ``ingest(..., dry_run=True)``
(median of 5 after one warm-up run), with the number of reference triples fetched.
With ``--virtuoso`` the same against a Virtuoso holding the 10,000-measure graph
(loaded through :class:`ikgraph.remote.RemoteStore`, as ``ikgraph load --bulk`` does).

The contribution is made of the first projects of the smallest graph, renamed
(``synthetic-projekt-…`` → ``synthetic-beitrag-…``): the organisations, programmes,
targets and fields of action it points to exist in every size, so it is the same
contribution each time::

    .venv/bin/python bench/validation_scaling.py --sizes 1000,10000,100000
    .venv/bin/python bench/validation_scaling.py --sizes 1000 \\
        --virtuoso sparql:http://127.0.0.1:8890/sparql-auth --virtuoso-size 10000

``--virtuoso`` reads ``IKGRAPH_REMOTE_USER`` and ``IKGRAPH_REMOTE_PASSWORD``. Results
go to stdout as a Markdown table and to ``bench/results/validation-*.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from generate import BASE, data_path, generate  # noqa: E402

from ikgraph import ingest as ingest_mod  # noqa: E402
from ikgraph import settings  # noqa: E402
from ikgraph.remote import GRAPHS, RemoteStore  # noqa: E402
from ikgraph.sources import Source  # noqa: E402
from ikgraph.store import OxigraphStore, Store, open_store  # noqa: E402

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PROJECT = ox.NamedNode(f"{BASE}ontology#Project")
OLD, NEW = f"{BASE}id/measure/synthetic-projekt-", f"{BASE}id/measure/synthetic-beitrag-"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def contribution(data: Path, measures: int) -> Source:
    """``measures`` new projects in Turtle: the first projects of ``data``, renamed, with
    their budgets; everything else they point to stays a reference to the store."""
    graph = ox.Store()
    graph.bulk_load(path=str(data), format=ox.RdfFormat.TRIG)
    projects = sorted(q.subject.value for q in graph.quads_for_pattern(None, RDF_TYPE, PROJECT))
    if len(projects) < measures:
        raise ValueError(f"{data.name} has {len(projects)} projects, not {measures}")

    def renamed(term: ox.Term) -> ox.Term:
        if isinstance(term, ox.NamedNode) and term.value.startswith(OLD):
            return ox.NamedNode(NEW + term.value.removeprefix(OLD))
        return term

    triples: list[ox.Triple] = []
    for iri in projects[:measures]:
        for quad in graph.quads_for_pattern(ox.NamedNode(iri), None, None):
            triples.append(ox.Triple(renamed(quad.subject), quad.predicate, renamed(quad.object)))
            if isinstance(quad.object, ox.BlankNode):  # the budget
                triples += [q.triple for q in graph.quads_for_pattern(quad.object, None, None)]
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    return Source(name="synthetic-beitrag", data=body, format=ox.RdfFormat.TURTLE)


@contextmanager
def counted_references() -> Iterator[list[int]]:
    """Count the reference triples each ingest fetches from the store."""
    real = ingest_mod.reference_data
    counts: list[int] = []

    def counting(store, iris, *, exclude):
        found = real(store, iris, exclude=exclude)
        counts.append(len(found))
        return found

    ingest_mod.reference_data = counting
    try:
        yield counts
    finally:
        ingest_mod.reference_data = real


def validation_times(store: Store, source: Source, *, repeats: int) -> dict:
    """One warm-up run (shapes and ontology are parsed once per process), then ``repeats``."""
    seconds: list[float] = []
    with counted_references() as refs:
        for i in range(repeats + 1):
            began = time.perf_counter()
            result = ingest_mod.ingest(store, [source], contributor="bench", dry_run=True)
            if i:
                seconds.append(time.perf_counter() - began)
    return {
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "reference_triples": refs[-1],
        "conforms": result.report.conforms,
        "findings": len(result.report.findings),
    }


def embedded(size: int, source: Source, work: Path, args) -> dict:
    data = ensure_data(size, args.seed)
    store = OxigraphStore(work / f"store-{size}", base=BASE)
    began = time.perf_counter()
    store.raw.bulk_load(path=str(data), format=ox.RdfFormat.TRIG)
    store.raw.flush()
    loaded = time.perf_counter() - began
    entry = {"backend": "oxigraph (disk)", "measures": size, "triples": len(store.raw)}
    entry["load_s"] = round(loaded, 2)
    entry.update(validation_times(store, source, repeats=args.repeats))
    store.close()
    return entry


def remote(size: int, source: Source, args) -> dict:
    from ikgraph.bulk import Progress, bulk_load

    data = ensure_data(size, args.seed)
    store = open_store(args.virtuoso, base=BASE, settings=settings.load())
    assert isinstance(store, RemoteStore)
    drops = [f"DROP SILENT GRAPH <{g}>" for g in store.graphs()]  # ikgraph's graphs only
    store.update(" ;\n".join([*drops, f"DROP SILENT GRAPH <{GRAPHS}>"]))
    began = time.perf_counter()
    done = bulk_load(store, [data], contributor="bench", progress=Progress(every=30))
    loaded = time.perf_counter() - began
    entry = {"backend": "virtuoso", "measures": size, "triples": sum(done.graphs.values())}
    entry["load_s"] = round(loaded, 2)
    entry.update(validation_times(store, source, repeats=args.repeats))
    store.close()
    return entry


def ensure_data(size: int, seed: int) -> Path:
    path = data_path(size, seed)
    if not path.exists():
        log(f"generating {path.name}")
        generate(size, seed, path)
    return path


def report(rows: list[dict], measures: int) -> str:
    lines = [
        f"Validation of one contribution of {measures} new measures (`ingest(..., "
        "dry_run=True)`), median of the runs after a warm-up:",
        "",
        "| store | measures | triples | load s | validation s (median) | min–max s | "
        "reference triples | conforms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['measures']:,} | {r['triples']:,} | {r['load_s']} | "
            f"{r['median_s']} | {r['min_s']}–{r['max_s']} | {r['reference_triples']:,} | "
            f"{'yes' if r['conforms'] else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="store sizes (measures)")
    parser.add_argument("--measures", type=int, default=100, help="measures in the contribution")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per store")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--virtuoso", help="also on this store: sparql:QUERY_URL[,UPDATE_URL]")
    parser.add_argument("--virtuoso-size", type=int, default=10000)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    smallest = min([*sizes, *([args.virtuoso_size] if args.virtuoso else [])])
    source = contribution(ensure_data(smallest, args.seed), args.measures)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ikgraph-validation-") as work:
        for size in sizes:
            log(f"{size} measures, embedded")
            rows.append(embedded(size, source, Path(work), args))
            log(f"  {rows[-1]}")
    if args.virtuoso:
        log(f"{args.virtuoso_size} measures, {args.virtuoso}")
        rows.append(remote(args.virtuoso_size, source, args))
        log(f"  {rows[-1]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"validation-{stamp}.json"
    out.write_text(json.dumps({"contribution": args.measures, "rows": rows}, indent=2))
    print(report(rows, args.measures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
