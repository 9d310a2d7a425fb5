"""HTML for people: the home page at ``/`` and the query page of ``/sparql``.

The query page works without JavaScript (the form submits a GET to
``/sparql`` and the answer comes back as an HTML table) and, with it, runs
queries by ``fetch`` and shows them in place. Example queries come from the
``.rq`` files in ``IKGRAPH_QUERIES_DIR``, read with the catalogue's header
format (:mod:`ikgraph.querycatalog`: ``#+ title@de: …``). Every page links
its machine-readable twin (``Link: rel="alternate"``): the service
description. Nothing here fetches from another host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, stream_template

from ikgraph import querycatalog
from ikgraph.cache import Answer, key
from ikgraph.negotiation import GRAPH_FORMATS, HTML, RESULT_FORMATS
from ikgraph.serialize import XSD_STRING, prefixes
from ikgraph.views import get_cache, get_store, local_href, public_url

bp = Blueprint("ui", __name__)

_LOCAL = re.compile(r"[A-Za-z_][\w./-]*")
_ALTERNATE = '<{url}>; rel="alternate"; type="text/turtle"'


@dataclass(frozen=True)
class Example:
    """One example query from ``queries/NAME.rq``."""

    name: str
    title: str
    title_en: str
    description: str
    query: str


def read_example(path: Path) -> Example:
    """An example from its file: the catalogue header, then the query."""
    text = path.read_text(encoding="utf-8")
    try:
        header = querycatalog.parse(text, name=path.stem)
    except querycatalog.CatalogError:  # a broken header still leaves a runnable example
        header = querycatalog.NamedQuery(name=path.stem, text=text)
    return Example(
        name=path.stem,
        title=header.title("de"),
        title_en=header.title("en"),
        description=header.description("en"),
        query=text,
    )


def load_examples(folder: str | Path) -> list[Example]:
    """The example queries of ``folder``, sorted by file name; none if it is absent."""
    path = Path(folder)
    return [read_example(p) for p in sorted(path.glob("*.rq"))] if path.is_dir() else []


def prefix_block(base: str) -> str:
    """``PREFIX`` lines for the query editor."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes(base).items())


def default_query(base: str) -> str:
    return prefix_block(base) + (
        "\nSELECT ?measure ?label WHERE {\n"
        "  VALUES ?type { ikg:Measure ikg:Programme ikg:Project }\n"
        "  ?measure a ?type ; skos:prefLabel ?label .\n"
        '  FILTER(lang(?label) = "de")\n'
        "}\nORDER BY ?label\nLIMIT 50\n"
    )


def _examples() -> list[Example]:
    return load_examples(current_app.config["QUERIES_DIR"])


def _alternate() -> dict[str, str]:
    return {"Link": _ALTERNATE.format(url=public_url("/sparql?format=ttl"))}


def _page_context() -> dict:
    base = current_app.config["BASE_IRI"]
    examples = _examples()
    return {
        "base": base,
        "examples": examples,
        "example_data": {e.name: asdict(e) for e in examples},
        "prefixes": prefixes(base),
        "result_formats": [f for f in RESULT_FORMATS if f is not HTML],
        "graph_formats": [f for f in GRAPH_FORMATS if f is not HTML],
    }


def _stats() -> dict:
    """Named graphs and their triple counts; computed once per store version."""
    store = get_store()
    version = store.version()
    cache_key = key("home-stats", version)
    answers = get_cache()
    hit = answers.get(cache_key)
    if hit is not None:
        return json.loads(hit.body)
    counts = {g: 0 for g in store.graphs()}
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    for row in rows:
        counts[row["g"].value] = int(row["n"].value)
    stats = {"graphs": sorted(counts.items()), "triples": sum(counts.values())}
    answers.put(cache_key, Answer(json.dumps(stats).encode(), "application/json"))
    return stats


@bp.route("/")
def home() -> Response:
    """What ikgraph is, how much it holds, where to go next."""
    html = render_template("home.html", stats=_stats(), **_page_context())
    return Response(html, content_type=HTML.content_type, headers=_alternate())


def query_page(status: int = 200) -> Response:
    """The query editor, pre-filled from ``query=``, ``example=`` or the default."""
    context = _page_context()
    query = request.values.get("query")
    if query is None and (name := request.values.get("example")):
        query = next((e.query for e in context["examples"] if e.name == name), None)
    if query is None:
        query = default_query(context["base"])
    html = render_template("query.html", query=query, **context)
    response = Response(html, status=status, content_type=HTML.content_type, headers=_alternate())
    response.vary.add("Accept")
    return response


def short(iri: str) -> str:
    """``ikg:Measure`` for an IRI under a known prefix, else the IRI."""
    for prefix, namespace in prefixes(current_app.config["BASE_IRI"]).items():
        if iri.startswith(namespace) and _LOCAL.fullmatch(iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def cell(term: object) -> dict:
    """What the results table shows for one term."""
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        return {"text": short(term.value), "href": local_href(term.value), "title": term.value}
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"text": term.value, "lang": term.language, "note": f"@{term.language}"}
        datatype = term.datatype.value
        note = "" if datatype == XSD_STRING else f"^^{short(datatype)}"
        return {"text": term.value, "note": note}
    return {"text": str(term)}


def results_page(
    query: str,
    *,
    names: Sequence[str] = (),
    rows: Iterable[Iterable[object]] = (),
    truncated: bool = False,
    boolean: bool | None = None,
) -> Iterator[bytes]:
    """The query page with an answer as an HTML table, streamed row by row."""
    table = ([cell(t) for t in row] for row in rows)
    graph = list(names) == ["subject", "predicate", "object"]
    chunks = stream_template(
        "results.html",
        query=query,
        names=names,
        rows=table,
        truncated=truncated,
        boolean=boolean,
        downloads=[f for f in (GRAPH_FORMATS if graph else RESULT_FORMATS) if f is not HTML],
        **_page_context(),
    )
    return (chunk.encode("utf-8") for chunk in chunks)


def send_page(html: Iterator[bytes]) -> Response:
    """A streamed HTML answer, with its machine-readable twin linked."""
    response = Response(html, content_type=HTML.content_type, headers=_alternate())
    response.vary.add("Accept")
    return response
