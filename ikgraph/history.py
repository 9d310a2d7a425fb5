"""Versions of every named graph: who wrote what, when, and what the graph held.

Every accepted write (a load, a Graph Store write or delete, a SPARQL update, a
rollback) records a version of each graph it writes in the metadata graph
``{base}graph/meta``: ``{base}graph-version/{name}/{n}``, a ``prov:Entity`` that
is a ``prov:specializationOf`` the graph (`PROV-O
<https://www.w3.org/TR/prov-o/#specializationOf>`_), with its number, time,
contributor, source file and checksum, triple count, triples added and removed,
and the SHA-256 of its content. The metadata graph alone says which versions
exist.

The content of each version is kept outside the store, as one gzip-compressed
N-Triples file per distinct content (named by its SHA-256, so a content is kept
once) in ``IKGRAPH_HISTORY_DIR``. Old versions therefore never appear in
queries, dumps, graph lists or linked-data pages, on any backend, and the store
interface stays as it is. Old versions kept as named graphs would sit in the
union default graph of every query and every dump; each read path (and each
backend) would have to leave them out.

A write stays atomic: the content file is written before the one store
transaction that replaces the graph and records the version, so a write that
fails or is killed leaves at most a file nothing refers to. Writers in one
process take a lock per store for the read-compare-write phase; separate
processes cannot open one embedded store at once (Oxigraph locks its folder).

Blank nodes are named by a hash of their surroundings, so that the same content
has the same text and a diff shows what changed rather than how blank nodes
were renamed when the data was parsed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
import uuid
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from ikgraph.iris import PROV, RDF_TYPE, XSD, graph_iri, ikg, meta_graph, slugify
from ikgraph.store import OxigraphStore, Store

_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_locks: weakref.WeakKeyDictionary[Store, threading.RLock] = weakref.WeakKeyDictionary()
_boxes: weakref.WeakKeyDictionary[Store, Contents] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


class HistoryError(Exception):
    """A version or its content does not exist; the message says which."""


class Conflict(Exception):
    """A graph changed between reading it and writing the result (answer 409)."""


def lock(store: Store) -> threading.RLock:
    """The lock every writer of ``store`` in this process holds while it writes."""
    with _guard:
        return _locks.setdefault(store, threading.RLock())


# --- content ------------------------------------------------------------------


class Contents:
    """Content-addressed texts: gzip files in ``folder``, or in memory if it is None."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._memory: dict[str, bytes] = {}

    def _path(self, sha: str) -> Path:
        assert self.folder is not None
        return self.folder / sha[:2] / f"{sha}.nt.gz"

    def put(self, text: str) -> str:
        """Keep ``text`` (once) and return its SHA-256."""
        data = text.encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        if self.folder is None:
            self._memory.setdefault(sha, data)
            return sha
        path = self._path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(gzip.compress(data, mtime=0))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        return sha

    def get(self, sha: str) -> str | None:
        """The text kept under ``sha``, or None."""
        if self.folder is None:
            data = self._memory.get(sha)
            return data.decode("utf-8") if data is not None else None
        try:
            return gzip.decompress(self._path(sha).read_bytes()).decode("utf-8")
        except FileNotFoundError:
            return None


def default_folder(store: Store) -> Path | None:
    """Where versions of ``store`` are kept unless ``IKGRAPH_HISTORY_DIR`` says otherwise."""
    if isinstance(store, OxigraphStore):
        return store.path.with_name(store.path.name + "-history") if store.path else None
    return Path("var/history")


def attach(store: Store, folder: str | Path) -> None:
    """Keep the versions of ``store`` in ``folder`` (``IKGRAPH_HISTORY_DIR``)."""
    with _guard:
        _boxes[store] = Contents(Path(folder))


def contents(store: Store) -> Contents:
    """The content box of ``store``: attached, or its default."""
    with _guard:
        box = _boxes.get(store)
        if box is None:
            box = _boxes[store] = Contents(default_folder(store))
        return box


def canonical(statements: Iterable[ox.Triple | ox.Quad], *, graph: str | None = None) -> list[str]:
    """Sorted, distinct N-Triples lines; blank nodes named by a hash of their surroundings.

    ``statements`` are triples, or quads all in ``graph`` (or in the default graph).
    A blank node's name hashes the statements it is in (itself as ``_:a``, other
    blank nodes by their names of the round before), for up to three rounds
    until all are told apart; nodes that still look alike are numbered. The
    statements are serialised by Oxigraph and handled as text, which is many
    times faster than reading the terms of each one from Python.
    """
    text = ox.serialize(statements, format=ox.RdfFormat.N_QUADS) or b""
    end = f" <{graph}> ." if graph else " ."
    plain: set[str] = set()
    rows: list[list[str]] = []
    where: dict[str, list[int]] = defaultdict(list)
    cut = len(end)
    for line in text.decode("utf-8").splitlines():
        if not line.endswith(end):
            raise ValueError(f"not a statement of {graph or 'the default graph'}: {line}")
        if "_:" not in line:
            plain.add(line[:-cut] + " .")
            continue
        row = line[:-cut].split(" ", 2)
        if row[0].startswith("_:"):
            where[row[0]].append(len(rows))
        if row[2].startswith("_:") and row[2] != row[0]:
            where[row[2]].append(len(rows))
        rows.append(row)
    names = dict.fromkeys(where, "_:z")

    def around(b: str, labels: Mapping[str, str]) -> str:
        lines = sorted(
            " ".join("_:a" if t == b else labels.get(t, t) for t in rows[i]) for i in where[b]
        )
        return "_:b" + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:20]

    for _round in range(3 if where else 0):
        names = {b: around(b, names) for b in where}
        if len(set(names.values())) == len(names):
            break  # every blank node told apart: its name depends on its own statements only
    alike: dict[str, list[str]] = defaultdict(list)
    for b, name in names.items():
        alike[name].append(b)
    final = {
        b: name + (f"x{k}" if len(group) > 1 else "")
        for name, group in alike.items()
        for k, b in enumerate(sorted(group))
    }
    plain.update(f"{final.get(s, s)} {p} {final.get(o, o)} ." for s, p, o in rows)
    return sorted(plain)


def _text(lines: Sequence[str]) -> str:
    return "".join(line + "\n" for line in lines)


# --- versions -----------------------------------------------------------------


def graph_name(base: str, name: str) -> str:
    """A graph's IRI from its IRI or its name (``kreis-offenbach``)."""
    return name if "://" in name or name.startswith("urn:") else graph_iri(base, name)


def version_iri(base: str, graph: str, number: int) -> str:
    local = graph[len(f"{base}graph/") :] if graph.startswith(f"{base}graph/") else slugify(graph)
    return f"{base}graph-version/{local}/{number}"


@dataclass
class Version:
    """One version of a graph, as the metadata graph records it."""

    graph: str
    number: int
    iri: str
    time: str | None = None
    contributor: str | None = None
    source: str | None = None
    sha256: str | None = None
    triples: int = 0
    added: int | None = None
    removed: int | None = None
    content: str | None = None

    @property
    def deleted(self) -> bool:
        return self.triples == 0


def versions(store: Store, graph: str) -> list[Version]:
    """The recorded versions of ``graph``, oldest first."""
    base = store.base
    q = f"""SELECT ?v ?n ?time ?who ?file ?sha ?count ?added ?removed ?content WHERE {{
      GRAPH <{meta_graph(base)}> {{
        ?v <{PROV}specializationOf> <{graph}> ; <{ikg(base, "versionNumber")}> ?n .
        OPTIONAL {{ ?v <{PROV}generatedAtTime> ?time }}
        OPTIONAL {{ ?v <{PROV}wasAttributedTo>/<{_RDFS_LABEL}> ?who }}
        OPTIONAL {{ ?v <{ikg(base, "sourceFile")}> ?file }}
        OPTIONAL {{ ?v <{ikg(base, "sha256")}> ?sha }}
        OPTIONAL {{ ?v <{ikg(base, "tripleCount")}> ?count }}
        OPTIONAL {{ ?v <{ikg(base, "triplesAdded")}> ?added }}
        OPTIONAL {{ ?v <{ikg(base, "triplesRemoved")}> ?removed }}
        OPTIONAL {{ ?v <{ikg(base, "contentSha256")}> ?content }} }} }}"""
    found: dict[str, Version] = {}
    for row in store.query(q):

        def val(name: str, row=row) -> str | None:
            term = row[name]
            return term.value if term is not None else None

        def num(name: str, row=row) -> int | None:
            text = val(name, row)
            return int(text) if text is not None else None

        found.setdefault(
            row["v"].value,
            Version(
                graph=graph,
                number=int(row["n"].value),
                iri=row["v"].value,
                time=val("time"),
                contributor=val("who"),
                source=val("file"),
                sha256=val("sha"),
                triples=num("count") or 0,
                added=num("added"),
                removed=num("removed"),
                content=val("content"),
            ),
        )
    return sorted(found.values(), key=lambda v: v.number)


def current(store: Store, graph: str) -> int:
    """The number of the newest recorded version of ``graph``; 0 if there is none."""
    found = versions(store, graph)
    return found[-1].number if found else 0


def version(store: Store, graph: str, number: int) -> Version:
    """:raises HistoryError: if ``graph`` has no version ``number``."""
    for v in versions(store, graph):
        if v.number == number:
            return v
    raise HistoryError(f"<{graph}> has no version {number}; `ikgraph history` lists them")


def content(store: Store, v: Version) -> list[str]:
    """The N-Triples lines of version ``v``.

    :raises HistoryError: if its content is not kept (a store copied without its history).
    """
    text = contents(store).get(v.content) if v.content else None
    if text is None:
        raise HistoryError(
            f"the content of version {v.number} of <{v.graph}> is not kept "
            f"(looked in {contents(store).folder or 'memory'})"
        )
    return text.splitlines()


def diff(store: Store, graph: str, a: int, b: int) -> tuple[list[str], list[str]]:
    """Lines in version ``a`` but not ``b`` (removed), and in ``b`` but not ``a`` (added)."""
    old = set(content(store, version(store, graph, a)))
    new = set(content(store, version(store, graph, b)))
    return sorted(old - new), sorted(new - old)


def check(store: Store, expected: Mapping[str, int]) -> None:
    """:raises Conflict: if a graph is no longer at the version it was read at."""
    for graph, number in expected.items():
        now = current(store, graph)
        if now != number:
            raise Conflict(
                f"<{graph}> changed while this write was prepared (version {number} → {now}); "
                "nothing was written: send it again"
            )


# --- recording ----------------------------------------------------------------


@dataclass
class Change:
    """What a write does to one graph, worked out under the lock before the write."""

    graph: str
    number: int
    previous: str | None
    triples: int
    added: int
    removed: int
    content: str
    #: a record of the graph's old content if nothing recorded it (a bulk load)
    untracked: list[ox.Quad]


def _q(base: str, s: str | ox.NamedNode, p: str, o) -> ox.Quad:
    subject = s if isinstance(s, ox.NamedNode) else ox.NamedNode(s)
    return ox.Quad(subject, ox.NamedNode(p), o, ox.NamedNode(meta_graph(base)))


def _lit(value, dtype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + dtype))


def _stamp(store: Store, graph: str) -> dict[str, ox.Term]:
    """What the metadata graph says about ``graph`` now: its time and contributor."""
    rows = store.query(
        f"SELECT ?p ?o WHERE {{ GRAPH <{meta_graph(store.base)}> {{ <{graph}> ?p ?o "
        f"VALUES ?p {{ <{PROV}generatedAtTime> <{PROV}wasAttributedTo> }} }} }}"
    )
    return {row["p"].value: row["o"] for row in rows}


def prepare(store: Store, graphs: Mapping[str, Iterable[ox.Quad]]) -> dict[str, Change]:
    """Compare each graph's new content with its current one and keep both.

    The current content comes from the kept file of the newest version if the
    metadata graph shows that version is still current (same time), else from
    the store: then it was written another way (``load --bulk``), and is
    recorded as a version of its own first. Call with :func:`lock` held.
    """
    base = store.base
    box = contents(store)
    out: dict[str, Change] = {}
    for graph, quads in graphs.items():
        known = versions(store, graph)
        last = known[-1] if known else None
        stamp = _stamp(store, graph)
        time = stamp.get(PROV + "generatedAtTime")
        tracked = last is not None and (
            last.time == time.value if time is not None else last.deleted
        )
        kept = box.get(last.content) if tracked and last and last.content else None
        if kept is not None:
            old = kept.splitlines()
        else:
            dumped = store.dump(None, ox.RdfFormat.N_TRIPLES, graph=graph) or b""
            old = canonical(ox.parse(dumped, format=ox.RdfFormat.N_TRIPLES))
        old_sha = box.put(_text(old)) if old else None
        new = canonical(quads, graph=graph)
        new_sha = box.put(_text(new))
        number = last.number + 1 if last else 1
        previous = last.iri if last else None
        untracked: list[ox.Quad] = []
        if old and not tracked:
            previous = version_iri(base, graph, number)
            untracked = [
                _q(base, previous, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
                _q(base, previous, PROV + "specializationOf", ox.NamedNode(graph)),
                _q(base, previous, ikg(base, "versionNumber"), _lit(number, "integer")),
                _q(base, previous, ikg(base, "tripleCount"), _lit(len(old), "integer")),
                _q(base, previous, ikg(base, "contentSha256"), ox.Literal(old_sha)),
            ]
            untracked += [_q(base, previous, p, o) for p, o in stamp.items()]
            if last is not None:
                untracked.append(_q(base, previous, PROV + "wasRevisionOf", ox.NamedNode(last.iri)))
            number += 1
        old_set, new_set = set(old), set(new)
        out[graph] = Change(
            graph=graph,
            number=number,
            previous=previous,
            triples=len(new),
            added=len(new_set - old_set),
            removed=len(old_set - new_set),
            content=new_sha,
            untracked=untracked,
        )
    return out


def version_quads(
    base: str,
    change: Change,
    *,
    activity: ox.NamedNode,
    agent: ox.NamedNode,
    time: ox.Literal,
    source: tuple[str, str] | None = None,
) -> list[ox.Quad]:
    """The metadata of the version a write creates; ``source`` is (file name, SHA-256)."""
    v = version_iri(base, change.graph, change.number)
    quads = [
        *change.untracked,
        _q(base, v, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
        _q(base, v, PROV + "specializationOf", ox.NamedNode(change.graph)),
        _q(base, v, ikg(base, "versionNumber"), _lit(change.number, "integer")),
        _q(base, v, PROV + "generatedAtTime", time),
        _q(base, v, PROV + "wasGeneratedBy", activity),
        _q(base, v, PROV + "wasAttributedTo", agent),
        _q(base, v, ikg(base, "tripleCount"), _lit(change.triples, "integer")),
        _q(base, v, ikg(base, "triplesAdded"), _lit(change.added, "integer")),
        _q(base, v, ikg(base, "triplesRemoved"), _lit(change.removed, "integer")),
        _q(base, v, ikg(base, "contentSha256"), ox.Literal(change.content)),
    ]
    if change.previous:
        quads.append(_q(base, v, PROV + "wasRevisionOf", ox.NamedNode(change.previous)))
    if source is not None:
        quads += [
            _q(base, v, ikg(base, "sourceFile"), ox.Literal(source[0])),
            _q(base, v, ikg(base, "sha256"), ox.Literal(source[1])),
        ]
    return quads


@dataclass
class Removed:
    """What :func:`drop` did."""

    graphs: dict[str, int]
    versions: dict[str, int]
    version: str


def drop(
    store: Store,
    graphs: Sequence[str],
    *,
    contributor: str,
    expect: Mapping[str, int] | None = None,
) -> Removed:
    """Remove ``graphs`` at once, keeping their last content as a version.

    :raises Conflict: if ``expect`` is given and a graph moved on meanwhile.
    """
    base = store.base
    started = datetime.now(UTC)
    with lock(store):
        if expect is not None:
            check(store, expect)
        changes = prepare(store, {g: [] for g in graphs})
        now = _lit(datetime.now(UTC).isoformat(), "dateTime")
        activity = ox.NamedNode(f"{base}id/ingest/{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
        agent = ox.NamedNode(f"{base}id/contributor/{slugify(contributor) or 'unknown'}")
        meta = [
            _q(base, activity, RDF_TYPE, ox.NamedNode(ikg(base, "Ingest"))),
            _q(base, activity, RDF_TYPE, ox.NamedNode(PROV + "Activity")),
            _q(base, activity, PROV + "startedAtTime", _lit(started.isoformat(), "dateTime")),
            _q(base, activity, PROV + "endedAtTime", now),
            _q(base, activity, PROV + "wasAssociatedWith", agent),
            _q(base, agent, RDF_TYPE, ox.NamedNode(PROV + "Agent")),
            _q(base, agent, _RDFS_LABEL, ox.Literal(contributor)),
        ]
        for graph, change in changes.items():
            meta.append(_q(base, activity, PROV + "invalidated", ox.NamedNode(graph)))
            meta += version_quads(base, change, activity=activity, agent=agent, time=now)
        written = store.replace_graphs({g: [] for g in graphs}, meta=meta)
    return Removed(
        graphs=dict.fromkeys(graphs, 0),
        versions={g: c.number for g, c in changes.items()},
        version=written,
    )


def rollback(store: Store, graph: str, number: int, *, contributor: str):
    """Write version ``number`` of ``graph`` again, as a new version, through ingest.

    The old content is validated against the shapes and today's reference data;
    a version that recorded a removal removes the graph.

    :raises HistoryError: for an unknown version or one whose content is not kept.
    :returns: the :class:`~ikgraph.ingest.IngestResult`, or :class:`Removed`.
    """
    from ikgraph.ingest import ingest
    from ikgraph.sources import Source

    base = store.base
    v = version(store, graph, number)
    lines = content(store, v)
    if not lines:
        return drop(store, [graph], contributor=contributor)
    local = graph[len(f"{base}graph/") :]
    if graph_iri(base, local) != graph:
        raise HistoryError(f"<{graph}> is not a graph ikgraph writes (not {base}graph/NAME)")
    source = Source(
        name=local,
        data=_text(lines).encode("utf-8"),
        format=ox.RdfFormat.N_TRIPLES,
        filename=f"{local}@{number}.nt",
    )
    return ingest(store, [source], contributor=contributor)
