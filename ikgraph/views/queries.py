"""``/api``: the curated queries of ``queries/`` as a REST API, its OpenAPI description
and an HTML page to try them.

- ``GET /api/queries`` lists the catalogue (:mod:`ikgraph.querycatalog`) as JSON.
- ``GET /api/queries/NAME?param=…`` runs one query with typed parameters, bound
  as RDF terms by the store's ``substitutions`` (never pasted into the text).
  A parameter that is unknown, missing, of the wrong type or, for
  ``iri(CLASS)``, not a resource of that class is answered with 400 naming it.
  SELECT answers as ``application/json`` (an array of objects with typed
  values: numbers as numbers, IRIs and other literals as strings, unbound as
  null; the default), ``application/sparql-results+json``, SPARQL XML, CSV,
  TSV or HTML; CONSTRUCT answers in the RDF formats of ``/sparql``.
  ``format=`` wins over ``Accept``.
- ``GET /api/openapi.json`` is the OpenAPI 3.1 description (:mod:`ikgraph.openapi`).
- ``GET /api`` lists every query with its parameters and a form to try it.

Limits are those of ``/sparql`` (:mod:`ikgraph.limits`): ``IKGRAPH_MAX_ROWS``
and ``IKGRAPH_QUERY_TIMEOUT``, lowered by ``max-rows=`` and ``timeout=``, a cut
answer marked by ``X-Ikgraph-Truncated``. Curated queries run in the server
process (their text is fixed; only the bound values vary). Answers are cached
and tagged like those of ``/sparql``. Errors are JSON (``{"status", "error",
"parameter"}``), or the HTML page for a browser.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, render_template, request, stream_template
from flask_cors import CORS

from ikgraph import cache, limits, openapi, querycatalog
from ikgraph.negotiation import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format, choose, parse_accept
from ikgraph.querycatalog import Catalog, NamedQuery, ParameterError
from ikgraph.serialize import CHUNK, SELECT_WRITERS, boolean, graph, prefixes
from ikgraph.views import get_cache, get_store, public_url, ui
from ikgraph.views.sparql import cached, in_this_thread, streamed
from ikgraph.workers import get_workers

bp = Blueprint("queries", __name__)
CORS(
    bp,
    origins="*",
    send_wildcard=True,
    methods=["GET", "HEAD", "OPTIONS"],
    expose_headers=["ETag", limits.TRUNCATED_HEADER],
    max_age=86400,
)

#: Plain JSON: an array of objects, one per row.
OBJECTS = Format("json", "application/json", "JSON objects", (), ("objects",))
SPARQL_JSON = Format(
    "srj", "application/sparql-results+json", "SPARQL JSON", (), ("sparql-json", "sparql")
)
#: Answers to SELECT and ASK, in order of preference (the first answers ``*/*``).
SELECT_FORMATS: tuple[Format, ...] = (
    OBJECTS,
    SPARQL_JSON,
    *(f for f in RESULT_FORMATS if f.key in ("xml", "csv", "tsv")),
    HTML,
)
_SPARQL_KEYS = {"srj": "json", "xml": "xml", "csv": "csv", "tsv": "tsv"}
_XSD = querycatalog.XSD
_INTEGERS = {
    _XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
_FLOATS = {_XSD + "double", _XSD + "float"}
_OPENAPI_LINK = '<{url}>; rel="alternate"; type="application/vnd.oai.openapi+json"'


class ApiError(Exception):
    """A request the API refuses; answered as JSON, or on the page for a browser."""

    def __init__(self, status: int, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.parameter = parameter


def catalog() -> Catalog:
    """The catalogue of ``IKGRAPH_QUERIES_DIR`` under the configured base IRI."""
    config = current_app.config
    return querycatalog.load(config["QUERIES_DIR"], base=config["BASE_IRI"])


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    return Response(body, status=status, content_type=OBJECTS.content_type, headers=headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    if getattr(g, "api_html", None) is not None:
        query, values = g.api_html
        page = _query_page(query, values, error=str(exc), error_parameter=exc.parameter)
        return Response(page, status=exc.status, content_type=HTML.content_type)
    body: dict[str, Any] = {"status": exc.status, "error": str(exc)}
    if exc.parameter:
        body["parameter"] = exc.parameter
    return _json(body, exc.status)


_LIMIT_PARAMETERS = {"QUERY_TIMEOUT": "timeout", "MAX_ROWS": "max-rows"}


@bp.errorhandler(limits.LimitError)
def _limit_error(exc: limits.LimitError) -> Response:
    parameter = _LIMIT_PARAMETERS.get(exc.setting) if exc.status == 400 else None
    return _api_error(ApiError(exc.status, str(exc), parameter))


# --- the catalogue ------------------------------------------------------------------


def _urls(query: NamedQuery) -> dict[str, str]:
    return {
        "url": public_url(f"/api/queries/{query.name}"),
        "editor": public_url("/sparql?" + urlencode({"example": query.name})),
    }


@bp.route("/api/queries")
def listing() -> Response:
    """Every curated query with its header, parameters and URLs."""
    found = catalog()
    body: dict[str, Any] = {"queries": [{**q.as_dict(), **_urls(q)} for q in found]}
    if found.errors:
        body["invalid"] = dict(found.errors)
    return _json(body, headers={"Link": _OPENAPI_LINK.format(url=public_url("/api/openapi.json"))})


@bp.route("/api/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 description, one path per query."""
    doc = openapi.document(
        catalog(),
        server_url=public_url("/"),
        select_formats=SELECT_FORMATS,
        graph_formats=GRAPH_FORMATS,
    )
    return _json(doc)


@bp.route("/api")
def page() -> Response:
    """Every query with its parameters, a form to try it and a link to the editor."""
    found = catalog()
    html = render_template(
        "api.html",
        queries=list(found),
        invalid=found.errors,
        **_form_context(list(found)),
        **_context(),
    )
    links = ", ".join(
        [
            _OPENAPI_LINK.format(url=public_url("/api/openapi.json")),
            f'<{public_url("/api/queries")}>; rel="alternate"; type="application/json"',
        ]
    )
    return Response(html, content_type=HTML.content_type, headers={"Link": links})


# --- running a query ----------------------------------------------------------------


def _negotiate(query: NamedQuery) -> Format:
    graph_answer = query.form in ("CONSTRUCT", "DESCRIBE")
    formats = GRAPH_FORMATS if graph_answer else SELECT_FORMATS
    requested = request.args.getlist("format")
    accept = request.headers.get("Accept")
    fmt = choose(formats, accept=accept, requested=requested)
    if fmt is None:
        offered = ", ".join(f"{f.media_type} (format={f.key})" for f in formats)
        asked = ", ".join(f"format={r}" for r in requested) or accept or ""
        raise ApiError(406, f"no offered format fits {asked!r}; offered: {offered}")
    if fmt is OBJECTS and not requested:
        # SPARQL clients list both JSON types; the one they name explicitly wins
        parsed = parse_accept(accept)
        named = [value for value, _ in parsed]
        wants_sparql = parsed.quality(SPARQL_JSON.media_type)
        if SPARQL_JSON.media_type in named and wants_sparql >= parsed.quality(OBJECTS.media_type):
            return SPARQL_JSON
    return fmt


@bp.route("/api/queries/<name>")
def run(name: str) -> Response:
    """Run one curated query with the request's parameters."""
    query = catalog().get(name)
    if query is None:
        known = ", ".join(q.name for q in catalog())
        raise ApiError(404, f"no query named {name!r}; the catalogue has: {known}")
    fmt = _negotiate(query)
    if fmt is HTML:
        g.api_html = (query, request.args)
    store = get_store()
    try:
        terms = query.bind(request.args.to_dict(flat=False), store=store)
    except ParameterError as exc:
        raise ApiError(400, str(exc), exc.parameter) from None
    config = current_app.config
    limit = limits.deadline(config["QUERY_TIMEOUT"], request.args.get("timeout"))
    rows = limits.max_rows(config["MAX_ROWS"], request.args.get("max-rows"))

    def evaluate() -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        # in a query worker where there are any, so the time and memory limits hold
        if (workers := get_workers()) is not None:
            return workers.query(
                query.text,
                default_graph=None,
                named_graphs=None,
                rows=rows,
                limit=limit,
                substitutions=terms,
            )
        return store.query(query.text, substitutions=terms)

    if fmt is HTML:
        return _html_answer(query, evaluate, rows=rows, limit=limit)

    answers, version = get_cache(), store.version()
    answers.sync(version)
    bound = sorted((k, str(v)) for k, v in terms.items())
    key = cache.key("api", query.name, query.text, bound, fmt.key, rows, version)
    tag = cache.etag(key)
    if (known := cached(key, tag)) is not None:
        return known
    body, truncated = _body(query, fmt, evaluate, rows=rows, limit=limit)
    return streamed(key, tag, body, fmt, truncated, version=version)


def _body(query: NamedQuery, fmt: Format, evaluate, *, rows: int, limit) -> tuple[Any, bool]:
    if query.form == "ASK":
        result = evaluate()
        limit.check()
        if fmt is OBJECTS:
            return [json.dumps({"boolean": bool(result)}).encode() + b"\n"], False
        return [boolean(_SPARQL_KEYS[fmt.key], result)], False
    if query.form in ("CONSTRUCT", "DESCRIBE"):
        triples, truncated = limits.cut(evaluate, rows=rows, limit=limit)
        return graph(fmt.key, triples, prefixes=prefixes(current_app.config["BASE_IRI"])), truncated
    names = list(query.variables)
    solutions, truncated = limits.cut(evaluate, rows=rows, limit=limit)
    if fmt is OBJECTS:
        return select_objects(names, solutions), truncated
    return SELECT_WRITERS[_SPARQL_KEYS[fmt.key]](names, solutions, truncated), truncated


def plain(term: object) -> Any:
    """A term as a plain JSON value: numbers and booleans typed, everything else a string."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal):
        return str(term)
    datatype, value = term.datatype.value, term.value
    try:
        if datatype in _INTEGERS:
            return int(value)
        if datatype == _XSD + "decimal":
            number = Decimal(value)
            return int(number) if number == number.to_integral_value() else float(number)
        if datatype in _FLOATS:
            number = float(value)
            return number if math.isfinite(number) else value
        if datatype == _XSD + "boolean":
            return value in ("true", "1")
    except (ValueError, ArithmeticError):
        return value
    return value


def select_objects(names: Sequence[str], rows: Iterable) -> Iterator[bytes]:
    """SELECT rows as a JSON array of objects ``{"var": value}`` (unbound: null)."""
    yield b"["
    first = True
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, CHUNK)):
        parts = [
            json.dumps(
                {n: plain(t) for n, t in zip(names, row, strict=True)},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in batch
        ]
        yield (("" if first else ",") + "\n" + ",\n".join(parts)).encode()
        first = False
    yield b"\n]\n"


# --- HTML ------------------------------------------------------------------------------


def _context() -> dict[str, Any]:
    return {
        "base": current_app.config["BASE_IRI"],
        "select_formats": [f for f in SELECT_FORMATS if f is not HTML],
        "graph_formats": [f for f in GRAPH_FORMATS if f is not HTML],
        "row_limit": current_app.config["MAX_ROWS"],
        "time_limit": current_app.config["QUERY_TIMEOUT"],
    }


_INSTANCES = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?resource (SAMPLE(?name) AS ?label) ?class WHERE {\n"
    "  ?resource a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?class .\n"
    '  OPTIONAL { ?resource skos:prefLabel ?name . FILTER(lang(?name) = "de") }\n'
    "} GROUP BY ?resource ?class ORDER BY ?label ?resource LIMIT 201"
)


def _choices(classes: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Up to 200 resources (IRI, label) of each class, for the forms' drop-down lists."""
    store, answers = get_store(), get_cache()
    version = store.version()
    key = cache.key("api-choices", sorted(classes), version)
    if (hit := answers.get(key)) is not None:
        return {k: [tuple(p) for p in v] for k, v in json.loads(hit.body).items()}
    out: dict[str, list[tuple[str, str]]] = {}
    for cls in sorted(classes):
        rows = store.query(_INSTANCES, substitutions={"class": ox.NamedNode(cls)})
        found = [(r["resource"].value, r["label"].value if r["label"] else "") for r in rows]
        if len(found) <= 200:
            out[cls] = [(iri, label) for iri, label in found if iri]
    answers.put(key, cache.Answer(json.dumps(out).encode(), "application/json"))
    return out


def _form_context(queries: Sequence[NamedQuery]) -> dict[str, Any]:
    classes = {p.cls for q in queries for p in q.parameters if p.cls}
    return {"choices": _choices(classes) if classes else {}, "short": ui.short}


def _query_page(
    query: NamedQuery,
    values: Any,
    *,
    names: Sequence[str] = (),
    rows: Iterable = (),
    truncated: bool = False,
    boolean_answer: bool | None = None,
    error: str | None = None,
    error_parameter: str | None = None,
) -> Iterator[bytes]:
    """The query's page: its documentation, the form with ``values``, the answer or error."""
    graph_answer = query.form in ("CONSTRUCT", "DESCRIBE")
    given = {k: v for k, v in values.items() if k != "format"}
    path = f"{request.script_root}/api/queries/{query.name}?"
    downloads = [
        (f, path + urlencode({**given, "format": f.key}))
        for f in (GRAPH_FORMATS if graph_answer else SELECT_FORMATS)
        if f is not HTML
    ]
    chunks = stream_template(
        "api_query.html",
        query=query,
        values=values,
        names=names,
        rows=([ui.cell(t) for t in row] for row in rows),
        truncated=truncated,
        boolean=boolean_answer,
        error=error,
        error_parameter=error_parameter,
        downloads=downloads,
        **_form_context([query]),
        **_context(),
    )
    return in_this_thread(chunk.encode("utf-8") for chunk in chunks)


def _html_answer(query: NamedQuery, evaluate, *, rows: int, limit) -> Response:
    values = request.args
    if query.form == "ASK":
        result = evaluate()
        limit.check()
        page = _query_page(query, values, boolean_answer=bool(result))
    elif query.form in ("CONSTRUCT", "DESCRIBE"):
        triples, truncated = limits.cut(evaluate, rows=rows, limit=limit)
        cells = ((t.subject, t.predicate, t.object) for t in triples)
        names = ["subject", "predicate", "object"]
        page = _query_page(query, values, names=names, rows=cells, truncated=truncated)
    else:
        solutions, truncated = limits.cut(evaluate, rows=rows, limit=limit)
        page = _query_page(
            query, values, names=query.variables, rows=solutions, truncated=truncated
        )
    twin = request.base_url + "?" + urlencode({**request.args.to_dict(), "format": "json"})
    headers = {"Link": f'<{twin}>; rel="alternate"; type="application/json"'}
    response = Response(page, content_type=HTML.content_type, headers=headers)
    response.vary.add("Accept")
    return response
