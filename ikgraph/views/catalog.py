"""For portals and crawlers: VoID, the DCAT-AP.de catalog, dumps, sitemap, robots.txt.

- ``/.well-known/void``: the `VoID <https://www.w3.org/TR/void/#well-known>`_
  description (:mod:`ikgraph.void`), Turtle unless ``Accept`` or ``?format=``
  asks for JSON-LD, RDF/XML or N-Triples.
- ``/catalog`` (``/catalog.ttl|.rdf|.jsonld|.nt``): the DCAT-AP.de 3.0 catalog
  (:mod:`ikgraph.dcat`).
- ``/dumps/``: the list of dumps (its RDF twin is the catalog) and the files
  themselves (:mod:`ikgraph.dumps`), with ``ETag``/``Last-Modified`` and 304s.
- ``/sitemap.xml`` (`sitemaps.org <https://www.sitemaps.org/protocol.html>`_)
  and ``/robots.txt``.

VoID, catalog and dumps are computed from the live store once per dataset
version (``store.version()``) and then served from memory or disk.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file

from ikgraph import dcat, void
from ikgraph.cache import etag, key
from ikgraph.dumps import BY_NAME, DUMP_FORMATS, GZIP, Dumps
from ikgraph.iris import meta_graph
from ikgraph.negotiation import GRAPH_FORMATS, HTML, Format, choose, describe
from ikgraph.serialize import graph
from ikgraph.views import get_store, public_url

bp = Blueprint("catalog", __name__)

#: Formats of VoID and the catalog; Turtle answers ``*/*`` and browsers.
FORMATS: tuple[Format, ...] = tuple(
    next(f for f in GRAPH_FORMATS if f.key == k) for k in ("ttl", "jsonld", "rdf", "nt")
)
_BY_EXT = {f.key: f for f in FORMATS}
_SITEMAP_MAX = 50_000
_BROWSE = ("/fields", "/organisations", "/districts", "/measures", "/ontology", "/shapes")


@dataclass
class State:
    """What this blueprint keeps per app: the dumps, and numbers per dataset version."""

    dumps: Dumps
    lock: threading.Lock = field(default_factory=threading.Lock)
    computed: dict[tuple[str, str], Any] = field(default_factory=dict)


@bp.record_once
def _init(setup) -> None:
    folder = Path(setup.app.config["DUMPS_DIR"])
    setup.app.extensions["ikgraph-catalog"] = State(Dumps(folder))


def state() -> State:
    return current_app.extensions["ikgraph-catalog"]


def per_version(name: str, compute) -> Any:
    """``compute(store)`` once per dataset version (the last version only is kept)."""
    store, memo = get_store(), state()
    version = store.version()
    with memo.lock:
        if (name, version) in memo.computed:
            return memo.computed[(name, version)]
    value = compute(store)
    with memo.lock:
        for stale in [k for k in memo.computed if k[0] == name]:
            del memo.computed[stale]
        memo.computed[(name, version)] = value
    return value


def facts() -> dcat.Facts:
    return per_version("facts", dcat.facts)


def root() -> str:
    return public_url("/")


def negotiate(ext: str | None = None) -> Format:
    if ext is not None:
        if ext not in _BY_EXT:
            abort(404)
        return _BY_EXT[ext]
    fmt = choose(
        FORMATS, accept=request.headers.get("Accept"), requested=request.args.getlist("format")
    )
    if fmt is None:
        text = f"no offered format fits; offered:\n{describe(FORMATS)}\n"
        abort(Response(text, status=406, content_type="text/plain; charset=utf-8"))
    return fmt


def rdf(
    triples: list[ox.Triple], fmt: Format, path: str, prefixes: dict[str, str], *, by_ext=True
) -> Response:
    """An RDF answer with an ETag of its content, ``Vary: Accept`` and its alternates
    (``path.ttl`` … or, ``by_ext=False``, ``path?format=ttl`` …)."""
    first: dict[object, int] = {}
    for t in triples:
        first.setdefault(t.subject, len(first))
    by_subject = sorted(triples, key=lambda t: first[t.subject])  # one block per subject
    body = b"".join(graph(fmt.key, by_subject, prefixes=prefixes))
    tag = etag(key(path, fmt.key, hashlib.sha256(body).hexdigest()))
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(body, content_type=fmt.content_type)
    response.set_etag(tag, weak=True)
    response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f"<{public_url(f'{path}.{f.key}' if by_ext else f'{path}?format={f.key}')}>; "
        f'rel="alternate"; type="{f.media_type}"'
        for f in FORMATS
        if f is not fmt
    )
    return response


# --- VoID ---------------------------------------------------------------------------


def void_triples() -> list[ox.Triple]:
    """The VoID description; built once per version (and public URL), so its ETag holds."""
    return per_version(f"void {root()}", lambda _store: _void_triples())


def _void_triples() -> list[ox.Triple]:
    config = current_app.config
    base = config["BASE_IRI"]
    stats = per_version("statistics", lambda s: void.statistics(s, uri_space=f"{base}id/"))
    modified = facts().modified
    return void.describe(
        stats,
        dataset=dcat.iris(base)["dataset"],
        uri_space=f"{base}id/",
        vocabulary=f"{base}ontology#",
        sparql_endpoint=public_url("/sparql"),
        dumps=[public_url(f"/dumps/{f.name}") for f in DUMP_FORMATS],
        graph_dumps={
            g: public_url(f"/{g[len(base) :]}.nt")
            for g in stats.graph_triples
            if g.startswith(base)
        },
        title=dcat.TITLE,
        modified=ox.Literal(modified.isoformat(), datatype=ox.NamedNode(void.XSD + "dateTime"))
        if modified
        else None,
        license=config["LICENSE"],
    )


@bp.route("/.well-known/void")
def well_known_void() -> Response:
    """The VoID description of the dataset, computed from the store."""
    return rdf(void_triples(), negotiate(), "/.well-known/void", void.PREFIXES, by_ext=False)


# --- catalog and dumps ----------------------------------------------------------------


def catalog_triples() -> list[ox.Triple]:
    """The catalog; built once per version (and public URL), so its ETag holds."""
    return per_version(f"catalog {root()}", lambda _store: _catalog_triples())


def _catalog_triples() -> list[ox.Triple]:
    dumps = state().dumps.current(get_store())
    pub = dcat.Publication.from_settings(current_app.config, root=root())
    return dcat.catalog(pub, facts(), [dumps[f.name] for f in DUMP_FORMATS])


@bp.route("/catalog")
@bp.route("/catalog.<ext>")
def catalog(ext: str | None = None) -> Response:
    """The DCAT-AP.de 3.0 catalog: dataset, a distribution per dump, the SPARQL service."""
    return rdf(catalog_triples(), negotiate(ext), "/catalog", dcat.PREFIXES)


@bp.route("/dumps/")
def dumps_index() -> Response:
    """The dumps, their sizes and checksums; the catalog for RDF clients."""
    accept, asked = request.headers.get("Accept"), request.args.getlist("format")
    fmt = choose((HTML, *FORMATS), accept=accept, requested=asked) or HTML
    if fmt is not HTML:
        return rdf(catalog_triples(), fmt, "/catalog", dcat.PREFIXES)
    files = state().dumps.current(get_store())
    html = render_template(
        "dumps.html",
        base=current_app.config["BASE_IRI"],
        dumps=[files[f.name] for f in DUMP_FORMATS],
        modified=facts().modified,
    )
    response = Response(html, content_type=HTML.content_type)
    response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{public_url(f"/catalog.{f.key}")}>; rel="alternate"; type="{f.media_type}"'
        for f in FORMATS
    )
    return response


@bp.route("/dumps/<name>")
def dump_file(name: str) -> Response:
    """One dump file; conditional GET by ETag (its SHA-256) or Last-Modified."""
    if name not in BY_NAME:
        abort(404)
    dump = state().dumps.get(get_store(), name)
    if dump is None:
        abort(404)
    fmt = dump.format
    changed = facts().modified or dump.modified
    response = send_file(
        dump.path,
        mimetype=GZIP if fmt.gzip else fmt.media_type,
        download_name=fmt.name,
        conditional=True,
        etag=dump.sha256,
        last_modified=changed,
        max_age=0,
    )
    if not fmt.gzip and fmt.media_type.startswith("text/"):
        response.content_type = f"{fmt.media_type}; charset=utf-8"
    response.headers["Link"] = f'<{public_url("/catalog")}>; rel="describedby"; type="text/turtle"'
    return response


# --- sitemap and robots.txt -------------------------------------------------------------


def resource_urls() -> list[str]:
    """The public URLs of every resource page (IRIs under ``{base}id/`` outside ``graph/meta``)."""
    base = current_app.config["BASE_IRI"]
    rows = get_store().query(
        "SELECT DISTINCT ?space ?meta ?s WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(?g != ?meta && isIRI(?s) && STRSTARTS(STR(?s), ?space)) } ORDER BY ?s",
        substitutions={"space": ox.Literal(f"{base}id/"), "meta": ox.NamedNode(meta_graph(base))},
    )
    pages = [public_url(p) for p in _BROWSE]
    return pages + [public_url(r["s"].value[len(base) :]) for r in rows]


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every resource page; an index of numbered parts when there are more than 50,000."""
    urls = per_version(f"sitemap {root()}", lambda _store: resource_urls())
    changed = facts().modified
    lastmod = f"<lastmod>{changed.astimezone(UTC).date().isoformat()}</lastmod>" if changed else ""
    parts = max(1, -(-len(urls) // _SITEMAP_MAX))
    part = request.args.get("part", type=int)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if parts > 1 and part is None:
        entries = "".join(
            f"<sitemap><loc>{escape(public_url(f'/sitemap.xml?part={n}'))}</loc>{lastmod}</sitemap>\n"
            for n in range(1, parts + 1)
        )
        body = f"{head}<sitemapindex {ns}>\n{entries}</sitemapindex>\n"
    else:
        start = ((part or 1) - 1) * _SITEMAP_MAX
        chosen = urls[start : start + _SITEMAP_MAX]
        if not chosen and part:
            abort(404)
        entries = "".join(f"<url><loc>{escape(u)}</loc>{lastmod}</url>\n" for u in chosen)
        body = f"{head}<urlset {ns}>\n{entries}</urlset>\n"
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.route("/robots.txt")
def robots() -> Response:
    """Crawl the pages, not the query endpoints; where the sitemap is."""
    text = (
        "User-agent: *\n"
        "Disallow: /sparql\n"
        "Disallow: /search\n"
        "Disallow: /update\n"
        "Disallow: /graph-store\n"
        "Allow: /\n"
        f"Sitemap: {public_url('/sitemap.xml')}\n"
    )
    return Response(text, content_type="text/plain; charset=utf-8")
