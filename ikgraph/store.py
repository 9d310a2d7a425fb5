"""One store interface, and the embedded Oxigraph backend.

The rest of ikgraph talks to a :class:`Store` only: query, replace named graphs
atomically, list graphs, dump, close. Backends declare what they can do as
capability flags that callers test. ``IKGRAPH_STORE`` picks the backend:
``oxigraph:PATH`` (on disk), ``memory:`` (in memory) or, where available,
``sparql:QUERY_URL[,UPDATE_URL]``.

Oxigraph executes every SPARQL update in one transaction (repeatable-read
isolation, RocksDB on disk), so a replacement that drops a graph, inserts its
new content and rewrites its provenance in one update is all-or-nothing, even
if the process is killed midway.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar

import pyoxigraph as ox

from ikgraph.iris import ikg, meta_graph
from ikgraph.querytext import has_dataset_clause

#: prefix of the staging graphs of a replacement or bulk load in progress
STAGING = "urn:ikgraph:staging:"


class StoreError(Exception):
    """The store cannot be opened or used; the message says why."""


class StoreUnavailable(StoreError):
    """A remote store does not answer (down, unreachable, timed out); the message
    names its URL. It may work again later: the service answers 503."""


class Store(ABC):
    """The store interface. Subclasses implement it for one backend.

    Capability flags (class attributes) say what a backend can do.
    """

    #: answers SPARQL queries with Oxigraph's engine in this process
    embedded: ClassVar[bool] = False
    #: a graph replacement is atomic (all or nothing)
    atomic_replace: ClassVar[bool] = False
    #: data survives a restart
    persistent: ClassVar[bool] = False

    base: str

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        substitutions: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query. Without ``default_graph`` the default graph is
        the union of all named graphs.

        :param timeout: seconds the caller waits at most for a remote store's answer
            (an embedded store's answer streams; its caller times the rows).
        :raises SyntaxError: if the query is malformed.
        """

    @abstractmethod
    def replace_graphs(
        self, graphs: Mapping[str, list[ox.Quad]], *, meta: Iterable[ox.Quad] = ()
    ) -> str:
        """Replace each named graph with the given quads and record ``meta``
        in the metadata graph, all at once. Returns the new dataset version."""

    @abstractmethod
    def graphs(self) -> list[str]:
        """The named graphs, sorted."""

    @abstractmethod
    def dump(
        self, output: IO[bytes] | None, fmt: ox.RdfFormat, *, graph: str | None = None
    ) -> bytes | None:
        """Serialise the whole dataset (a dataset format) or one graph."""

    @abstractmethod
    def version(self) -> str:
        """An opaque string that changes with every write."""

    @abstractmethod
    def close(self) -> None:
        """Release the store."""


def _quad_text(quads: Iterable[ox.Quad]) -> tuple[str, int]:
    lines = []
    for q in quads:
        lines.append(f"GRAPH {q.graph_name} {{ {q.triple} }}")
    return "\n".join(lines), len(lines)


class OxigraphStore(Store):
    """Oxigraph (pyoxigraph) on disk, or in memory when ``path`` is None."""

    embedded = True
    atomic_replace = True

    def __init__(self, path: Path | str | None, *, base: str):
        self.base = base
        self.path = Path(path) if path is not None else None
        self.persistent = self.path is not None
        #: the version last read or written; this process holds the store alone (RocksDB's
        #: lock, or memory), so it changes only through this object
        self._version: str | None = None
        try:
            self._store = ox.Store(str(self.path)) if self.path is not None else ox.Store()
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.path}: {exc} "
                "(is another ikgraph process using it? Stop it or use its HTTP interface.)"
            ) from None
        self._drop_staging()

    def _drop_staging(self) -> None:
        """Remove the staging graphs of a bulk load that was killed (:mod:`ikgraph.bulk`);
        no other process can be loading into them while this one holds the store."""
        for graph in list(self._store.named_graphs()):
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(STAGING):
                self._store.remove_graph(graph)

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for backend-specific code (bulk loads, benchmarks).

        Code that writes through it must call :meth:`written` afterwards.
        """
        return self._store

    def written(self, version: str | None = None) -> None:
        """Note a write made through :attr:`raw`: ``version`` if it is known, else the
        next :meth:`version` reads it from the store."""
        self._version = version

    def query(
        self, sparql, *, default_graph=None, named_graphs=None, substitutions=None, timeout=None
    ):
        kwargs: dict[str, Any] = {}
        if default_graph is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
        elif not has_dataset_clause(sparql):
            # the union of all graphs, unless the query names its dataset (FROM)
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        if substitutions:
            kwargs["substitutions"] = {ox.Variable(k): v for k, v in substitutions.items()}
        return self._store.query(sparql, **kwargs)

    def replace_graphs(self, graphs, *, meta=()):
        version = uuid.uuid4().hex
        meta_iri = meta_graph(self.base)
        parts = []
        for name, quads in graphs.items():
            parts.append(f"DROP SILENT GRAPH <{name}>")
            body, count = _quad_text(quads)
            if count:
                parts.append(f"INSERT DATA {{ {body} }}")
            parts.append(f"DELETE WHERE {{ GRAPH <{meta_iri}> {{ <{name}> ?p ?o }} }}")
        version_prop = ikg(self.base, "version")
        parts.append(
            f"DELETE WHERE {{ GRAPH <{meta_iri}> {{ <{meta_iri}> <{version_prop}> ?v }} }}"
        )
        meta_body, _ = _quad_text(meta)
        version_quad = (
            f'GRAPH <{meta_iri}> {{ <{meta_iri}> <{ikg(self.base, "version")}> "{version}" }}'
        )
        parts.append(f"INSERT DATA {{ {meta_body}\n{version_quad} }}")
        self._version = None
        self._store.update(" ;\n".join(parts))
        self._version = version
        return version

    def graphs(self):
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, output, fmt, *, graph=None):
        if graph is not None:
            return self._store.dump(output, fmt, from_graph=ox.NamedNode(graph))
        return self._store.dump(output, fmt)

    def version(self):
        if self._version is not None:
            return self._version
        meta_iri = meta_graph(self.base)
        prop = ikg(self.base, "version")
        rows = list(
            self._store.query(
                f"SELECT ?v WHERE {{ GRAPH <{meta_iri}> {{ <{meta_iri}> <{prop}> ?v }} }}"
            )
        )
        self._version = rows[0]["v"].value if rows else "empty"
        return self._version

    def close(self):
        if not hasattr(self, "_store"):
            return  # closed already
        if self.persistent:
            self._store.flush()
        del self._store


def open_store(
    spec: str, *, base: str, settings: Mapping[str, Any] | None = None, check: bool = True
) -> Store:
    """Open the store named by an ``IKGRAPH_STORE`` value.

    :param settings: the settings a remote store reads (``REMOTE_USER``,
        ``REMOTE_PASSWORD``, ``REMOTE_TIMEOUT``); by default those of the environment.
    :param check: ask a remote store at once; with False it is opened even while it
        does not answer, and each request raises :class:`StoreUnavailable` until it does.
    :raises StoreError: for an unknown scheme or a store that cannot be opened.
    """
    scheme, _, rest = spec.partition(":")
    if scheme == "memory":
        return OxigraphStore(None, base=base)
    if scheme == "oxigraph":
        if not rest:
            raise StoreError("IKGRAPH_STORE=oxigraph:PATH needs a path")
        return OxigraphStore(rest, base=base)
    if scheme == "sparql":
        from ikgraph.remote import RemoteStore

        return RemoteStore.from_spec(rest, base=base, settings=settings, check=check)
    raise StoreError(
        f"IKGRAPH_STORE={spec!r}: unknown store; use oxigraph:PATH, memory: or sparql:URL"
    )
