"""Writes through the service, and the history of every graph.

- ``/graph-store``: the `SPARQL 1.1 Graph Store HTTP Protocol
  <https://www.w3.org/TR/sparql11-http-rdf-update/>`_ with ``?graph=IRI``
  (a graph under ``{base}graph/``) or ``?default`` (the union of all graphs,
  read only). GET is public; PUT replaces a graph, POST merges into it (the
  current content plus the posted triples, validated as a whole), DELETE
  removes it.
- ``/update``: `SPARQL 1.1 Update <https://www.w3.org/TR/sparql11-update/>`_.
  The update runs on an in-memory copy of the graphs it names; the graphs it
  changed then go through the SHACL gate and replace the published ones at
  once. It must name its graphs (``GRAPH <…>``, ``WITH <…>``): the default
  graph is the union and cannot be written; ``LOAD``, ``SERVICE`` and
  ``CLEAR``/``DROP`` of ``ALL``, ``NAMED`` or ``DEFAULT`` are refused.
- ``/history/NAME``: the versions of a graph (HTML, JSON), and
  ``/history/NAME/N`` the content of one version.

Every write needs ``Authorization: Bearer TOKEN`` of a contributor allowed to
write the graph (:mod:`ikgraph.tokens`) and goes through
:func:`ikgraph.ingest.ingest`: a contribution with violations answers 422 with
the report and changes nothing. The write routes exist only when
``IKGRAPH_TOKENS_FILE`` is set. A write whose graph changed while it was being
validated (a merge or an update racing another writer) answers 409.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from urllib.parse import urljoin

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from ikgraph import history, limits, spreadsheet
from ikgraph.ingest import IngestResult, ingest
from ikgraph.iris import graph_iri, meta_graph
from ikgraph.negotiation import GRAPH_FORMATS, HTML, Format, choose, describe
from ikgraph.querytext import uses_service
from ikgraph.sources import Source, SourceError, parse
from ikgraph.tokens import Contributor, TokenFileError, Tokens
from ikgraph.validation import Report
from ikgraph.views import get_store, public_url
from ikgraph.views.validate import UploadError, answer, read_upload, to_sources

public = Blueprint("graphs", __name__)
writes = Blueprint("contrib", __name__)

_RDF = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}
_GRAPH_FORMATS = tuple(f for f in GRAPH_FORMATS if f.key in _RDF)
_JSON = Format("json", "application/json", "JSON")
_NT = ox.RdfFormat.N_TRIPLES


def init_app(app: Flask) -> None:
    """Register the public routes, and the write routes if a tokens file is configured.

    :raises ikgraph.tokens.TokenFileError: if the tokens file is malformed.
    """
    store = app.extensions["ikgraph"].store
    if app.config.get("HISTORY_DIR"):
        history.attach(store, app.config["HISTORY_DIR"])
    app.register_blueprint(public)
    if app.config.get("TOKENS_FILE"):
        tokens = Tokens(app.config["TOKENS_FILE"])
        tokens.contributors()
        app.extensions["ikgraph.tokens"] = tokens
        app.register_blueprint(writes)


class Refused(Exception):
    """A request refused with ``status``; the message (and headers) are the answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        message.rstrip() + "\n",
        status=status,
        content_type="text/plain; charset=utf-8",
        headers=headers,
    )


@public.errorhandler(Refused)
@writes.errorhandler(Refused)
def _refused(exc: Refused) -> Response:
    return _text(exc.status, str(exc), exc.headers)


@writes.errorhandler(UploadError)
def _upload_error(exc: UploadError) -> Response:
    return _text(exc.status, str(exc))


@writes.errorhandler(history.Conflict)
def _conflict(exc: history.Conflict) -> Response:
    return _text(409, str(exc))


@writes.errorhandler(TokenFileError)
def _token_file(exc: TokenFileError) -> Response:
    return _text(503, f"writes are unavailable: IKGRAPH_TOKENS_FILE: {exc}")


def _base() -> str:
    return current_app.config["BASE_IRI"]


def _contributor() -> Contributor:
    """The contributor whose bearer token came with the request.

    :raises Refused: 401 without a valid token (RFC 6750 §3).
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(
            401,
            "writing needs a contributor's token: send Authorization: Bearer TOKEN "
            "(a maintainer creates one with `ikgraph token add NAME --graphs PATTERN`)",
            {"WWW-Authenticate": 'Bearer realm="ikgraph"'},
        )
    who = current_app.extensions["ikgraph.tokens"].authenticate(token.strip())
    if who is None:
        raise Refused(
            401,
            "the token is not valid (unknown or withdrawn); ask a maintainer for a new one",
            {"WWW-Authenticate": 'Bearer realm="ikgraph", error="invalid_token"'},
        )
    return who


def _local(graph: str) -> str:
    return graph[len(f"{_base()}graph/") :]


def _writable(graph: str) -> str:
    """``graph`` if ikgraph writes graphs of that name. :raises Refused: 400 if not."""
    base = _base()
    local = _local(graph) if graph.startswith(f"{base}graph/") else ""
    if not local or graph_iri(base, local) != graph:
        raise Refused(
            400,
            f"<{graph}> is not a graph that can be written: graphs are {base}graph/NAME, "
            "NAME of lowercase letters, digits and hyphens",
        )
    if graph == meta_graph(base):
        raise Refused(403, f"<{graph}> holds the provenance of all graphs; ikgraph writes it alone")
    return graph


def _scope(who: Contributor, graph: str) -> None:
    """:raises Refused: 403 if ``who`` may not write ``graph``."""
    if not who.may_write(graph, base=_base()):
        allowed = ", ".join(who.graphs) or "(none)"
        raise Refused(
            403,
            f"{who.name} may not write <{graph}>: its token allows the graphs {allowed} "
            f"(names under {_base()}graph/)",
        )


def _target(*, write: bool) -> str | None:
    """The graph of a Graph Store request; None for ``?default``.

    :raises Refused: 400 without exactly one of ``graph=`` and ``default``.
    """
    graph = request.args.get("graph")
    default = "default" in request.args
    if (graph is None) == (not default):
        raise Refused(
            400,
            "name exactly one graph: ?graph=IRI (a graph under "
            f"{_base()}graph/) or ?default (the union of all graphs)",
        )
    if graph is None:
        if write:
            raise Refused(
                400,
                "the default graph is the union of all named graphs and cannot be written; "
                f"write one graph: ?graph={_base()}graph/NAME",
            )
        return None
    service = public_url("/")
    if not graph.startswith(_base()) and graph.startswith(service):
        graph = _base() + graph[len(service) :]  # the service's URL for the graph
    return _writable(graph) if write else graph


# --- Graph Store Protocol -----------------------------------------------------


def _graph_format() -> Format:
    """The RDF format the request asks for (``Accept`` or ``format=``).

    :raises Refused: (406) listing what is offered.
    """
    fmt = choose(
        _GRAPH_FORMATS,
        accept=request.headers.get("Accept"),
        requested=request.args.getlist("format"),
    )
    if fmt is None:
        raise Refused(406, f"no offered format fits; offered:\n{describe(_GRAPH_FORMATS)}")
    return fmt


@public.route("/graph-store", methods=["GET"])
def get_graph() -> Response:
    """One graph (``?graph=``) or the union of all (``?default``), in the format asked for."""
    graph = _target(write=False)
    fmt = _graph_format()
    store = get_store()
    if graph is None:
        triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        data = triples.serialize(format=_RDF[fmt.key])
    elif graph not in store.graphs():
        raise Refused(404, f"there is no graph <{graph}>")
    else:
        data = store.dump(None, _RDF[fmt.key], graph=graph)
    response = Response(data or b"", content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _one_graph(sources: list[Source], graph: str) -> None:
    """:raises Refused: 400 if the body puts triples into another graph (TriG, N-Quads)."""
    for source in sources:
        for quad in parse(source, base=_base()):
            if quad.graph_name.value != graph:
                raise Refused(
                    400,
                    f"the body puts data into <{quad.graph_name.value}>; a Graph Store request "
                    f"writes the one graph named by ?graph= (<{graph}>)",
                )


def _created(graph: str, number: int) -> bool:
    """Whether version ``number`` of ``graph`` brought it into being (versions are numbered
    one writer at a time, so the version before is the one this write replaced)."""
    if number <= 1:
        return True
    try:
        return history.version(get_store(), graph, number - 1).deleted
    except history.HistoryError:
        return True


def _written(result: IngestResult, *, created: bool = False, graph: str = "") -> Response:
    lines = [
        f"<{g}>: {n} triples, version {result.versions.get(g, '?')}"
        for g, n in sorted(result.graphs.items())
    ]
    response = answer(
        result.report,
        status=201 if created else 200,
        extra={
            "written": True,
            "graphs": result.graphs,
            "versions": result.versions,
            "version": result.version,
        },
        summary="\n".join(lines),
    )
    if created:
        response.headers["Location"] = url_for("graphs.get_graph", graph=graph)
    return response


def _rejected(result: IngestResult) -> Response:
    return answer(result.report, status=422, extra={"written": False, "graphs": {}})


@writes.route("/graph-store", methods=["PUT", "POST"])
def put_graph() -> Response:
    """PUT: replace the graph with the body; POST: add the body to the graph."""
    who = _contributor()
    graph = _target(write=True)
    assert graph is not None
    _scope(who, graph)
    store = get_store()
    upload = read_upload(stem=_local(graph))
    try:
        sources = to_sources(upload, name=_local(graph))
        _one_graph(sources, graph)
    except SourceError as exc:
        raise Refused(400, f"cannot parse the contribution: {exc}") from None
    except spreadsheet.SpreadsheetError as exc:
        return answer(exc.report(), status=422, extra={"written": False, "graphs": {}})
    expect = None
    if request.method == "POST":
        expect = {graph: history.current(store, graph)}
        current = list(ox.parse(store.dump(None, _NT, graph=graph) or b"", format=_NT))
        posted = [q for source in sources for q in source.quads]
        merged = sources[0]
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in [*current, *posted])
        merged.prepared = list(dict.fromkeys(triples))
        sources = [merged]
    try:
        result = ingest(store, sources, contributor=who.name, expect=expect)
    except SourceError as exc:
        raise Refused(400, f"cannot parse the contribution: {exc}") from None
    if not result.accepted:
        return _rejected(result)
    return _written(result, created=_created(graph, result.versions[graph]), graph=graph)


@writes.route("/graph-store", methods=["DELETE"])
def delete_graph() -> Response:
    """Remove the graph (its content stays in the history)."""
    who = _contributor()
    graph = _target(write=True)
    assert graph is not None
    _scope(who, graph)
    store = get_store()
    if graph not in store.graphs():
        raise Refused(404, f"there is no graph <{graph}>")
    removed = history.drop(store, [graph], contributor=who.name)
    return answer(
        Report(),
        extra={
            "written": True,
            "graphs": removed.graphs,
            "versions": removed.versions,
            "version": removed.version,
        },
        summary=f"<{graph}> removed (version {removed.versions[graph]})",
    )


# --- SPARQL Update ------------------------------------------------------------

_LEX = re.compile(
    r'(?P<s>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*')"
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<c>#[^\n\r]*)",
    re.S,
)
_PNAME = re.compile(r"(?<![\w<?$:])((?:[A-Za-z][\w.-]*)?):((?:[\w:%-]|\.(?=[\w:%-]))*)")
_PREFIX = re.compile(r"PREFIX\s+((?:[A-Za-z][\w.-]*)?):\s*<(\d+)>", re.I)
_BASE = re.compile(r"BASE\s*<(\d+)>", re.I)
_TARGET = re.compile(r"(?<![\w:])(?:GRAPH|WITH|INTO|TO)\s*(?:<\d+>|[A-Za-z][\w.-]*:|:)", re.I)
_REFUSED = (
    (
        re.compile(r"(?<![\w:?$])LOAD\b", re.I),
        "LOAD is refused: the service does not fetch data from other servers; "
        "send the data with PUT or POST to /graph-store?graph=…",
    ),
    (
        re.compile(
            r"(?<![\w:?$])(?:(?:CLEAR|DROP|ADD|MOVE|COPY)\s+(?:SILENT\s+)?(?:ALL|NAMED|DEFAULT)"
            r"|TO\s+DEFAULT)\b",
            re.I,
        ),
        "CLEAR/DROP/ADD/MOVE/COPY of ALL, NAMED or DEFAULT is refused: they reach every graph "
        "or the default graph, which is the union of all graphs; name the graph, "
        "e.g. DROP GRAPH <{base}graph/NAME>",
    ),
    (
        re.compile(r"(?<![\w:?$])GRAPH\s*[?$]", re.I),
        "GRAPH ?variable is refused: it reaches every graph; name the graphs the update "
        "reads and changes with GRAPH <{base}graph/NAME>",
    ),
)


def named_iris(text: str, *, base: str) -> set[str]:
    """Every IRI an update mentions (prefixed names expanded), after checking its form.

    A lexical reading, generous on purpose: graphs it names are copied for the
    update to run on; what the update changes is read off the copy afterwards.

    :raises Refused: 400 for ``LOAD``, ``SERVICE``, ``ALL``/``NAMED``/``DEFAULT``,
        ``GRAPH ?var``, or an update that names no graph.
    """
    iris: list[str] = []

    def lex(match: re.Match[str]) -> str:
        if match.group("iri") is not None:
            iris.append(match.group("iri")[1:-1])
            return f" <{len(iris) - 1}> "
        return '""' if match.group("s") is not None else " "

    plain = _LEX.sub(lex, text)
    for pattern, message in _REFUSED:
        if pattern.search(plain):
            raise Refused(400, message.format(base=base))
    if uses_service(text):
        raise Refused(400, "SERVICE is refused: the service does not send requests elsewhere")
    if not _TARGET.search(plain):
        raise Refused(
            400,
            "the update names no graph. The default graph is the union of all named graphs and "
            "cannot be written; say which graph it changes: INSERT DATA { GRAPH "
            f"<{base}graph/NAME> {{ … }} }} or WITH <{base}graph/NAME> DELETE {{ … }} "
            "INSERT { … } WHERE { … }",
        )
    bases = [iris[int(n)] for n in _BASE.findall(plain)]
    resolve_against = bases[-1] if bases else f"{base}id/"
    found = {urljoin(resolve_against, iri) for iri in iris}
    prefixes = {p: urljoin(resolve_against, iris[int(n)]) for p, n in _PREFIX.findall(plain)}
    for prefix, local in _PNAME.findall(plain):
        if prefix in prefixes:
            found.add(prefixes[prefix] + local)
    return found


def _update_text() -> str:
    """The update of a POST (SPARQL 1.1 Protocol §2.2). :raises Refused: 400, 415."""
    if request.mimetype == "application/sparql-update":
        try:
            text = request.get_data().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(400, f"the update is not UTF-8: {exc}") from None
    elif request.mimetype == "application/x-www-form-urlencoded":
        updates = request.form.getlist("update")
        if len(updates) != 1:
            raise Refused(400, "send exactly one update= parameter")
        text = updates[0]
    else:
        raise Refused(
            415,
            f"cannot read an update of type {request.mimetype or '(none)'!r}; send "
            "application/sparql-update or application/x-www-form-urlencoded (update=…)",
        )
    if request.values.getlist("using-graph-uri") or request.values.getlist("using-named-graph-uri"):
        raise Refused(400, "using-graph-uri is not supported: write USING <…> in the update")
    try:  # the parser cannot take arbitrarily deep nesting (see limits.MAX_DEPTH)
        limits.check_depth(text)
    except limits.LimitError as exc:
        raise Refused(400, str(exc)) from None
    return text


@writes.route("/update", methods=["POST"])
def update() -> Response:
    """Run an update on a copy of the graphs it names; write the changed ones through ingest."""
    who = _contributor()
    text = _update_text()
    base = _base()
    store = get_store()
    existing = set(store.graphs())
    mentioned = named_iris(text, base=base)
    numbers = {g: history.current(store, g) for g in mentioned if g.startswith(f"{base}graph/")}
    copy = ox.Store()
    before: dict[str, set[ox.Quad]] = {}
    for g in sorted(mentioned & existing):
        data = store.dump(None, _NT, graph=g)
        if data:
            copy.load(data, format=_NT, to_graph=ox.NamedNode(g))
        before[g] = set(copy.quads_for_pattern(None, None, None, ox.NamedNode(g)))
    try:
        copy.update(text, base_iri=f"{base}id/")
    except SyntaxError as exc:
        raise Refused(400, f"malformed update: {exc}") from None
    if any(True for _ in copy.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        raise Refused(
            400,
            "the update writes into the default graph, which is the union of all named graphs; "
            f"put the triples into a graph: GRAPH <{base}graph/NAME> {{ … }}",
        )
    names = {g.value for g in copy.named_graphs() if isinstance(g, ox.NamedNode)} | set(before)
    changed: dict[str, list[ox.Quad]] = {}
    for g in sorted(names):
        now = list(copy.quads_for_pattern(None, None, None, ox.NamedNode(g)))
        if set(now) != before.get(g, set()):
            changed[g] = now
    for g in changed:
        if g in existing and g not in before:
            raise Refused(400, f"the update changes <{g}> without naming it as an IRI")
        _writable(g)
        _scope(who, g)
    if not changed:
        return answer(Report(), extra={"written": False, "graphs": {}}, summary="nothing changed")
    expect = {g: numbers.get(g, history.current(store, g)) for g in changed}
    emptied = [g for g, quads in changed.items() if not quads]
    if emptied and len(emptied) < len(changed):
        raise Refused(
            400, "the update empties some graphs and changes others: send them as two updates"
        )
    if emptied:
        gone = [g for g in emptied if g in existing]
        if not gone:
            return answer(
                Report(), extra={"written": False, "graphs": {}}, summary="nothing changed"
            )
        removed = history.drop(store, gone, contributor=who.name, expect=expect)
        result = IngestResult(Report(), removed.graphs, removed.version, removed.versions)
        return _written(result)
    sources = [
        Source(
            name=_local(g),
            data=text.encode("utf-8"),
            format=_NT,
            filename="sparql-update.rq",
            prepared=[ox.Quad(q.subject, q.predicate, q.object) for q in quads],
        )
        for g, quads in changed.items()
    ]
    result = ingest(store, sources, contributor=who.name, expect=expect)
    if not result.accepted:
        return _rejected(result)
    return _written(result)


# --- history ------------------------------------------------------------------


def _versions(name: str) -> tuple[str, list[history.Version]]:
    store = get_store()
    graph = history.graph_name(_base(), name)
    found = history.versions(store, graph)
    if not found and graph not in store.graphs():
        raise Refused(404, f"there is no graph <{graph}> and no history of one")
    return graph, found


@public.route("/history/<name>")
def graph_history(name: str) -> Response:
    """The versions of a graph: who wrote it when, from which file, what changed."""
    graph, found = _versions(name)
    fmt = choose(
        (_JSON, HTML),
        accept=request.headers.get("Accept"),
        requested=request.args.getlist("format"),
    )
    if fmt is HTML:
        body = render_template(
            "history.html", graph=graph, name=name, versions=found[::-1], base=_base()
        )
    else:
        fmt = _JSON
        items = [
            asdict(v) | {"href": url_for("graphs.version_content", name=name, number=v.number)}
            for v in found
        ]
        body = current_app.json.dumps({"graph": graph, "versions": items})
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    twin = url_for("graphs.graph_history", name=name, format="json")
    response.headers["Link"] = f'<{twin}>; rel="alternate"; type="application/json"'
    return response


@public.route("/history/<name>/<int:number>")
def version_content(name: str, number: int) -> Response:
    """The content of one version, in the RDF format asked for."""
    graph, _found = _versions(name)
    store = get_store()
    try:
        lines = history.content(store, history.version(store, graph, number))
    except history.HistoryError as exc:
        raise Refused(404, str(exc)) from None
    fmt = _graph_format()
    triples = ox.parse("\n".join(lines).encode("utf-8"), format=_NT)
    data = ox.serialize(triples, format=_RDF[fmt.key]) or b""
    response = Response(data, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response
