"""A remote SPARQL 1.1 store (Virtuoso, Fuseki, GraphDB …) behind the store interface.

``IKGRAPH_STORE=sparql:QUERY_URL[,UPDATE_URL]``. Queries go through the SPARQL 1.1
Protocol (https://www.w3.org/TR/sparql11-protocol/), writes through SPARQL 1.1
Update (https://www.w3.org/TR/sparql11-update/). Answers come back as the types the
embedded store returns: ``QuerySolutions``, ``QueryBoolean``, ``QueryTriples``.

**The dataset.** The store lists the graphs it wrote in the graph ``urn:ikgraph:graphs``
and names them in every query as ``default-graph-uri`` and ``named-graph-uri``, so the
default graph is the union of those named graphs on every server, as on the embedded
store (a query with ``FROM`` keeps the dataset it names). Without them a server picks
its own dataset: Virtuoso 7 answers over *all* its graphs, its system graphs
(``virtrdf#``, ``ldp#``, …) and half-written staging graphs included; Fuseki over its
real default graph unless configured otherwise. Graphs of other applications on a
shared server stay out. Queries are sent as they are, except that ``substitutions``
become a ``VALUES`` block of serialised RDF terms (:func:`bind`).

**Atomic replacement.** What a request of several update operations means when one
fails differs: Virtuoso commits each operation on its own, so ``DROP …; INSERT …`` can
stop halfway. One operation is all-or-nothing. A replacement therefore loads the new
content into staging graphs ``urn:ikgraph:staging:…`` (small requests, each its own
transaction; all statements about one blank node in the same request) and then swaps
them in with ONE ``DELETE … INSERT … WHERE`` operation that removes the old content,
copies the staged one, rewrites the metadata and the graph list. The swap matches only
while every staging graph is still registered, so a staging graph removed by a
cleanup is never swapped in half-loaded. Staging graphs older than ``stale_after``
seconds (a writer that died) are removed when a store is opened.

**Known differences** (Virtuoso 7.2): literals are stored by value, so
``"1.50"^^xsd:decimal`` comes back as ``"1.5"``, ``"01"^^xsd:integer`` as ``"1"``, a
``+00:00`` offset as ``Z``, and ``xsd:duration`` is not kept; a decimal without a
fraction would come back as an ``xsd:integer`` (this store writes it as ``"24.0"``,
which stays a decimal). ``GRAPH ?g {}`` finds no graphs (``GRAPH ?g { ?s ?p ?o }``
does). ``CONTAINS``, ``STRSTARTS`` and ``STRENDS`` with an empty string are false
(true by SPARQL 1.1: test ``?name = ""`` first), and a boolean expression projected
as a value comes back as ``0`` or ``1`` (``xsd:integer``). A server may cut answers at
its row limit (Virtuoso: ``ResultSetMaxRows`` in ``[SPARQL]``, 10,000 by default; keep
it above ``IKGRAPH_MAX_ROWS``): :meth:`RemoteStore.dump` pages through it, queries are
logged. A swap is one transaction, which Virtuoso bounds by
``TransactionAfterImageLimit`` (50 MB by default; a replacement beyond it fails whole,
so raise it for graphs of millions of triples). Virtuoso compiles no update of more
than about 1,000 triples, so statements about one blank node beyond that cannot be
written.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import pyoxigraph as ox
import requests

from ikgraph.iris import ikg, meta_graph
from ikgraph.querytext import has_dataset_clause, query_form
from ikgraph.store import STAGING, Store, StoreError, StoreUnavailable

log = logging.getLogger(__name__)

#: the graph that lists ikgraph's named graphs and its staging graphs
GRAPHS = "urn:ikgraph:graphs"
_NAMED_GRAPH = "http://www.w3.org/ns/sparql-service-description#NamedGraph"
_STAGING_GRAPH = "urn:ikgraph:StagingGraph"
_STARTED = "http://www.w3.org/ns/prov#startedAtTime"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
#: names a dataset without graphs (an empty default-graph-uri list means "server's choice")
_NO_GRAPH = "urn:ikgraph:no-graph"

_RESULTS_ACCEPT = "application/sparql-results+xml, application/sparql-results+json;q=0.5"
_RDF_ACCEPT = "application/n-triples, text/plain;q=0.8, text/turtle;q=0.5"
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_XML_BNODE = re.compile(rb"<bnode>([^<]*)</bnode>")
_SAFE_LABEL = re.compile(rb"[A-Za-z0-9_]+")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
#: just enough of SPARQL's lexer to find braces outside strings, IRIs and comments
_TOKEN = re.compile(
    r"""\s+ | \#[^\n]*
    | "{3}(?:[^"\\]|\\.|"(?!""))*"{3} | '{3}(?:[^'\\]|\\.|'(?!''))*'{3}
    | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*'
    | <[^<>"{}|^`\\\x00-\x20]*>
    | [?$]\w+
    | (?P<word>[A-Za-z_][\w-]*(?::[\w.-]*)?)
    | (?P<open>\{) | (?P<close>\}) | .""",
    re.X | re.S,
)


def values_block(substitutions: Mapping[str, Any]) -> str:
    """A ``VALUES`` block that binds each variable to one serialised RDF term.

    >>> print(values_block({"m": ox.NamedNode("http://example.org/m"), "l": ox.Literal('"b"')}))
    VALUES (?m ?l) { (<http://example.org/m> "\\"b\\"") }

    :raises ValueError: for a name that is not a SPARQL variable name.
    :raises TypeError: for a value that is not a ``NamedNode`` or ``Literal``.
    """
    names, terms = [], []
    for name, term in substitutions.items():
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise TypeError(
                f"substitution ?{name}: a pyoxigraph NamedNode or Literal is needed, "
                f"not {type(term).__name__}"
            )
        names.append(f"?{name}")
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def bind(sparql: str, substitutions: Mapping[str, Any]) -> str:
    """The query with variables bound by a ``VALUES`` block that opens its WHERE group.

    So they are bound before filters, grouping and aggregates, as with the embedded
    store's ``substitutions``. (A trailing ``VALUES`` clause joins after aggregation,
    and Virtuoso refuses one on a variable that is not projected.) A query without a
    WHERE group gets a trailing clause.

    >>> print(bind("SELECT (COUNT(*) AS ?n) { ?m ?p '}' }", {"m": ox.NamedNode("http://x/m")}))
    SELECT (COUNT(*) AS ?n) { VALUES (?m) { (<http://x/m>) } ?m ?p '}' }
    >>> print(bind("CONSTRUCT { ?m ?p ?o } WHERE { ?m ?p ?o }", {"p": ox.NamedNode("http://x/p")}))
    CONSTRUCT { ?m ?p ?o } WHERE { VALUES (?p) { (<http://x/p>) } ?m ?p ?o }
    """
    block = values_block(substitutions)
    depth, words = 0, []
    for token in _TOKEN.finditer(sparql):
        kind = token.lastgroup
        if kind == "word" and depth == 0:
            words.append(token.group().upper())
        elif kind == "open":
            template = "CONSTRUCT" in words and "WHERE" not in words and "}" not in words
            if depth == 0 and not template:
                return f"{sparql[: token.end()]} {block}{sparql[token.end() :]}"
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                words.append("}")
    return f"{sparql}\n{block}"


def _bnode_label(raw: bytes) -> bytes:
    """A blank node label pyoxigraph accepts (Virtuoso sends ``nodeID://b123``)."""
    label = raw.strip().removeprefix(b"nodeID://")
    return label if _SAFE_LABEL.fullmatch(label) else b"x" + raw.hex().encode()


def _iri(name: str) -> str:
    try:
        return ox.NamedNode(name).value
    except ValueError as exc:
        raise SyntaxError(f"graph name {name!r} is not an IRI: {exc}") from None


def _graph_of(quad: ox.Quad) -> str:
    if not isinstance(quad.graph_name, ox.NamedNode):
        raise StoreError(f"a remote store keeps named graphs only, not {quad.graph_name}")
    return quad.graph_name.value


def _groups(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads in groups that share no blank node with another group.

    A blank node written in two requests would become two nodes, so each group must
    travel in one request.
    """
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    plain: list[list[ox.Quad]] = []
    linked: list[tuple[ox.BlankNode, ox.Quad]] = []
    for quad in quads:
        nodes = [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        if not nodes:
            plain.append([quad])
            continue
        root = find(nodes[0])
        for other in nodes[1:]:
            parent[find(other)] = root
        linked.append((nodes[0], quad))
    groups: dict[ox.BlankNode, list[ox.Quad]] = {}
    for node, quad in linked:
        groups.setdefault(find(node), []).append(quad)
    return plain + list(groups.values())


def _statement(quad: ox.Quad) -> str:
    """The N-Triples line of a quad's triple. An ``xsd:decimal`` without a fraction is
    written with ``.0``: Virtuoso stores ``"24"^^xsd:decimal`` as an ``xsd:integer``,
    ``"24.0"^^xsd:decimal`` as the decimal ``"24"``, the embedded store's form."""
    value = quad.object
    integral = isinstance(value, ox.Literal) and "." not in value.value
    if integral and value.datatype.value == _DECIMAL:
        value = ox.Literal(f"{value.value}.0", datatype=value.datatype)
    return f"{quad.subject} {quad.predicate} {value} ."


def _chunks(quads: Iterable[ox.Quad], limit: int, most: int = 500) -> Iterator[str]:
    """N-Triples text of ``quads`` in pieces of about ``limit`` characters and at most
    ``most`` triples (Virtuoso compiles an update of 1,500 triples into more SQL than it
    accepts), except that statements about one blank node stay together."""
    buffer: list[str] = []
    size = count = 0
    for group in _groups(quads):
        text = "\n".join(_statement(q) for q in group)
        if buffer and (size + len(text) > limit or count + len(group) > most):
            yield "\n".join(buffer)
            buffer, size, count = [], 0, 0
        buffer.append(text)
        size += len(text) + 1
        count += len(group)
    if buffer:
        yield "\n".join(buffer)


def _server_message(response: requests.Response) -> str:
    text = response.text.split("\n\nSPARQL query:", 1)[0]
    return " ".join(text.split())[:400]


class RemoteStore(Store):
    """A SPARQL 1.1 Query/Update server, by URL.

    :param update_url: where updates go; the query URL when not given.
    :param user: credentials for HTTP digest or basic authentication, whichever the
        server asks for in its challenge.
    :param timeout: seconds to wait for a connection or an answer.
    :param stale_after: age in seconds after which a staging graph counts as left over.
    :param page_size: read dumps in pages of this many rows (default: in one answer,
        unless the server says it cut it).
    :param check: ask the server at once (removing stale staging graphs); with False
        that waits for its first answer, so a server that is down can be opened, and
        every request raises :class:`StoreUnavailable` until it is back.
    :raises StoreUnavailable: if the server does not answer.
    """

    atomic_replace = True
    persistent = True

    #: characters of N-Triples per staging request
    chunk_chars: int = 32_000
    #: seconds the list of graphs is reused before it is read again
    dataset_ttl: float = 1.0

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        base: str,
        user: str = "",
        password: str = "",
        timeout: float = 60.0,
        stale_after: float = 3600.0,
        page_size: int | None = None,
        check: bool = True,
    ):
        self.base = base
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.user = user
        self.timeout = timeout
        self.stale_after = stale_after
        self.page_size = page_size
        self._password = password
        self._scheme: str | None = None
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._dataset: tuple[float, list[str]] | None = None
        self._closed = False
        self._unchecked = not check
        if check:
            self._remove_stale_staging()

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        base: str,
        settings: Mapping[str, Any] | None = None,
        check: bool = True,
    ) -> RemoteStore:
        """Open ``QUERY_URL[,UPDATE_URL]`` with the ``REMOTE_*`` settings (by default
        those of the environment)."""
        from ikgraph import settings as settings_mod

        urls = [u.strip() for u in spec.split(",")]
        if len(urls) > 2 or not all(u.startswith(("http://", "https://")) for u in urls):
            raise StoreError(
                f"IKGRAPH_STORE=sparql:{spec}: use sparql:QUERY_URL[,UPDATE_URL] with http(s) URLs"
            )
        values = settings if settings is not None else settings_mod.load()
        return cls(
            urls[0],
            urls[1] if len(urls) > 1 else None,
            base=base,
            user=values.get("REMOTE_USER") or "",
            password=values.get("REMOTE_PASSWORD") or "",
            timeout=float(values.get("REMOTE_TIMEOUT") or 60.0),
            check=check,
        )

    # -- HTTP -------------------------------------------------------------------------

    def _auth(self) -> requests.auth.AuthBase | None:
        if self._scheme == "digest":
            return requests.auth.HTTPDigestAuth(self.user, self._password)
        if self._scheme == "basic":
            return requests.auth.HTTPBasicAuth(self.user, self._password)
        return None

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self._auth()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _post(
        self, url: str, *, what: str, wait: float | None = None, **kwargs: Any
    ) -> requests.Response:
        """POST to the server; ``wait`` lowers the timeout for this request."""
        if self._closed:
            raise StoreError("the store is closed")
        session = self._session()
        timeout = self.timeout if wait is None else max(wait, 0.001)
        try:
            try:
                response = session.post(url, timeout=timeout, **kwargs)
            except requests.ConnectionError as exc:
                if isinstance(exc, requests.Timeout) or what != "query":
                    raise
                # A kept-alive connection the server dropped, or the server is down: a
                # query may run twice, so one more try on a new connection tells.
                response = session.post(url, timeout=timeout, **kwargs)
            challenge = response.headers.get("WWW-Authenticate", "").lower()
            if response.status_code == 401 and self.user and session.auth is None:
                self._scheme = "digest" if challenge.startswith("digest") else "basic"
                session.auth = self._auth()
                response = session.post(url, timeout=timeout, **kwargs)
        except requests.Timeout:
            raise StoreUnavailable(
                f"the SPARQL store at {url} did not answer within {timeout:g} s "
                "(IKGRAPH_REMOTE_TIMEOUT)"
            ) from None
        except requests.ConnectionError as exc:
            found = _ERRNO.search(str(exc))
            reason = found.group(1).strip().lower() if found else "the connection broke off"
            raise StoreUnavailable(
                f"the SPARQL store at {url} is unavailable ({reason}); is it running?"
            ) from None
        self._check(response, url, what)
        if self._unchecked:
            self._first_answer()
        return response

    def _first_answer(self) -> None:
        """Remove stale staging graphs once the server of a store opened unchecked answers."""
        with self._lock:
            if not self._unchecked:
                return
            self._unchecked = False
        try:
            self._remove_stale_staging()
        except StoreUnavailable:
            self._unchecked = True
        except StoreError as exc:
            log.warning("stale staging graphs at %s stay: %s", self.update_url, exc)

    def _check(self, response: requests.Response, url: str, what: str) -> None:
        status = response.status_code
        if status < 300:
            if response.headers.get("X-SQL-State"):
                raise StoreError(
                    f"the SPARQL store at {url} stopped the {what} at its time limit and sent "
                    f"a partial answer: {response.headers.get('X-SQL-Message', '')}".rstrip(": ")
                )
            return
        message = _server_message(response)
        if status in (401, 403):
            if not self.user:
                raise StoreError(
                    f"the SPARQL store at {url} wants credentials (HTTP {status}): set "
                    "IKGRAPH_REMOTE_USER and IKGRAPH_REMOTE_PASSWORD"
                )
            raise StoreError(
                f"the SPARQL store at {url} refused the credentials of user {self.user!r} "
                f"(HTTP {status}): check IKGRAPH_REMOTE_USER and IKGRAPH_REMOTE_PASSWORD"
            )
        if status in (502, 503, 504):
            raise StoreUnavailable(f"the SPARQL store at {url} is unavailable (HTTP {status})")
        if status == 400 and what == "query":
            raise SyntaxError(message or "malformed query")
        if status == 404:
            raise StoreError(f"there is no SPARQL endpoint at {url} (HTTP 404)")
        hint = ""
        if "SR325" in message:
            hint = " (Virtuoso: raise TransactionAfterImageLimit in virtuoso.ini for larger writes)"
        elif "SR171" in message:
            hint = " (Virtuoso: raise MaxQueryExecutionTime in [SPARQL] of virtuoso.ini)"
        elif "estimated execution time" in message:
            hint = " (Virtuoso: MaxQueryCostEstimationTime in [SPARQL] of virtuoso.ini)"
        raise StoreError(
            f"the SPARQL store at {url} refused the {what} (HTTP {status}): {message}{hint}"
        )

    def _answer(self, response: requests.Response) -> Any:
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        body = response.content
        try:
            results = ox.QueryResultsFormat.from_media_type(media_type)
            if results is not None:
                if results == ox.QueryResultsFormat.XML:
                    body = _XML_BNODE.sub(
                        lambda m: b"<bnode>" + _bnode_label(m.group(1)) + b"</bnode>", body
                    )
                return ox.parse_query_results(body, format=results)
            rdf = ox.RdfFormat.from_media_type(media_type)
            if rdf is None and media_type == "text/plain":
                rdf = ox.RdfFormat.N_TRIPLES
            if rdf is not None:
                graph = ox.Store()
                graph.load(body, format=rdf)
                return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
        except SyntaxError as exc:
            raise StoreError(
                f"the SPARQL store at {response.url} sent an answer that cannot be read: {exc}"
            ) from None
        raise StoreError(
            f"the SPARQL store at {response.url} answered with {media_type or 'no media type'}, "
            "neither query results nor RDF"
        )

    def _select(self, sparql: str) -> list[ox.QuerySolution]:
        """Rows of a SELECT on the server's own dataset (for queries naming their graphs)."""
        return list(self._answer(self._select_response(sparql)))

    def _select_response(self, sparql: str) -> requests.Response:
        return self._post(
            self.query_url,
            what="query",
            data={"query": sparql},
            headers={"Accept": _RESULTS_ACCEPT},
        )

    def update(self, sparql: str) -> None:
        """Run a SPARQL Update as it is (maintenance and tests; no ikgraph bookkeeping)."""
        self._post(
            self.update_url,
            what="update",
            data=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )

    # -- the store interface ------------------------------------------------------------

    def query(
        self, sparql, *, default_graph=None, named_graphs=None, substitutions=None, timeout=None
    ):
        if substitutions:
            sparql = bind(sparql, substitutions)
        params = [("query", sparql)]
        if default_graph is not None or named_graphs is not None or not has_dataset_clause(sparql):
            # else the query's FROM / FROM NAMED say, as on the embedded store
            ours = self._graph_list() if default_graph is None or named_graphs is None else []
            defaults = default_graph if default_graph is not None else ours
            named = named_graphs if named_graphs is not None else ours
            for name in (*defaults, *named):
                ox.NamedNode(name)  # ValueError for what is not an IRI, as on the embedded store
            params += [("default-graph-uri", g) for g in defaults or [_NO_GRAPH]]
            params += [("named-graph-uri", g) for g in named or [_NO_GRAPH]]
        form = query_form(sparql)
        accept = _RDF_ACCEPT if form in ("CONSTRUCT", "DESCRIBE") else _RESULTS_ACCEPT
        response = self._post(
            self.query_url,
            what="query",
            data=params,
            headers={"Accept": accept},
            wait=None if timeout is None else min(timeout, self.timeout),
        )
        if cut := response.headers.get("X-SPARQL-MaxRows"):
            log.warning(
                "the SPARQL store at %s cut an answer at %s rows (Virtuoso: ResultSetMaxRows "
                "in [SPARQL]; keep it above IKGRAPH_MAX_ROWS)",
                self.query_url,
                cut,
            )
        return self._answer(response)

    def _graph_list(self) -> list[str]:
        cached = self._dataset
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.dataset_ttl:
            return cached[1]
        graphs = self.graphs()
        self._dataset = (now, graphs)
        return graphs

    def graphs(self):
        rows = self._select(f"SELECT ?g WHERE {{ GRAPH <{GRAPHS}> {{ ?g a <{_NAMED_GRAPH}> }} }}")
        return sorted({r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)})

    def version(self):
        meta = meta_graph(self.base)
        prop = ikg(self.base, "version")
        rows = self._select(f"SELECT ?v WHERE {{ GRAPH <{meta}> {{ <{meta}> <{prop}> ?v }} }}")
        return rows[0]["v"].value if rows else "empty"

    def replace_graphs(self, graphs, *, meta=()):
        names = [_iri(name) for name in graphs]
        version = uuid.uuid4().hex
        meta_iri = meta_graph(self.base)
        stamp = ox.Quad(
            ox.NamedNode(meta_iri),
            ox.NamedNode(ikg(self.base, "version")),
            ox.Literal(version),
            ox.NamedNode(meta_iri),
        )
        targets: dict[str, list[ox.Quad]] = {}
        for quad in [*(q for quads in graphs.values() for q in quads), *meta, stamp]:
            targets.setdefault(_graph_of(quad), []).append(quad)
        started = datetime.now(UTC)
        run = f"{STAGING}{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}"
        staging = {target: f"{run}-{i}" for i, target in enumerate(targets)}
        when = f'"{started.isoformat()}"^^<{_XSD_DATETIME}>'
        entries = " ".join(
            f"<{s}> a <{_STAGING_GRAPH}> ; <{_STARTED}> {when} ." for s in staging.values()
        )
        self.update(f"INSERT DATA {{ GRAPH <{GRAPHS}> {{ {entries} }} }}")
        try:
            for target, name in staging.items():
                for chunk in _chunks(targets[target], self.chunk_chars):
                    self.update(f"INSERT {{ GRAPH <{name}> {{\n{chunk}\n}} }} WHERE {{}}")
            try:
                self.update(self._swap(names, staging, meta_iri))
            except StoreUnavailable as exc:
                raise StoreUnavailable(
                    f"{exc}; the replacement may have taken effect or not, whole either way "
                    "(the version tells)"
                ) from None
        finally:
            self._dataset = None
            with contextlib.suppress(StoreError):  # else removed as stale by a later open
                self._drop(staging.values())
        if self.version() != version:
            raise StoreError(
                "the replacement did not take effect: its staging graphs were removed while it "
                "ran (a cleanup of stale staging graphs); nothing changed"
            )
        return version

    def _swap(self, names: list[str], staging: dict[str, str], meta_iri: str) -> str:
        """ONE update operation that puts the staged graphs in place of the old ones."""

        def rows(*columns: Iterable[str]) -> str:
            lines = zip(*columns, strict=True)
            return " ".join("(" + " ".join(f"<{t}>" for t in line) + ")" for line in lines)

        version_prop = ikg(self.base, "version")
        unlisted = [n for n in names if n not in staging] + list(staging.values())
        branches = [
            f"{{ VALUES (?dg) {{ {rows(names)} }} GRAPH ?dg {{ ?ds ?dp ?do }} }}" if names else "",
            f"{{ VALUES (?dg ?ds) {{ {rows([meta_iri] * len(names), names)} }} "
            "GRAPH ?dg { ?ds ?dp ?do } }"
            if names
            else "",
            f"{{ VALUES (?dg ?ds ?dp) {{ {rows([meta_iri], [meta_iri], [version_prop])} }} "
            "GRAPH ?dg { ?ds ?dp ?do } }",
            f"{{ VALUES (?dg ?ds) {{ {rows([GRAPHS] * len(unlisted), unlisted)} }} "
            "GRAPH ?dg { ?ds ?dp ?do } }",
            f"{{ VALUES (?sg ?ig) {{ {rows(staging.values(), staging)} }} "
            "GRAPH ?sg { ?is ?ip ?io } }",
            f"{{ VALUES (?rg) {{ {rows(staging)} }} }}",
        ]
        guard = " ".join(f"<{s}> a <{_STAGING_GRAPH}> ." for s in staging.values())
        return (
            "DELETE { GRAPH ?dg { ?ds ?dp ?do } }\n"
            f"INSERT {{ GRAPH ?ig {{ ?is ?ip ?io }}\n"
            f"         GRAPH <{GRAPHS}> {{ ?rg a <{_NAMED_GRAPH}> }} }}\n"
            f"WHERE {{ GRAPH <{GRAPHS}> {{ {guard} }}\n  "
            + "\n  UNION ".join(b for b in branches if b)
            + "\n}"
        )

    def _drop(self, staging: Iterable[str]) -> None:
        ops = []
        for name in staging:
            ops.append(f"DROP SILENT GRAPH <{name}>")
            ops.append(f"DELETE WHERE {{ GRAPH <{GRAPHS}> {{ <{name}> ?p ?o }} }}")
        if ops:
            self.update(" ;\n".join(ops))

    def _remove_stale_staging(self) -> None:
        rows = self._select(
            f"SELECT ?s ?t WHERE {{ GRAPH <{GRAPHS}> {{ "
            f"?s a <{_STAGING_GRAPH}> ; <{_STARTED}> ?t }} }}"
        )
        cutoff = datetime.now(UTC) - timedelta(seconds=self.stale_after)
        stale = []
        for row in rows:
            try:
                started = datetime.fromisoformat(row["t"].value)
            except ValueError:
                started = None
            if started is None or started.tzinfo is None or started <= cutoff:
                stale.append(row["s"].value)
        self._drop(stale)

    def dump(self, output: IO[bytes] | None, fmt: ox.RdfFormat, *, graph: str | None = None):
        if graph is None and not fmt.supports_datasets:
            raise ValueError(f"A RDF format supporting datasets was expected, {fmt.name} found")
        names = [graph] if graph is not None else self.graphs()

        def statements() -> Iterator[ox.Triple | ox.Quad]:
            for name in names:
                for row in self._rows_of(name):
                    s, p, o = row["s"], row["p"], row["o"]
                    if graph is None:
                        yield ox.Quad(s, p, o, ox.NamedNode(name))
                    else:
                        yield ox.Quad(s, p, o) if fmt.supports_datasets else ox.Triple(s, p, o)

        return ox.serialize(statements(), output, fmt)

    def _rows_of(self, graph: str) -> Iterator[ox.QuerySolution]:
        """Every triple of one graph, in pages if the server cuts long answers."""
        select = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        page = self.page_size
        if page is None:
            response = self._select_response(select)
            cut = response.headers.get("X-SPARQL-MaxRows")
            if not cut:
                yield from self._answer(response)
                return
            page = int(cut)
        offset = 0
        while True:
            rows = self._select(
                f"SELECT ?s ?p ?o WHERE {{ {{ {select} ORDER BY ?s ?p ?o }} }} "
                f"LIMIT {page} OFFSET {offset}"
            )
            yield from rows
            if len(rows) < page:
                return
            offset += page

    def close(self):
        self._closed = True
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
