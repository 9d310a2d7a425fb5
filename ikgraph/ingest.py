"""The one ingest path: parse → validate → replace graphs atomically → provenance.

Every write (CLI ``load``/``build``, and later the service's write endpoints)
goes through :func:`ingest`. A contribution with violations changes nothing.
Validation sees the contribution, the ontology, and only the reference data
the contribution points to (types, schemes and labels of the IRIs it uses,
fetched from the other published graphs), so its cost follows the size of the
contribution, not of the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox
import rdflib

from ikgraph import history, model
from ikgraph.iris import PROV, RDF_TYPE, XSD, ikg, slugify
from ikgraph.sources import Source, parse
from ikgraph.store import Store
from ikgraph.validation import Report, validate

_REFERENCE_PROPS = (
    RDF_TYPE,
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
)
_CHUNK = 400


@dataclass
class IngestResult:
    """What an ingest did: the report, and the graphs written (empty if refused)."""

    report: Report
    graphs: dict[str, int] = field(default_factory=dict)
    version: str | None = None
    #: the number of the new version of each graph written (see :mod:`ikgraph.history`)
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.report.conforms and bool(self.graphs)


def _to_rdflib(quads: Sequence[ox.Quad]) -> rdflib.Graph:
    graph = rdflib.Graph()
    if quads:
        graph.parse(data="\n".join(f"{q.triple} ." for q in quads), format="nt")
    return graph


def reference_data(store: Store, iris: set[str], *, exclude: set[str]) -> list[ox.Quad]:
    """Types, schemes and labels of ``iris`` from the published graphs other than ``exclude``.

    The (subject, property) pairs are given together in one ``VALUES`` block, so
    every lookup is an index lookup: the cost follows the contribution, not the
    store (two separate ``VALUES`` blocks let the engine scan by property).
    """
    out: list[ox.Quad] = []
    ordered = sorted(iris)
    not_in = ", ".join(f"<{g}>" for g in sorted(exclude))
    graph_filter = f"FILTER(?g NOT IN ({not_in}))" if exclude else ""
    for i in range(0, len(ordered), _CHUNK):
        pairs = " ".join(
            f"(<{iri}> <{prop}>)" for iri in ordered[i : i + _CHUNK] for prop in _REFERENCE_PROPS
        )
        query = (
            f"SELECT ?s ?p ?o WHERE {{ VALUES (?s ?p) {{ {pairs} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} {graph_filter} }}"
        )
        for row in store.query(query):
            out.append(ox.Quad(row["s"], row["p"], row["o"]))
    return out


def _provenance(
    base: str,
    graphs: dict[str, Source | None],
    counts: dict[str, int],
    *,
    contributor: str,
    report: Report,
    started: datetime,
    changes: Mapping[str, history.Change] | None = None,
) -> list[ox.Quad]:
    meta = ox.NamedNode(f"{base}graph/meta")
    now = datetime.now(UTC)
    activity = ox.NamedNode(f"{base}id/ingest/{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    agent = ox.NamedNode(f"{base}id/contributor/{slugify(contributor) or 'unknown'}")
    prov = PROV

    def lit(value, dtype: str) -> ox.Literal:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + dtype))

    def q(s, p: str, o) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, meta)

    quads = [
        q(activity, RDF_TYPE, ox.NamedNode(ikg(base, "Ingest"))),
        q(activity, RDF_TYPE, ox.NamedNode(prov + "Activity")),
        q(activity, prov + "startedAtTime", lit(started.isoformat(), "dateTime")),
        q(activity, prov + "endedAtTime", lit(now.isoformat(), "dateTime")),
        q(activity, prov + "wasAssociatedWith", agent),
        q(agent, RDF_TYPE, ox.NamedNode(prov + "Agent")),
        q(agent, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal(contributor)),
    ]
    for name, source in graphs.items():
        g = ox.NamedNode(name)
        label = source.filename or source.name if source is not None else None
        warnings = sum(1 for f in report.warnings if f.source in (None, label))
        quads += [
            q(g, RDF_TYPE, ox.NamedNode(prov + "Entity")),
            q(g, prov + "wasGeneratedBy", activity),
            q(g, prov + "wasAttributedTo", agent),
            q(g, prov + "generatedAtTime", lit(now.isoformat(), "dateTime")),
            q(g, ikg(base, "tripleCount"), lit(counts[name], "integer")),
            q(g, ikg(base, "conforms"), lit("true", "boolean")),
            q(g, ikg(base, "warningCount"), lit(warnings, "integer")),
            q(activity, prov + "generated", g),
        ]
        if source is not None:
            quads += [
                q(
                    g,
                    ikg(base, "sourceFile"),
                    ox.Literal(source.filename.rsplit("/", 1)[-1] or source.name),
                ),
                q(g, ikg(base, "sha256"), ox.Literal(source.sha256)),
                q(activity, prov + "used", ox.Literal(source.filename or source.name)),
            ]
        if changes and name in changes:
            change = changes[name]
            file = (source.filename.rsplit("/", 1)[-1] or source.name) if source else None
            quads += [
                q(g, ikg(base, "triplesAdded"), lit(change.added, "integer")),
                q(g, ikg(base, "triplesRemoved"), lit(change.removed, "integer")),
                *history.version_quads(
                    base,
                    change,
                    activity=activity,
                    agent=agent,
                    time=lit(now.isoformat(), "dateTime"),
                    source=(file, source.sha256) if source and file else None,
                ),
            ]
    return quads


def ingest(
    store: Store,
    sources: Sequence[Source],
    *,
    contributor: str,
    dry_run: bool = False,
    on_validated: Callable[[int], None] | None = None,
    expect: Mapping[str, int] | None = None,
) -> IngestResult:
    """Validate ``sources`` together and, if they conform, replace their graphs at once.

    :param dry_run: validate only; never write (``ikgraph validate``, ``POST /validate``).
    :param on_validated: called with the number of triples just before the write.
    :param expect: write only if each named graph is still at this version number
        (read with :func:`ikgraph.history.current` before the data was prepared).
    :raises ikgraph.sources.SourceError: if a source cannot be parsed (nothing is written).
    :raises ikgraph.history.Conflict: if ``expect`` no longer holds (nothing is written).
    """
    started = datetime.now(UTC)
    base = store.base
    per_graph: dict[str, list[ox.Quad]] = {}
    origin: dict[str, Source | None] = {}
    subject_source: dict[rdflib.term.Node, str] = {}
    for source in sources:
        for quad in parse(source, base=base):
            name = quad.graph_name.value
            per_graph.setdefault(name, []).append(quad)
            origin.setdefault(name, source)
    all_quads = [q for quads in per_graph.values() for q in quads]
    data = _to_rdflib(all_quads)
    for source in sources:
        label = source.filename or source.name
        for q in source.quads:
            if isinstance(q.subject, ox.NamedNode):
                subject_source.setdefault(rdflib.URIRef(q.subject.value), label)
    subjects = set(subject_source)
    focus = set(data.subjects())
    referenced = {
        q.object.value
        for q in all_quads
        if isinstance(q.object, ox.NamedNode) and rdflib.URIRef(q.object.value) not in subjects
    }
    refs = reference_data(store, referenced, exclude=set(per_graph)) if referenced else []
    if refs:
        data += _to_rdflib(refs)
    report = validate(
        data,
        shapes=model.shapes(base),
        ontology=model.ontology(base),
        focus=focus,
        sources=subject_source,
    )
    for finding in report.findings:
        for source in sources:
            cell = source.cells.get((finding.focus, finding.path)) or source.cells.get(
                (finding.focus, None)
            )
            if cell:
                finding.location = cell
                break
    if not report.conforms or dry_run:
        return IngestResult(report=report)
    counts = {name: len(quads) for name, quads in per_graph.items()}
    with history.lock(store):  # one writer at a time: versions are numbered in order
        if expect is not None:
            history.check(store, expect)
        changes = history.prepare(store, per_graph)
        meta = _provenance(
            base,
            origin,
            counts,
            contributor=contributor,
            report=report,
            started=started,
            changes=changes,
        )
        if on_validated is not None:
            on_validated(len(all_quads))
        version = store.replace_graphs(per_graph, meta=meta)
    numbers = {name: change.number for name, change in changes.items()}
    return IngestResult(report=report, graphs=counts, version=version, versions=numbers)
