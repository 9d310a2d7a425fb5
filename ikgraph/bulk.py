"""Bulk load of large trusted dumps (``ikgraph load --bulk``): N-Quads, TriG, Turtle, N-Triples.

No SHACL validation: this path is for restores and exports you trust; contributions go
through :func:`ikgraph.ingest.ingest`. Each graph is still replaced all at once. On the
embedded store, files stream through ``pyoxigraph.Store.bulk_load`` — fast, but not
transactional — into staging graphs ``urn:ikgraph:staging:…``; then ONE update (one
Oxigraph transaction) drops the old graphs and copies the staged ones in their place,
with provenance and a new version, and the staging graphs are removed. (On disk that
transaction is the slow part, some 15,000 triples a second here; the bulk load itself
runs at about 45,000.) A load that fails leaves the published graphs as they were;
staging graphs of a load that was killed are removed when the store is next opened
(and by the next bulk load). On a remote store the quads go through
:meth:`ikgraph.store.Store.replace_graphs`, which stages and swaps alike.

Graphs: the triples of a file go into ``{base}graph/{file stem}``; a dataset file may
name graphs of its own, which must lie under ``{base}graph/``. Relative IRIs resolve
against ``{base}id/``; other IRIs are loaded as they are. A dump that holds the
metadata graph restores it (its provenance is kept); otherwise each graph gets a
provenance record (file, SHA-256, triple count, who, when).
"""

from __future__ import annotations

import hashlib
import io
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ikgraph.iris import PROV, RDF_TYPE, XSD, graph_iri, ikg, meta_graph, slugify
from ikgraph.remote import STAGING
from ikgraph.sources import SourceError, expand_paths, format_for
from ikgraph.store import OxigraphStore, Store


@dataclass
class BulkResult:
    """Triples per graph written, the new dataset version, and the time it took."""

    graphs: dict[str, int] = field(default_factory=dict)
    version: str = ""
    seconds: float = 0.0


class Progress:
    """Bytes read, on ``stream``: a tqdm bar on a terminal, else a line every ``every`` s."""

    def __init__(self, stream: IO[str] | None = None, *, every: float = 10.0):
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def reading(self, path: Path) -> _Counter:
        return _Counter(self, path.name, path.stat().st_size)

    def say(self, message: str) -> None:
        print(f"bulk: {message}", file=self.stream, flush=True)


class _Counter:
    def __init__(self, progress: Progress, name: str, total: int):
        self.progress, self.name, self.total = progress, name, total
        self.done = 0
        self.started = self.shown = time.monotonic()
        self.bar = None
        if progress.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, file=progress.stream)

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif time.monotonic() - self.shown >= self.progress.every:
            self.shown = time.monotonic()
            share = 100 * self.done / self.total if self.total else 100
            self.progress.say(f"{self.name}: {share:.0f} % ({self.done / 1e6:.1f} MB)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        took = time.monotonic() - self.started
        self.progress.say(f"{self.name}: read {self.done / 1e6:.1f} MB in {took:.1f} s")


class _Reader(io.RawIOBase):
    """A binary file that reports each read and hashes what it reads."""

    def __init__(self, raw: IO[bytes], advance: Callable[[int], None]):
        self._raw = raw
        self._advance = advance
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
            self._advance(n)
        return n or 0


def _target(quad_graph, default: str, *, base: str, label: str) -> str:
    if isinstance(quad_graph, ox.DefaultGraph):
        return default
    name = quad_graph.value if isinstance(quad_graph, ox.NamedNode) else ""
    if not name.startswith(f"{base}graph/"):
        raise SourceError(label, f"named graph {quad_graph} is not under {base}graph/")
    return name


def _provenance(
    base: str, counts: dict[str, int], files: dict[str, list[tuple[str, str]]], *, contributor: str
) -> list[ox.Quad]:
    meta = ox.NamedNode(meta_graph(base))
    now = ox.Literal(datetime.now(UTC).isoformat(), datatype=ox.NamedNode(XSD + "dateTime"))
    agent = ox.NamedNode(f"{base}id/contributor/{slugify(contributor) or 'unknown'}")
    quads = [
        ox.Quad(agent, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Agent"), meta),
        ox.Quad(
            agent,
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal(contributor),
            meta,
        ),
    ]
    for name, count in counts.items():
        g = ox.NamedNode(name)
        facts = [
            (RDF_TYPE, ox.NamedNode(PROV + "Entity")),
            (PROV + "generatedAtTime", now),
            (PROV + "wasAttributedTo", agent),
            (
                ikg(base, "tripleCount"),
                ox.Literal(str(count), datatype=ox.NamedNode(XSD + "integer")),
            ),
        ]
        for filename, sha in files.get(name, []):
            facts += [
                (ikg(base, "sourceFile"), ox.Literal(filename)),
                (ikg(base, "sha256"), ox.Literal(sha)),
            ]
        quads += [ox.Quad(g, ox.NamedNode(p), o, meta) for p, o in facts]
    return quads


def _read(
    path: Path, progress: Progress, consume: Callable[[IO[bytes], ox.RdfFormat], None]
) -> str:
    """Feed one file to ``consume`` with progress; return its SHA-256."""
    fmt = format_for(path.name)
    if not path.is_file():
        raise SourceError(str(path), "no such file")
    counter = progress.reading(path)
    try:
        with path.open("rb") as raw:
            reader = _Reader(raw, counter)
            consume(io.BufferedReader(reader, 1 << 20), fmt)
    except SyntaxError as exc:
        raise SourceError(str(path), str(exc.msg), line=exc.lineno, column=exc.offset) from None
    except (OSError, ValueError) as exc:
        raise SourceError(str(path), f"cannot load: {exc}") from None
    finally:
        counter.close()
    return reader.sha256.hexdigest()


def _parsed(reader: IO[bytes], fmt: ox.RdfFormat, base: str) -> Iterator[ox.Quad]:
    return ox.parse(input=reader, format=fmt, base_iri=f"{base}id/", rename_blank_nodes=True)


def bulk_load(
    store: Store, paths: Sequence[Path], *, contributor: str, progress: Progress | None = None
) -> BulkResult:
    """Load files (and the RDF files of folders) into the store without validation, each
    graph replaced at once.

    :raises ikgraph.sources.SourceError: for a missing, unreadable or malformed file, a
        file without triples or a named graph outside the base; nothing changes then.
    """
    progress = progress or Progress()
    started = time.monotonic()
    paths = expand_paths(paths)
    if not paths:
        raise SourceError("bulk load", "no files given")
    files: dict[str, list[tuple[str, str]]] = {}
    if isinstance(store, OxigraphStore):
        counts, writer = _stage_embedded(store, paths, files, progress)
    else:
        counts, writer = _stage_in_memory(store, paths, files, progress)
    for target, count in counts.items():
        if not count:
            names = ", ".join(name for name, _ in files.get(target, []))
            raise SourceError(names or target, "the file holds no triples")
    meta_iri = meta_graph(store.base)
    meta = (
        []
        if meta_iri in counts
        else _provenance(store.base, counts, files, contributor=contributor)
    )
    progress.say(f"writing {sum(counts.values())} triples into {len(counts)} graphs …")
    version = writer(meta)
    took = time.monotonic() - started
    progress.say(f"done in {took:.1f} s")
    return BulkResult(graphs=counts, version=version, seconds=took)


def _stage_in_memory(store: Store, paths, files, progress):
    """Any store: parse into memory; ``replace_graphs`` stages and swaps."""
    base = store.base
    graphs: dict[str, list[ox.Quad]] = {}
    for path in paths:
        default = graph_iri(base, path.stem)
        seen: set[str] = set()

        def consume(reader, fmt, default=default, seen=seen, label=str(path)):
            for q in _parsed(reader, fmt, base):
                target = _target(q.graph_name, default, base=base, label=label)
                seen.add(target)
                graphs.setdefault(target, []).append(
                    ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(target))
                )

        sha = _read(path, progress, consume)
        for target in seen or {default}:
            files.setdefault(target, []).append((path.name, sha))
    meta_iri = meta_graph(base)
    if meta_iri in graphs:  # a restore: its version gives way to a new one
        version = ox.NamedNode(ikg(base, "version"))
        graphs[meta_iri] = [q for q in graphs[meta_iri] if q.predicate != version]
    counts = {name: len(set(quads)) for name, quads in graphs.items()}
    for target in files:
        counts.setdefault(target, 0)
    return counts, lambda meta: store.replace_graphs(graphs, meta=meta)


def _stage_embedded(store: OxigraphStore, paths, files, progress):
    """The embedded store: bulk-load into staging graphs; one update swaps them in."""
    raw, base = store.raw, store.base
    _drop(raw, [g.value for g in raw.named_graphs() if g.value.startswith(STAGING)])
    run = f"{STAGING}{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}"
    staging: dict[str, str] = {}

    def stage(target: str) -> ox.NamedNode:
        return ox.NamedNode(staging.setdefault(target, f"{run}-{len(staging)}"))

    try:
        for path in paths:
            default = graph_iri(base, path.stem)
            seen: set[str] = set()

            def consume(reader, fmt, default=default, seen=seen, label=str(path)):
                if not fmt.supports_datasets:
                    seen.add(default)
                    raw.bulk_load(reader, fmt, base_iri=f"{base}id/", to_graph=stage(default))
                    return

                def staged():
                    for q in _parsed(reader, fmt, base):
                        target = _target(q.graph_name, default, base=base, label=label)
                        seen.add(target)
                        yield ox.Quad(q.subject, q.predicate, q.object, stage(target))

                raw.bulk_extend(staged())

            sha = _read(path, progress, consume)
            for target in seen or {default}:
                files.setdefault(target, []).append((path.name, sha))
                stage(target)
    except BaseException:
        _drop(raw, staging.values())
        raise
    values = " ".join(f"<{s}>" for s in staging.values())
    rows = raw.query(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
        "GROUP BY ?g"
    )
    found = {r["g"].value: int(r["n"].value) for r in rows}
    counts = {target: found.get(name, 0) for target, name in staging.items()}

    def swap(meta: list[ox.Quad]) -> str:
        version = uuid.uuid4().hex
        meta_iri = meta_graph(base)
        ops = []
        for target, name in staging.items():
            ops += [f"DROP SILENT GRAPH <{target}>", f"ADD <{name}> TO <{target}>"]
        if meta_iri not in staging:
            ops += [f"DELETE WHERE {{ GRAPH <{meta_iri}> {{ <{t}> ?p ?o }} }}" for t in staging]
        prop = ikg(base, "version")
        ops.append(f"DELETE WHERE {{ GRAPH <{meta_iri}> {{ <{meta_iri}> <{prop}> ?v }} }}")
        stamp = ox.Quad(
            ox.NamedNode(meta_iri), ox.NamedNode(prop), ox.Literal(version), ox.NamedNode(meta_iri)
        )
        body = "\n".join(f"GRAPH {q.graph_name} {{ {q.triple} }}" for q in [*meta, stamp])
        ops.append(f"INSERT DATA {{ {body} }}")
        try:
            store.written()
            raw.update(" ;\n".join(ops))
            store.written(version)
        finally:
            _drop(raw, staging.values())
        return version

    if any(not n for n in counts.values()):
        _drop(raw, staging.values())
    return counts, swap


def _drop(raw: ox.Store, names) -> None:
    for name in names:
        raw.remove_graph(ox.NamedNode(name))
