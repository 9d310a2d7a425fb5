"""``/sparql``: the SPARQL 1.1 Protocol query operation, read-only.

`SPARQL 1.1 Protocol §2.1 <https://www.w3.org/TR/sparql11-protocol/#query-operation>`_:
a query arrives by GET (``query=``), by POST of an HTML form
(``application/x-www-form-urlencoded``) or by POST of the bare query
(``application/sparql-query``); ``default-graph-uri`` and ``named-graph-uri``
(repeatable) name the dataset. Without them the default graph is the union of
all named graphs, as the service description says.

The answer's format is negotiated (:mod:`ikgraph.negotiation`): ``Accept``,
or ``format=`` in links. Answers are streamed in chunks, cut at
``IKGRAPH_MAX_ROWS`` (marked by the ``X-Ikgraph-Truncated`` header and, in
SPARQL JSON, a ``truncated`` member), timed against
``IKGRAPH_QUERY_TIMEOUT`` (:mod:`ikgraph.limits`) and cached with an ETag
(:mod:`ikgraph.cache`). Queries are evaluated in query worker processes
(:mod:`ikgraph.workers`), which are killed at the time limit and capped in
memory, and which write the answer themselves; only a point lookup (one triple
pattern around a fixed term, :func:`ikgraph.querytext.point_lookup`), whose
cost is bounded by its rows, is answered in this process. A complete answer
is sent with its length, a larger one streamed. ``SERVICE`` may call only
endpoints on ``IKGRAPH_SERVICE_ALLOWLIST``.
A GET without a query answers the
`service description <https://www.w3.org/TR/sparql11-service-description/>`_,
or the query page for a browser. Reads are open to every origin (CORS).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from flask_cors import CORS
from werkzeug.datastructures import MultiDict

from ikgraph import cache, limits
from ikgraph.negotiation import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format, choose, describe
from ikgraph.querytext import point_lookup, query_form, update_keyword
from ikgraph.serialize import SELECT_WRITERS, boolean, graph, prefixes
from ikgraph.store import StoreError
from ikgraph.views import get_cache, get_store, public_url, ui
from ikgraph.views.description import service_description
from ikgraph.workers import get_workers

bp = Blueprint("sparql", __name__)
CORS(
    bp,
    origins="*",
    send_wildcard=True,
    methods=["GET", "HEAD", "POST", "OPTIONS"],
    expose_headers=["ETag", limits.TRUNCATED_HEADER],
    max_age=86400,
)

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_UPDATE_HINT = "this endpoint only answers queries; send updates to /update"


class ProtocolError(Exception):
    """A request this endpoint refuses; ``status`` and the message become the answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class QueryRequest:
    """The protocol parameters of one request."""

    query: str | None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    params: MultiDict = field(default_factory=MultiDict)  # read only

    def get(self, name: str) -> str | None:
        return self.params.get(name)


def read_request() -> QueryRequest:
    """The query and dataset of a GET or POST, by the rules of the protocol.

    :raises ProtocolError: for an update, a second ``query``, an unknown body type.
    """
    query: str | None = None
    if request.method == "POST" and request.mimetype == "application/sparql-query":
        params = request.args
        if "query" in params:
            raise ProtocolError(400, "the query is in the body; do not also send query=")
        try:
            query = request.get_data().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(400, f"the query is not UTF-8: {exc}") from None
    elif request.method == "POST" and request.mimetype == "application/sparql-update":
        raise ProtocolError(400, _UPDATE_HINT)
    elif request.method == "POST" and request.mimetype not in _FORMS:
        raise ProtocolError(
            415,
            f"cannot read a POST body of type {request.mimetype or '(none)'!r}; send "
            "application/x-www-form-urlencoded (query=...) or application/sparql-query",
        )
    else:
        params = request.values if request.method == "POST" else request.args
    if "update" in params:
        raise ProtocolError(400, _UPDATE_HINT)
    queries = params.getlist("query")
    if len(queries) > 1:
        raise ProtocolError(400, "send exactly one query= parameter")
    if queries:
        query = queries[0]
    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    if default or named:
        return QueryRequest(query, default, named, params)
    return QueryRequest(query, None, None, params)


def _error(status: int, message: str) -> Response:
    return Response(
        message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8"
    )


@bp.errorhandler(ProtocolError)
def _protocol_error(exc: ProtocolError) -> Response:
    return _error(exc.status, str(exc))


@bp.errorhandler(limits.LimitError)
def _limit_error(exc: limits.LimitError) -> Response:
    traceback.clear_frames(exc.__traceback__)  # frames may hold engine results; see in_this_thread
    return _error(exc.status, str(exc))


def _negotiate(formats: tuple[Format, ...], what: str, qr: QueryRequest) -> Format:
    requested = qr.params.getlist("format")
    fmt = choose(formats, accept=request.headers.get("Accept"), requested=requested)
    if fmt is None:
        asked = ", ".join(f"format={r}" for r in requested) or request.headers.get("Accept", "")
        raise ProtocolError(
            406, f"no offered format for {what} fits {asked!r}; offered:\n{describe(formats)}"
        )
    return fmt


def _run(
    text: str,
    qr: QueryRequest,
    *,
    rows: int,
    limit: limits.Deadline,
    encode=None,
    here: bool = False,
) -> Any:
    """Evaluate the query: in a query worker (:mod:`ikgraph.workers`) if there are
    any, which stops at the limits (and writes the answer in the format ``encode``
    names, if given), else (or with ``here``) in this process."""
    try:
        if not here and (workers := get_workers()) is not None:
            return workers.query(
                text,
                default_graph=qr.default_graphs,
                named_graphs=qr.named_graphs,
                rows=rows,
                limit=limit,
                encode=encode,
            )
        return get_store().query(
            text,
            default_graph=qr.default_graphs,
            named_graphs=qr.named_graphs,
            timeout=limit.remaining(),
        )
    except StoreError:
        if limit.expired():  # a remote store gave up, or was given up on, past the deadline
            raise limits.QueryTimeout(limit.message, setting="QUERY_TIMEOUT") from None
        raise
    except SyntaxError as exc:
        raise ProtocolError(400, f"malformed query: {exc.msg}") from None
    except ValueError as exc:
        raise ProtocolError(400, f"default-graph-uri or named-graph-uri: {exc}") from None


def _form_of(result: object) -> str:
    if form := getattr(result, "form", None):
        return form
    if isinstance(result, ox.QueryBoolean):
        return "ASK"
    return "SELECT" if isinstance(result, ox.QuerySolutions) else "CONSTRUCT"


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer a SPARQL query, or describe the service."""
    qr = read_request()
    if qr.query is None:
        if request.method == "POST":
            raise ProtocolError(
                400, "no query: send query=... or a body of type application/sparql-query"
            )
        return describe_service(qr)
    text = qr.query
    if not text.strip():
        raise ProtocolError(400, "the query is empty")
    if keyword := update_keyword(text):
        raise ProtocolError(400, f"{keyword} is SPARQL Update: {_UPDATE_HINT}")
    config = current_app.config
    limits.check_services(text, limits.allowlist(config["SERVICE_ALLOWLIST"]))
    limits.check_depth(text)
    limit = limits.deadline(config["QUERY_TIMEOUT"], qr.get("timeout"))
    rows = limits.max_rows(config["MAX_ROWS"], qr.get("max-rows"))
    form, parsed = query_form(text), None
    if form is None:  # not readable at a glance: let the parser say what is wrong, or what it is
        parsed = _run(text, qr, rows=rows, limit=limit)
        form = _form_of(parsed)
    graph_answer = form in ("CONSTRUCT", "DESCRIBE")
    fmt = _negotiate(GRAPH_FORMATS if graph_answer else RESULT_FORMATS, f"{form} answers", qr)

    store, answers = get_store(), get_cache()
    version = store.version()
    answers.sync(version)
    key = cache.key(text, qr.default_graphs, qr.named_graphs, fmt.key, rows, version)
    tag = cache.etag(key)
    if fmt is not HTML and (known := cached(key, tag)) is not None:
        return known

    # a point lookup costs a step per row: this process answers it, without a worker
    lookup, lookup_limit = point_lookup(text) if store.embedded else (False, None)

    def run() -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """The parsed query the first time, a new evaluation after that."""
        nonlocal parsed
        result, parsed = parsed, None
        if result is not None:
            return result
        return _run(text, qr, rows=rows, limit=limit, here=lookup)

    if fmt is HTML:
        return _html_answer(text, form, run, rows=rows, limit=limit)
    if lookup and fmt.key == "json" and form == "SELECT":
        body = _lookup_json(text, qr, rows=rows, limit=limit, stated=lookup_limit)
        if body is not None:
            return _whole(key, tag, body, fmt, truncated=False, version=version)
    if parsed is None and not lookup and get_workers() is not None:
        # the worker writes the answer; a small one comes whole, in one message
        written = _run(
            text,
            qr,
            rows=rows,
            limit=limit,
            encode=(fmt.key, prefixes(config["BASE_IRI"]) if graph_answer else None),
        )
        if written.complete is not None:
            return _whole(key, tag, written.complete, fmt, written.truncated, version=version)
        body, truncated = written, written.truncated
    elif form == "ASK":
        result = run()
        limit.check()
        body: Iterable[bytes] = [boolean(fmt.key, result)]
        truncated = False
    elif graph_answer:
        triples, truncated = limits.cut(run, rows=rows, limit=limit)
        body = graph(fmt.key, triples, prefixes=prefixes(config["BASE_IRI"]))
    else:
        parsed = run()
        names = [v.value for v in parsed.variables]
        solutions, truncated = limits.cut(run, rows=rows, limit=limit)
        body = SELECT_WRITERS[fmt.key](names, solutions, truncated)
        if isinstance(solutions, list):  # the whole answer is here: no need to stream it
            whole = b"".join(in_this_thread(body))
            return _whole(key, tag, whole, fmt, truncated, version=version)
    return streamed(key, tag, body, fmt, truncated, version=version)


def cached(key: str, tag: str) -> Response | None:
    """``304`` if the client holds the answer, the answer if the cache does, else None."""
    if (
        request.method in ("GET", "HEAD")
        and "If-None-Match" in request.headers
        and request.if_none_match.contains_weak(tag)
    ):
        return finish(Response(status=304), tag)
    if (hit := get_cache().get(key)) is not None:
        return finish(Response(hit.body, content_type=hit.content_type, headers=hit.headers), tag)
    return None


def streamed(
    key: str, tag: str, body: Iterable[bytes], fmt: Format, truncated: bool, *, version: str
) -> Response:
    """An answer sent as it is written, kept in the cache if it completes and the data
    did not change meanwhile."""
    headers = {limits.TRUNCATED_HEADER: "true" if truncated else "false"}
    store = get_store()  # the stream ends outside the app context
    stream: Iterator[bytes] = get_cache().tee(
        key,
        in_this_thread(body),
        content_type=fmt.content_type,
        headers=headers,
        keep=lambda: store.version() == version,
    )
    return finish(Response(stream, content_type=fmt.content_type, headers=headers), tag)


def _whole(
    key: str, tag: str, body: bytes, fmt: Format, truncated: bool, *, version: str
) -> Response:
    """A complete answer: sent with its length, kept in the cache if the data did
    not change meanwhile."""
    headers = {limits.TRUNCATED_HEADER: "true" if truncated else "false"}
    if get_store().version() == version:
        get_cache().put(key, cache.Answer(body, fmt.content_type, dict(headers)))
    headers.update(_validators(tag))
    headers["Content-Type"] = fmt.content_type
    return Response(body, headers=headers)


def _lookup_json(
    text: str, qr: QueryRequest, *, rows: int, limit: limits.Deadline, stated: int | None
) -> bytes | None:
    """A point lookup's answer in SPARQL JSON, written by Oxigraph itself (no Python
    per row), or None if it is cut at the row limit (then the usual writer marks it).

    The query's ``LIMIT`` (added if it has none) stops it one row past the limit.
    """
    if stated is None:
        text = f"{text}\nLIMIT {rows + 1}"
    elif stated > rows:
        return None
    body = _run(text, qr, rows=rows, limit=limit, here=True).serialize(
        format=ox.QueryResultsFormat.JSON
    )
    # each row is at least "{}," (3 bytes): a shorter answer cannot have been cut
    if len(body) >= 3 * (rows + 1) and len(json.loads(body)["results"]["bindings"]) > rows:
        return None
    limit.check()
    return body[: body.rindex(b"}")] + b',"truncated":false}\n'


def _html_answer(
    text: str, form: str, run: Callable[[], Any], *, rows: int, limit: limits.Deadline
) -> Response:
    """The answer as a table on the query page (the form works without JavaScript)."""
    if form == "ASK":
        result = run()
        limit.check()
        return ui.send_page(in_this_thread(ui.results_page(text, boolean=bool(result))))
    if form in ("CONSTRUCT", "DESCRIBE"):
        triples, truncated = limits.cut(run, rows=rows, limit=limit)
        cells = ((t.subject, t.predicate, t.object) for t in triples)
        names = ["subject", "predicate", "object"]
        page = ui.results_page(text, names=names, rows=cells, truncated=truncated)
        return ui.send_page(in_this_thread(page))
    first = run()
    names = [v.value for v in first.variables]
    pending = [first]
    solutions, truncated = limits.cut(
        lambda: pending.pop() if pending else run(), rows=rows, limit=limit
    )
    page = ui.results_page(text, names=names, rows=solutions, truncated=truncated)
    return ui.send_page(in_this_thread(page))


def in_this_thread(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass an answer through; if it fails midway, let go of the engine's results here.

    pyoxigraph's result iterators belong to the thread that made them and must
    be dropped there. A failure while streaming (a timeout) raises through
    frames that hold them; the traceback would keep them alive until some other
    thread collects it. Clearing those frames drops them now, in this thread.
    """
    try:
        yield from chunks
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)
        raise


def _validators(tag: str) -> dict[str, str]:
    # the tag is hex: nothing to quote
    return {"ETag": f'W/"{tag}"', "Cache-Control": "no-cache", "Vary": "Accept"}


def finish(response: Response, tag: str) -> Response:
    """Mark an answer as revalidated by its weak ETag (the dataset version is in it)."""
    before = response.headers.get("Vary")
    response.headers.update(_validators(tag))
    if before:
        response.headers["Vary"] = before
        response.vary.add("Accept")
    return response


def describe_service(qr: QueryRequest) -> Response:
    """The service description, or the query page for a browser."""
    if qr.get("example") is not None:
        return ui.query_page()
    fmt = _negotiate(GRAPH_FORMATS, "the service description", qr)
    if fmt is HTML:
        return ui.query_page()
    config = current_app.config
    note = (
        f"Answers carry at most IKGRAPH_MAX_ROWS = {config['MAX_ROWS']} rows or triples; "
        f"a cut answer is marked by the header {limits.TRUNCATED_HEADER}: true. Queries stop "
        f"after IKGRAPH_QUERY_TIMEOUT = {config['QUERY_TIMEOUT']:g} s; a request may lower "
        "both (timeout=, max-rows=). " + _service_note(config["SERVICE_ALLOWLIST"])
    )
    triples = service_description(public_url("/sparql"), get_store().graphs(), limits_note=note)
    body = b"".join(graph(fmt.key, triples, prefixes=_SD_PREFIXES))
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _service_note(setting: str) -> str:
    allowed = limits.allowlist(setting)
    if not allowed:
        return "SERVICE is not allowed."
    return "SERVICE may call only " + ", ".join(f"<{iri}>" for iri in sorted(allowed)) + "."


_SD_PREFIXES = {
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "formats": "http://www.w3.org/ns/formats/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcterms": "http://purl.org/dc/terms/",
}
