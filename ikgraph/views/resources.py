"""Linked data: every IRI under the base answers, for people and for programs.

`Cool URIs for the Semantic Web <https://www.w3.org/TR/cooluris/>`_: the
service maps its URL space onto the base IRI (:func:`~ikgraph.views.local_href`),
so ``/id/measure/wir`` dereferences ``{base}id/measure/wir``. Each answer is
negotiated in :mod:`ikgraph.negotiation` (a file extension such as
``/id/measure/wir.ttl``, else ``?format=``, else ``Accept`` with q-values) and
carries ``Vary: Accept`` and ``Link: <…>; rel="alternate"`` to its other formats.

- ``/id/…``: the resource's concise bounded description (all triples with it as
  subject, recursively through blank nodes) plus the labels of what it links
  to; for browsers a page with its links and the incoming links that matter.
- ``/ontology`` (hash IRIs ``/ontology#Measure``) and ``/shapes``: the whole
  documents from ``ontology/`` and ``shapes/``, or their HTML documentation.
- ``/graph/{name}``: a named graph's content; its page shows its provenance
  from ``graph/meta``.
- Browse pages ``/fields``, ``/organisations``, ``/districts``, ``/measures``
  and ``/search``; their RDF twin is a ``hydra:Collection`` of what they list.

Pages speak German or English (``?lang=``, else ``Accept-Language``, else
German). Every query goes through the store interface; values taken from a
request are bound with ``substitutions=``, never pasted into query text.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, abort, current_app, render_template, request

from ikgraph import model
from ikgraph.cache import etag, key
from ikgraph.iris import RDF_TYPE, meta_graph, slugify
from ikgraph.negotiation import GRAPH_FORMATS, HTML, Format, choose, describe
from ikgraph.serialize import XSD_STRING, graph, prefixes
from ikgraph.views import get_store, local_href, public_url

bp = Blueprint("resources", __name__)

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
PREF_LABEL, RDFS_LABEL = SKOS + "prefLabel", RDFS + "label"
LANGS = ("de", "en")
#: RDF formats of a resource, then HTML; the first answers ``*/*``.
FORMATS: tuple[Format, ...] = (
    *(next(f for f in GRAPH_FORMATS if f.key == k) for k in ("ttl", "jsonld", "rdf", "nt")),
    HTML,
)
_BY_EXT = {f.key: f for f in FORMATS}
_EXT = re.compile(r"^(?P<path>.+?)\.(?P<ext>ttl|jsonld|rdf|nt|html)$")
_CHUNK = 400
_INCOMING_PER_PROPERTY = 200
PAGE_SIZE = 50
LIST_PAGES = ("/fields", "/organisations", "/districts", "/measures", "/search")
MEASURE_CLASSES = "ikg:Measure ikg:Programme ikg:Project"
#: Classes of organisations by sector; those that can be responsible for a measure are levels.
SECTORS = ("StateBody", "District", "Municipality", "CivilSocietyOrganisation", "Conference")

_MORE_PREFIXES = {
    "owl": OWL,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "cv": "http://data.europa.eu/m8g/",
    "time": "http://www.w3.org/2006/time#",
    "sh": SH,
    "adms": "http://www.w3.org/ns/adms#",
    "hydra": HYDRA,
}

#: Names (de | en) of reused terms that the ontology does not name.
_NAMES = """
rdf:type Typ | Type
skos:prefLabel Name | Name
skos:altLabel Auch genannt | Also known as
rdfs:label Bezeichnung | Label
skos:note Anmerkung | Note
skos:definition Definition | Definition
skos:scopeNote Anwendungshinweis | Scope note
skos:editorialNote Redaktionelle Anmerkung | Editorial note
skos:notation Kennung | Notation
skos:inScheme Begriffsschema | In scheme
skos:topConceptOf Oberbegriff in | Top concept of
skos:hasTopConcept Oberbegriffe | Top concepts
skos:closeMatch Entspricht ungefähr | Close match
skos:relatedMatch Verwandt mit | Related match
dcterms:description Beschreibung | Description
dcterms:source Quelle | Source
dcterms:spatial Raumbezug | Spatial coverage
dcterms:subject Handlungsfeld | Field of action
dcterms:isPartOf Teil von | Part of
dcterms:hasPart Umfasst | Has part
dcterms:date Datum | Date
dcterms:relation Bezug | Related
dcterms:references Verweist auf | References
dcterms:replaces Ersetzt | Replaces
dcterms:isVersionOf Fassung von | Version of
dcterms:hasVersion Fassungen | Versions
org:classification Art | Kind
org:subOrganizationOf Teil von | Part of
org:unitOf Einheit von | Unit of
org:hasUnit Einheiten | Units
org:purpose Zweck | Purpose
org:member Mitglied | Member
org:organization Organisation | Organisation
org:role Rolle | Role
org:memberDuring Zeitraum | Period
org:changedBy Verändert durch | Changed by
org:originalOrganization Ursprüngliche Organisation | Original organisation
org:resultingOrganization Hervorgegangene Organisation | Resulting organisation
org:Membership Mitgliedschaft | Membership
schema:startDate Beginn | Start
schema:endDate Ende | End
schema:funder Geldgeber | Funder
schema:value Betrag | Amount
schema:currency Währung | Currency
schema:location Ort | Place
schema:foundingDate Gegründet | Founded
schema:sameAs Dasselbe wie | Same as
schema:organizer Veranstalter | Organiser
prov:wasAttributedTo Beigetragen von | Contributed by
prov:generatedAtTime Erzeugt am | Generated at
prov:wasGeneratedBy Erzeugt durch | Generated by
skos:ConceptScheme Begriffsschema | Concept scheme
"""

#: Sections of the links to a resource: the classes of the linking things = (de | en).
_KINDS = """
ikg:Programme ikg:Project ikg:Measure = Maßnahmen | Measures
ikg:Target = Ziele | Targets
ikg:WorkingGroup = Arbeitsgruppen | Working groups
org:Membership = Mitgliedschaften | Memberships
ikg:Municipality = Gemeinden | Municipalities
ikg:StateBody ikg:District ikg:CivilSocietyOrganisation = Organisationen | Organisations
ikg:Conference = Organisationen | Organisations
ikg:PlenarySession schema:Event = Sitzungen | Sessions
ikg:PlanVersion ikg:IntegrationPlan = Integrationsplan | Integration plan
ikg:Indicator = Indikatoren | Indicators
qb:Observation = Beobachtungen | Observations
ikg:PolicyDocument eli:LegalResource = Dokumente | Documents
"""
_OTHER_KIND = {"de": "Weitere Verweise", "en": "Other links"}

#: Properties shown first on a page, in this order; ``dcterms:source`` comes last.
_ORDER = (
    "rdf:type",
    "skos:prefLabel",
    "skos:altLabel",
    "dcterms:description",
    "ikg:responsibleOrganisation",
    "ikg:partner",
    "dcterms:isPartOf",
    "ikg:fundedBy",
    "ikg:implements",
    "schema:funder",
    "dcterms:subject",
    "ikg:contributesTo",
    "schema:startDate",
    "schema:endDate",
    "ikg:status",
    "ikg:budget",
    "dcterms:spatial",
)


# --- terms, names and languages ---------------------------------------------------


def all_prefixes() -> dict[str, str]:
    return {**prefixes(current_app.config["BASE_IRI"]), **_MORE_PREFIXES}


def q(sparql: str, **bound: ox.NamedNode | ox.Literal):
    """Run ``sparql`` (with the prefixes declared) on the store, variables bound by ``bound``."""
    head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in all_prefixes().items())
    return get_store().query(head + sparql, substitutions=bound or None)


def values(iris: Iterable[str]) -> str:
    """IRIs from the store as the body of a ``VALUES`` clause (each serialised by Oxigraph)."""
    return " ".join(str(ox.NamedNode(i)) for i in iris)


def short(iri: str) -> str:
    """``ikg:Measure`` for an IRI under a known prefix, else the IRI."""
    for prefix, namespace in all_prefixes().items():
        rest = iri[len(namespace) :]
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z_][\w.-]*", rest or "-"):
            return f"{prefix}:{rest}"
    return iri


def expand(curie: str) -> str:
    prefix, _, rest = curie.partition(":")
    return all_prefixes()[prefix] + rest


def visitor_lang() -> str:
    """``?lang=de|en``, else the best of ``Accept-Language``, else German."""
    asked = request.args.get("lang", "")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS, default="de")


def pick(literals: Iterable[ox.Literal], lang: str) -> ox.Literal | None:
    """The literal in ``lang``, else German, else English, else untagged, else any."""
    found = list(literals)
    for wanted in (lang, "de", "en", ""):
        for lit in found:
            if (lit.language or "").split("-")[0] == wanted:
                return lit
    return found[0] if found else None


@lru_cache(maxsize=4)
def _term_names(base: str) -> dict[str, dict[str, str]]:
    """Names of terms per language: the ontology's ``rdfs:label``, then the table above."""
    namespaces = {**prefixes(base), **_MORE_PREFIXES}
    names: dict[str, dict[str, str]] = {}
    for line in _NAMES.strip().splitlines():
        curie, words = line.split(" ", 1)
        prefix, _, rest = curie.partition(":")
        de, en = (w.strip() for w in words.split("|"))
        names[namespaces[prefix] + rest] = {"de": de, "en": en}
    for s, _, o in model.ontology(base).triples((None, rdflib.URIRef(RDFS_LABEL), None)):
        names.setdefault(str(s), {})[getattr(o, "language", None) or ""] = str(o)
    return names


def term_name(iri: str, lang: str) -> str:
    names = _term_names(current_app.config["BASE_IRI"]).get(iri, {})
    return names.get(lang) or names.get("en") or names.get("de") or short(iri)


Labels = dict[str, list[tuple[str, ox.Literal]]]


def fetch_labels(iris: Iterable[str]) -> Labels:
    """``skos:prefLabel`` (first) and ``rdfs:label`` literals of each IRI, with their property."""
    out: Labels = {}
    todo = sorted(set(iris))
    for i in range(0, len(todo), _CHUNK):
        rows = q(
            f"SELECT ?x ?lp ?l WHERE {{ VALUES ?x {{ {values(todo[i : i + _CHUNK])} }} "
            "VALUES ?lp { skos:prefLabel rdfs:label } ?x ?lp ?l FILTER(isLiteral(?l)) }"
        )
        found = [(r["x"].value, r["lp"].value, r["l"]) for r in rows]
        for x, lp, lit in sorted(found, key=lambda t: t[1] != PREF_LABEL):
            out.setdefault(x, []).append((lp, lit))
    return out


def label(iri: str, labels: Labels, lang: str) -> str:
    """The name of ``iri`` in ``lang`` (or the nearest), else its term name or CURIE."""
    lit = pick((lit for _, lit in labels.get(iri, [])), lang)
    return lit.value if lit is not None else term_name(iri, lang)


def link(iri: str, labels: Labels, lang: str, **more: object) -> dict:
    return {"href": local_href(iri), "text": label(iri, labels, lang), "iri": iri, **more}


# --- answers ------------------------------------------------------------------------


def split_ext(path: str) -> tuple[str, Format | None]:
    """``/id/measure/wir.ttl`` → (``/id/measure/wir``, Turtle)."""
    match = _EXT.match(path)
    return (match["path"], _BY_EXT[match["ext"]]) if match else (path, None)


def negotiate(explicit: Format | None = None) -> Format:
    """The format asked for: a file extension, else ``?format=``, else ``Accept``."""
    if explicit is not None:
        return explicit
    accept, asked = request.headers.get("Accept"), request.args.getlist("format")
    fmt = choose(FORMATS, accept=accept, requested=asked)
    if fmt is None:
        text = f"no offered format fits; offered:\n{describe(FORMATS)}\n"
        abort(Response(text, status=406, content_type="text/plain; charset=utf-8"))
    return fmt


def twin(path: str, fmt: Format, *, local: bool = False) -> str:
    """The URL of ``path`` in ``fmt``: ``path.ttl`` for a resource or document, and
    ``path?…&format=ttl`` (its query kept) for a list page."""
    if path in LIST_PAGES:
        args = {k: v for k, v in request.args.items() if k not in ("format", "lang")}
        url = f"{path}?{urlencode({**args, 'format': fmt.key})}"
    else:
        url = f"{path}.{fmt.key}"
    return request.script_root + url if local else public_url(url)


def alternates(path: str, served: Format) -> str:
    """``Link`` header value naming the other formats of ``path``."""
    return ", ".join(
        f'<{twin(path, f)}>; rel="alternate"; type="{f.media_type}"'
        for f in FORMATS
        if f is not served
    )


def finish(response: Response, path: str, fmt: Format, lang: str | None) -> Response:
    """Add ``Vary``, the alternates and, for pages, the language."""
    if response.status_code < 400:
        response.headers["Link"] = alternates(path, fmt)
    response.vary.add("Accept")
    if fmt is HTML:
        response.vary.add("Accept-Language")
        response.headers["Content-Language"] = lang or "de"
    return response


def fresh(path: str, fmt: Format, lang: str | None, *extra: object) -> tuple[str, Response | None]:
    """A weak ETag for this answer of the dataset version, and a 304 if the client has it."""
    tag = etag(key("linked-data", get_store().version(), path, fmt.key, lang, *extra))
    if not request.if_none_match.contains_weak(tag):
        return tag, None
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    return tag, finish(response, path, fmt, lang)


def rdf_answer(triples: Iterable[ox.Triple], fmt: Format, path: str, tag: str) -> Response:
    body = graph(fmt.key, triples, prefixes=all_prefixes())
    response = Response(body, content_type=fmt.content_type)
    response.set_etag(tag, weak=True)
    return finish(response, path, fmt, None)


def tr(lang: str):
    """``tr("Maßnahmen", "Measures")`` in templates: the words in the page's language."""
    return lambda de, en: de if lang == "de" else en


def page(template: str, path: str, lang: str, tag: str | None = None, **context) -> Response:
    """An HTML page of the linked-data views, in ``lang``, with its twins linked."""
    status = context.pop("status", 200)
    other = "en" if lang == "de" else "de"
    html = render_template(
        template,
        lang=lang,
        tr=tr(lang),
        base=current_app.config["BASE_IRI"],
        twins=[(f, twin(path, f, local=True)) for f in FORMATS[:-1]],
        other_lang=other,
        switch=request.path + "?" + urlencode({**request.args.to_dict(), "lang": other}),
        **context,
    )
    response = Response(html, status=status, content_type=HTML.content_type)
    if tag:
        response.set_etag(tag, weak=True)
    return finish(response, path, HTML, lang)


def current_iri(path: str) -> str:
    """The IRI under the base that a local path stands for."""
    return current_app.config["BASE_IRI"] + path.lstrip("/")


def not_found(fmt: Format, path: str) -> Response:
    """404 in the asked format: a page for browsers, a line of text otherwise."""
    if fmt is HTML:
        return page("not_found.html", path, visitor_lang(), status=404, iri=current_iri(path))
    text = f"not found: no data about {current_iri(path)}\n"
    response = Response(text, status=404, content_type="text/plain; charset=utf-8")
    return finish(response, path, fmt, None)


# --- descriptions -------------------------------------------------------------------


def _cbd_query(depth: int) -> str:
    branches = ["{ ?r ?p ?o }"]
    for d in range(1, depth + 1):
        names = ["?r", *(f"?b{i}" for i in range(1, d)), "?s"]
        steps = itertools.pairwise(names)
        chain = " ".join(f"{a} ?p{i} {b} . FILTER(isBlank({b}))" for i, (a, b) in enumerate(steps))
        branches.append(f"{{ {chain} ?s ?p ?o }}")
    return "SELECT ?r ?s ?p ?o WHERE { " + " UNION ".join(branches) + " }"


def cbd(iri: str) -> list[ox.Triple]:
    """The concise bounded description of ``iri``: its triples, and on through blank nodes.

    `CBD <https://www.w3.org/submissions/CBD/>`_. Blank-node chains are followed
    level by level in one query; a chain longer than it reaches is asked again
    with twice the depth.
    """
    subject, depth, found = ox.NamedNode(iri), 3, -1
    while True:
        rows = q(_cbd_query(depth), r=subject)
        triples = {ox.Triple(r["s"] or subject, r["p"], r["o"]) for r in rows}
        described = {t.subject for t in triples}
        open_ends = any(
            isinstance(t.object, ox.BlankNode) and t.object not in described for t in triples
        )
        if not open_ends or len(triples) == found or depth >= 48:
            return sorted(triples, key=lambda t: (isinstance(t.subject, ox.BlankNode), str(t)))
        depth, found = depth * 2, len(triples)


def with_labels(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The triples, then the labels (``skos:prefLabel``, ``rdfs:label``) of what they link to."""
    objects = {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
    found = fetch_labels(objects)
    return triples + [
        ox.Triple(ox.NamedNode(x), ox.NamedNode(p), lit)
        for x, lits in found.items()
        for p, lit in lits
    ]


def _number(value: str, lang: str) -> str:
    whole, _, frac = value.partition(".")
    if not whole.lstrip("-").isdigit():
        return value
    grouped, frac = f"{int(whole):,}", frac.rstrip("0")
    if lang == "de":
        return grouped.replace(",", ".") + ("," + frac if frac else "")
    return grouped + ("." + frac if frac else "")


def property_rows(triples: list[ox.Triple], root: ox.NamedNode, labels: Labels, lang: str):
    """The property table of ``root``: a row per property; blank nodes become nested tables.

    Texts in several languages show only those in the visitor's; names
    (``skos:prefLabel``) show all; an ``rdfs:label`` that repeats a name is left out.
    """
    by_subject: dict[object, dict[str, list]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
    seen: set = set()

    def show(term) -> dict:
        if isinstance(term, ox.NamedNode):
            return link(term.value, labels, lang)
        if isinstance(term, ox.BlankNode):
            return {"rows": rows(term)}
        datatype = term.datatype.value
        if datatype in (XSD + "decimal", XSD + "integer"):
            return {"text": _number(term.value, lang), "note": short(datatype)}
        note = "" if datatype == XSD_STRING or term.language else short(datatype)
        return {"text": term.value, "lang": term.language or "", "note": note}

    def rows(subject) -> list[dict]:
        if subject in seen:
            return []
        seen.add(subject)
        props = by_subject.get(subject, {})
        names = {lit.value for lit in props.get(PREF_LABEL, [])}
        out = []
        for prop, objects in props.items():
            if prop == RDFS_LABEL and {o.value for o in objects} <= names:
                continue
            if prop == RDF_TYPE and isinstance(subject, ox.BlankNode):
                continue  # a budget's type says no more than the property that leads to it
            shown = objects if prop == PREF_LABEL else _in_lang(objects, lang)
            out.append(
                {
                    **link(prop, {}, lang),
                    "text": term_name(prop, lang),
                    "objects": sorted((show(o) for o in shown), key=_order_key),
                }
            )
        return sorted(out, key=lambda r: _rank(r["iri"], r["text"]))

    return rows(root)


def _order_key(shown: dict) -> str:
    """Values by their text; nested descriptions (budgets) by their dates, then their texts."""
    if "rows" not in shown:
        return shown.get("text", "")
    firsts = [r["objects"][0] for r in shown["rows"] if r["objects"]]
    dated = [v["text"] for v in firsts if v.get("note", "").startswith(("xsd:gYear", "xsd:date"))]
    return "\x00" + "|".join(dated + [_order_key(v) for v in firsts])


def _in_lang(objects: list, lang: str) -> list:
    tagged = [o for o in objects if isinstance(o, ox.Literal) and o.language]
    mine = [o for o in tagged if o.language.split("-")[0] == lang]
    return [o for o in objects if o not in tagged or o in mine] if mine else objects


def _rank(iri: str, name: str) -> tuple:
    curie = short(iri)
    if curie in _ORDER:
        return (0, _ORDER.index(curie), "")
    return (2 if curie == "dcterms:source" else 1, 0, name.lower())


def _kind(types: set[str], lang: str) -> tuple[int, str]:
    """The section (index, name) for a linking thing of these classes."""
    lines = [line.split(" = ") for line in _KINDS.strip().splitlines()]
    for classes, names in lines:
        if any(expand(c) in types for c in classes.split()):
            first = next(i for i, (_, other) in enumerate(lines) if other == names)
            return first, names.split(" | ")[LANGS.index(lang)]
    return len(lines), _OTHER_KIND[lang]


def incoming(iri: str, lang: str) -> list[dict]:
    """What links to ``iri``, as sections by kind (measures, targets, memberships …).

    Each linking thing says by which properties it links (responsible
    organisation, partner, part of …); a few hundred per property are listed, the rest counted.
    """
    subject = ox.NamedNode(iri)
    counted = q(
        "SELECT ?r ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?r FILTER(isIRI(?s)) } "
        "GROUP BY ?r ?p",
        r=subject,
    )
    counts = {r["p"].value: int(r["n"].value) for r in counted}
    links: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    for prop in counts:
        rows = q(
            "SELECT ?r ?p ?s ?t WHERE { ?s ?p ?r FILTER(isIRI(?s)) OPTIONAL { ?s a ?t } } "
            f"LIMIT {_INCOMING_PER_PROPERTY * 3}",
            r=subject,
            p=ox.NamedNode(prop),
        )
        for row in rows:
            links.setdefault(row["s"].value, set()).add(prop)
            if row["t"] is not None:
                types.setdefault(row["s"].value, set()).add(row["t"].value)
        counts[prop] -= sum(1 for props in links.values() if prop in props)  # left unlisted
    labels, base = fetch_labels(links), current_app.config["BASE_IRI"]
    sections: dict[int, dict] = {}
    for s, props in links.items():
        index, name = _kind(types.get(s, set()), lang)
        section = sections.setdefault(index, {"name": name, "links": [], "props": set()})
        section["props"] |= props
        kinds = {term_name(t, lang) for t in types.get(s, set()) if t.startswith(base)}
        via = sorted(term_name(p, lang) for p in props)
        section["links"].append(link(s, labels, lang, via=via, kinds=sorted(kinds)))
    for section in sections.values():
        section["links"].sort(key=lambda i: slugify(i["text"]))
        section["more"] = max(counts[p] for p in section["props"])
    return [sections[i] for i in sorted(sections)]


# --- /id/… --------------------------------------------------------------------------


@bp.route("/id/<path:rest>")
def resource(rest: str) -> Response:
    """Dereference ``{base}id/…``: RDF (CBD plus labels) or its page."""
    path, explicit = split_ext(f"/id/{rest}")
    fmt = negotiate(explicit)
    iri, lang = current_iri(path), visitor_lang() if fmt is HTML else None
    tag, unchanged = fresh(path, fmt, lang)
    if unchanged:
        return unchanged
    triples = cbd(iri)
    if not triples:
        return not_found(fmt, path)
    if fmt is not HTML:
        return rdf_answer(with_labels(triples), fmt, path, tag)
    root = ox.NamedNode(iri)
    objects = {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
    labels = fetch_labels({iri} | objects)
    own = [t for t in triples if t.subject == root]
    description = pick([t.object for t in own if t.predicate.value == DCT + "description"], lang)
    rows = property_rows(triples, root, labels, lang)
    if description is not None:
        rows = [r for r in rows if r["iri"] != DCT + "description"]
    types = [t.object.value for t in own if t.predicate.value == RDF_TYPE]
    in_graphs = q("SELECT DISTINCT ?r ?g WHERE { GRAPH ?g { ?r ?p ?o } } ORDER BY ?g", r=root)
    return page(
        "resource.html",
        path,
        lang,
        tag,
        iri=iri,
        title=label(iri, labels, lang),
        types=[{**link(t, {}, lang), "text": term_name(t, lang)} for t in types],
        description=description,
        rows=rows,
        sections=incoming(iri, lang),
        graphs=[
            link(r["g"].value, {}, lang, text=r["g"].value.rsplit("/", 1)[-1]) for r in in_graphs
        ],
    )


# --- /ontology and /shapes ------------------------------------------------------------


@lru_cache(maxsize=8)
def _document(kind: str, base: str) -> tuple[ox.Triple, ...]:
    source = model.ontology(base) if kind == "ontology" else model.shapes(base)
    text = source.serialize(format="nt", encoding="utf-8")
    return tuple(quad.triple for quad in ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


@bp.route("/ontology", defaults={"kind": "ontology"})
@bp.route("/ontology.<ext>", defaults={"kind": "ontology"})
@bp.route("/shapes", defaults={"kind": "shapes"})
@bp.route("/shapes.<ext>", defaults={"kind": "shapes"})
def document(kind: str, ext: str | None = None) -> Response:
    """The ontology or the shapes: RDF, or their documentation with an anchor per term.

    ``{base}ontology#Measure`` resolves here: the page has ``id="Measure"``.
    """
    if ext is not None and ext not in _BY_EXT:
        abort(404)
    path, fmt = f"/{kind}", negotiate(_BY_EXT.get(ext or ""))
    lang = visitor_lang() if fmt is HTML else None
    base = current_app.config["BASE_IRI"]
    triples = _document(kind, base)
    tag = etag(key(kind, base, fmt.key, lang, len(triples)))
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        return finish(response, path, fmt, lang)
    if fmt is not HTML:
        return rdf_answer(triples, fmt, path, tag)
    if kind == "ontology":
        return page("ontology.html", path, lang, tag, **ontology_doc(model.ontology(base), lang))
    return page("shapes.html", path, lang, tag, nodes=shapes_doc(model.shapes(base), lang))


def _text(g: rdflib.Graph, subject, prop: str, lang: str) -> str:
    found = list(g.objects(subject, rdflib.URIRef(prop)))
    for wanted in (lang, "en", "de", None):
        for o in found:
            if getattr(o, "language", None) == wanted:
                return str(o)
    return str(found[0]) if found else ""


def _anchor(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def _links(g: rdflib.Graph, subject, prop: str, lang: str) -> list[dict]:
    found = [o for o in g.objects(subject, rdflib.URIRef(prop)) if isinstance(o, rdflib.URIRef)]
    return [
        {"href": local_href(str(o)), "text": short(str(o)), "title": term_name(str(o), lang)}
        for o in found
    ]


def ontology_doc(onto: rdflib.Graph, lang: str) -> dict:
    """Classes and properties of the ontology with names and comments in both languages."""
    base = current_app.config["BASE_IRI"]
    ns, head = f"{base}ontology#", rdflib.URIRef(f"{base}ontology")

    def entry(s) -> dict:
        return {
            "id": _anchor(str(s)) if str(s).startswith(ns) else short(str(s)),
            "iri": str(s),
            "curie": short(str(s)),
            "names": {lg: _text(onto, s, RDFS_LABEL, lg) for lg in LANGS},
            "comments": {lg: _text(onto, s, RDFS + "comment", lg) for lg in LANGS},
            "supers": _links(onto, s, RDFS + "subClassOf", lang)
            + _links(onto, s, RDFS + "subPropertyOf", lang),
            "domain": _links(onto, s, RDFS + "domain", lang),
            "range": _links(onto, s, RDFS + "range", lang),
        }

    def of_type(*kinds: str) -> list[dict]:
        found = {
            s
            for k in kinds
            for s in onto.subjects(rdflib.URIRef(RDF_TYPE), rdflib.URIRef(OWL + k))
            if isinstance(s, rdflib.URIRef)
        }
        return [entry(s) for s in sorted(found, key=str)]

    classes = of_type("Class")
    kinds = ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")
    return {
        "title": _text(onto, head, DCT + "title", lang),
        "description": _text(onto, head, DCT + "description", lang),
        "version": _text(onto, head, OWL + "versionInfo", lang),
        "iri": str(head),
        "classes": [c for c in classes if c["iri"].startswith(ns)],
        "reused": [c for c in classes if not c["iri"].startswith(ns)],
        "properties": [p for p in of_type(*kinds) if p["iri"].startswith(ns)],
    }


def shapes_doc(shapes: rdflib.Graph, lang: str) -> list[dict]:
    """Node shapes with their target classes and property shapes (name, path, message)."""
    nodes = []
    node_shapes = shapes.subjects(rdflib.URIRef(RDF_TYPE), rdflib.URIRef(SH + "NodeShape"))
    for s in sorted(set(node_shapes), key=str):
        props = []
        for p in sorted(shapes.objects(s, rdflib.URIRef(SH + "property")), key=str):
            paths = _links(shapes, p, SH + "path", lang)
            props.append(
                {
                    "id": _anchor(str(p)) if isinstance(p, rdflib.URIRef) else "",
                    "name": _text(shapes, p, SH + "name", lang),
                    "path": paths[0] if paths else {"text": "…"},
                    "message": _text(shapes, p, SH + "message", lang),
                }
            )
        targets = _links(shapes, s, SH + "targetClass", lang)
        nodes.append({"id": _anchor(str(s)), "targets": targets, "props": props})
    return nodes


# --- /graph/{name} --------------------------------------------------------------------


@bp.route("/graph/<path:name>")
def named_graph(name: str) -> Response:
    """A named graph: its content as RDF, or a page with its provenance from ``graph/meta``."""
    path, explicit = split_ext(f"/graph/{name}")
    fmt = negotiate(explicit)
    iri, lang = current_iri(path), visitor_lang() if fmt is HTML else None
    if iri not in get_store().graphs():
        return not_found(fmt, path)
    tag, unchanged = fresh(path, fmt, lang)
    if unchanged:
        return unchanged
    g = ox.NamedNode(iri)
    if fmt is not HTML:
        return rdf_answer(
            q("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", g=g), fmt, path, tag
        )
    meta = ox.NamedNode(meta_graph(current_app.config["BASE_IRI"]))
    prov = [
        ox.Triple(g, r["p"], r["o"])
        for r in q("SELECT ?g ?m ?p ?o WHERE { GRAPH ?m { ?g ?p ?o } }", g=g, m=meta)
    ]
    counted = q("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", g=g)
    listed = q(
        "SELECT DISTINCT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) } LIMIT 1000", g=g
    )
    subjects = [r["s"].value for r in listed]
    objects = {t.object.value for t in prov if isinstance(t.object, ox.NamedNode)}
    labels = fetch_labels(set(subjects) | objects)
    return page(
        "graph.html",
        path,
        lang,
        tag,
        iri=iri,
        title=name.rsplit("/", 1)[-1],
        rows=property_rows(prov, g, labels, lang),
        triples=sum(int(r["n"].value) for r in counted),
        subjects=sorted(
            (link(s, labels, lang) for s in subjects), key=lambda i: slugify(i["text"])
        ),
    )


# --- browse pages -------------------------------------------------------------------


def _collection(items: list[str], total: int) -> list[ox.Triple]:
    """The RDF twin of a list page: a ``hydra:Collection`` of its items, typed and labelled."""
    here = ox.NamedNode(public_url(request.full_path.rstrip("?")))
    count = ox.Literal(str(total), datatype=ox.NamedNode(XSD + "integer"))
    triples = [
        ox.Triple(here, ox.NamedNode(RDF_TYPE), ox.NamedNode(HYDRA + "Collection")),
        ox.Triple(here, ox.NamedNode(HYDRA + "totalItems"), count),
        *(ox.Triple(here, ox.NamedNode(HYDRA + "member"), ox.NamedNode(i)) for i in items),
    ]
    for i in range(0, len(items), _CHUNK):
        rows = q(
            f"SELECT ?x ?p ?o WHERE {{ VALUES ?x {{ {values(items[i : i + _CHUNK])} }} "
            "VALUES ?p { rdf:type skos:prefLabel skos:notation } ?x ?p ?o }"
        )
        triples += [ox.Triple(r["x"], r["p"], r["o"]) for r in rows]
    return triples


def list_page(path: str, template: str, items: list[str], build, total: int | None = None):
    """A browse page: its list as a page (``build(lang)`` gives the context) or as RDF."""
    fmt = negotiate()
    lang = visitor_lang() if fmt is HTML else None
    tag, unchanged = fresh(path, fmt, lang, request.query_string.decode())
    if unchanged:
        return unchanged
    if fmt is not HTML:
        return rdf_answer(
            _collection(items, len(items) if total is None else total), fmt, path, tag
        )
    return page(template, path, lang, tag, **build(lang))


def counts(sparql: str, **bound) -> dict[str, int]:
    """``?x → ?n`` of a grouped count query."""
    return {r["x"].value: int(r["n"].value) for r in q(sparql, **bound)}


def field_list() -> list[tuple[str, str]]:
    """The fields of action, (IRI, notation), in the order of their notation."""
    rows = q("SELECT ?x ?n WHERE { ?x a ikg:FieldOfAction OPTIONAL { ?x skos:notation ?n } }")
    found = {r["x"].value: r["n"].value if r["n"] else "" for r in rows}
    return sorted(found.items(), key=lambda xn: (len(xn[1]), xn[1], xn[0]))


@bp.route("/fields")
def fields() -> Response:
    """The fields of action with their working groups and numbers of measures and targets."""
    found = field_list()
    items = [x for x, _ in found]

    def build(lang: str) -> dict:
        groups: dict[str, list[str]] = {}
        for r in q("SELECT ?x ?g WHERE { ?g org:purpose ?x ; a ikg:WorkingGroup } ORDER BY ?g"):
            groups.setdefault(r["x"].value, []).append(r["g"].value)
        measures = counts(
            "SELECT ?x (COUNT(DISTINCT ?m) AS ?n) WHERE { "
            f"VALUES ?c {{ {MEASURE_CLASSES} }} ?m a ?c ; dcterms:subject ?x }} GROUP BY ?x"
        )
        targets = counts(
            "SELECT ?x (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a ikg:Target ; dcterms:subject ?x } "
            "GROUP BY ?x"
        )
        labels = fetch_labels(set(items) | {g for gs in groups.values() for g in gs})
        listed = [
            link(
                x,
                labels,
                lang,
                notation=notation,
                slug=x.rsplit("/", 1)[-1],
                groups=[link(g, labels, lang) for g in groups.get(x, [])],
                measures=measures.get(x, 0),
                targets=targets.get(x, 0),
            )
            for x, notation in found
        ]
        return {"fields": listed}

    return list_page("/fields", "fields.html", items, build)


@bp.route("/organisations")
def organisations() -> Response:
    """Organisations by sector (their class), with how many measures each is responsible for."""
    sector: dict[str, str] = {}
    sectors = " ".join(f"ikg:{c}" for c in (*SECTORS, "WorkingGroup"))
    for r in q(f"SELECT ?x ?c WHERE {{ VALUES ?c {{ {sectors} }} ?x a ?c }}"):
        sector.setdefault(r["x"].value, r["c"].value)
    items = sorted(sector)

    def build(lang: str) -> dict:
        labels = fetch_labels(items)
        measures = counts(
            "SELECT ?x (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m ikg:responsibleOrganisation ?x } "
            "GROUP BY ?x"
        )
        groups = []
        for c in (expand(f"ikg:{c}") for c in (*SECTORS, "WorkingGroup")):
            members = [
                link(x, labels, lang, measures=measures.get(x, 0)) for x in items if sector[x] == c
            ]
            if members:
                members.sort(key=lambda m: slugify(m["text"]))
                name = term_name(c, lang)
                groups.append(
                    {"id": _anchor(c), "name": name, "href": local_href(c), "members": members}
                )
        return {"groups": groups}

    return list_page("/organisations", "organisations.html", items, build)


@bp.route("/districts")
def districts() -> Response:
    """Districts and district-free cities with their key, kind, municipalities and measures."""
    rows = q(
        "SELECT ?x ?k ?c WHERE { ?x a ikg:District "
        "OPTIONAL { ?x ikg:districtKey ?k } OPTIONAL { ?x org:classification ?c } }"
    )
    found = {r["x"].value: (r["k"].value if r["k"] else "", r["c"]) for r in rows}
    items = sorted(found, key=lambda x: (found[x][0], x))

    def build(lang: str) -> dict:
        towns = counts(
            "SELECT ?x (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m ikg:inDistrict ?x } GROUP BY ?x"
        )
        measures = counts(
            "SELECT ?x (COUNT(DISTINCT ?m) AS ?n) WHERE { ?x a ikg:District . "
            "{ ?m ikg:responsibleOrganisation ?x } UNION "
            "{ ?o ikg:inDistrict ?x . ?m ikg:responsibleOrganisation ?o } } GROUP BY ?x"
        )
        labels = fetch_labels(set(items) | {c.value for _, c in found.values() if c})
        listed = [
            link(
                x,
                labels,
                lang,
                key=found[x][0],
                kind=label(found[x][1].value, labels, lang) if found[x][1] else "",
                municipalities=towns.get(x, 0),
                measures=measures.get(x, 0),
            )
            for x in items
        ]
        return {"districts": sorted(listed, key=lambda d: slugify(d["text"]))}

    return list_page("/districts", "districts.html", items, build)


def measure_filter() -> tuple[str, dict[str, ox.NamedNode], dict[str, str]]:
    """The pattern of ``/measures`` and the values bound from ``?field=`` and ``?level=``."""
    base = current_app.config["BASE_IRI"]
    pattern = f"VALUES ?type {{ {MEASURE_CLASSES} }} ?m a ?type ."
    bound: dict[str, ox.NamedNode] = {}
    chosen = {"field": "", "level": ""}
    slug = request.args.get("field", "")
    if re.fullmatch(r"[a-z0-9-]+", slug):
        bound["field"], chosen["field"] = ox.NamedNode(f"{base}id/field/{slug}"), slug
        pattern += " ?m dcterms:subject ?field ."
    level = request.args.get("level", "")
    if level in SECTORS:
        bound["level"], chosen["level"] = ox.NamedNode(expand(f"ikg:{level}")), level
        pattern += " ?m ikg:responsibleOrganisation ?resp . ?resp a ?level ."
    return pattern, bound, chosen


@bp.route("/measures")
def measures() -> Response:
    """Measures by name, paged, filtered by field of action and level.

    The level of a measure is the class of its responsible organisation
    (``?level=District``); the field is the slug of its IRI (``?field=6``).
    """
    lang = visitor_lang()
    pattern, bound, chosen = measure_filter()
    by = " ".join(f"?{name}" for name in bound)
    grouped = f"GROUP BY {by}" if bound else ""
    total_rows = q(
        f"SELECT {by} (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {pattern} }} {grouped}", **bound
    )
    total = sum(int(r["n"].value) for r in total_rows)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, _int(request.args.get("page"))), pages)
    rows = q(
        f"SELECT DISTINCT ?m ?sort {by} ?lang WHERE {{ {pattern} "
        "OPTIONAL { ?m skos:prefLabel ?l1 FILTER(lang(?l1) = ?lang) } "
        'OPTIONAL { ?m skos:prefLabel ?l2 FILTER(lang(?l2) = "de") } '
        "BIND(LCASE(STR(COALESCE(?l1, ?l2, STR(?m)))) AS ?sort) } "
        f"ORDER BY ?sort ?m LIMIT {PAGE_SIZE} OFFSET {(number - 1) * PAGE_SIZE}",
        **bound,
        lang=ox.Literal(lang),
    )
    items = list(dict.fromkeys(r["m"].value for r in rows))

    def build(lang: str) -> dict:
        details = {m: {"types": [], "resp": [], "fields": []} for m in items}
        rows = q(
            f"SELECT ?m ?types ?resp ?fields WHERE {{ VALUES ?m {{ {values(items)} }} "
            f"{{ ?m a ?types VALUES ?types {{ ikg:Programme ikg:Project }} }} "
            "UNION { ?m ikg:responsibleOrganisation ?resp } UNION { ?m dcterms:subject ?fields } }"
        )
        for r in rows:
            for slot in ("types", "resp", "fields"):
                if r[slot] is not None:
                    details[r["m"].value][slot].append(r[slot].value)
        all_fields = field_list()
        notation = dict(all_fields)
        labels = fetch_labels(
            {*items, *notation, *(o for d in details.values() for o in d["resp"])}
        )
        listed = [
            link(
                m,
                labels,
                lang,
                kinds=[term_name(t, lang) for t in d["types"]],
                resp=[link(o, labels, lang) for o in d["resp"]],
                fields=[
                    link(f, labels, lang, notation=notation.get(f, "")) for f in sorted(d["fields"])
                ],
            )
            for m, d in details.items()
        ]
        args = {k: v for k, v in chosen.items() if v}
        return {
            "measures": listed,
            "total": total,
            "page_no": number,
            "pages": pages,
            "chosen": chosen,
            "field_options": [
                {"value": f.rsplit("/", 1)[-1], "text": f"{n} {label(f, labels, lang)}"}
                for f, n in all_fields
            ],
            "level_options": [
                {"value": c, "text": term_name(expand(f"ikg:{c}"), lang)} for c in SECTORS
            ],
            "prev_args": {**args, "page": number - 1} if number > 1 else None,
            "next_args": {**args, "page": number + 1} if number < pages else None,
        }

    return list_page("/measures", "measures.html", items, build, total)


def _int(value: str | None) -> int:
    try:
        return int(value or 1)
    except ValueError:
        return 1


# --- search -------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase ASCII words between dashes: ``Groß-Gerau`` → ``-gross-gerau-`` (ä → ae).

    >>> fold("Landkreis Groß-Gerau") == fold("landkreis GROSS gerau")
    True
    """
    return "-" + slugify(text) + "-"


def fold_plain(text: str) -> str:
    """The same with umlauts as bare vowels (ä → a), so that ``Hochst`` finds ``Höchst``."""
    plain = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "SS"))
    return fold("".join(c for c in plain if not unicodedata.combining(c)))


@dataclass
class LabelIndex:
    """Folded names and descriptions of every IRI under the base, for one dataset version."""

    version: str
    names: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


_INDEX_LOCK = threading.Lock()
_NAMED = (PREF_LABEL, RDFS_LABEL, SKOS + "altLabel", SKOS + "notation")


def label_index() -> LabelIndex:
    """The search index of the current dataset version, built once per version."""
    state = current_app.extensions.setdefault("ikgraph-label-index", {})
    version, base = get_store().version(), current_app.config["BASE_IRI"]
    with _INDEX_LOCK:
        index = state.get("index")
        if index is not None and index.version == version:
            return index
        index = LabelIndex(version)
        rows = q(
            "SELECT ?s ?p ?o ?meta WHERE { VALUES ?p { skos:prefLabel rdfs:label skos:altLabel "
            "skos:notation dcterms:description skos:definition } GRAPH ?g { ?s ?p ?o } "
            "FILTER(isIRI(?s) && isLiteral(?o) && ?g != ?meta) }",
            meta=ox.NamedNode(meta_graph(base)),
        )
        for r in rows:
            s = r["s"].value
            if s.startswith(base):
                slot = index.names if r["p"].value in _NAMED else index.texts
                slot[s] = slot.get(s, "") + fold(r["o"].value) + fold_plain(r["o"].value)
        state["index"] = index
        return index


def search_index(query: str) -> list[tuple[int, str]]:
    """(rank, IRI) of what has every word of ``query`` in its names (better) or descriptions."""
    words = [w for w in slugify(query).split("-") if w]
    if not words:
        return []
    index, whole, hits = label_index(), fold(query), []
    for iri in index.names.keys() | index.texts.keys():
        names = index.names.get(iri, "")
        if all(w in names for w in words):
            hits.append((0 if whole in names else 1, iri))
        elif all(w in names + index.texts.get(iri, "") for w in words):
            hits.append((2, iri))
    return hits


@bp.route("/search")
def search() -> Response:
    """Search names and descriptions, folding case and umlauts (Groß, gross, GROSS)."""
    query = request.args.get("q", "").strip()[:200]
    hits, lang = search_index(query), visitor_lang()
    labels = fetch_labels(i for _, i in hits)
    hits.sort(key=lambda h: (h[0], slugify(label(h[1], labels, lang))))
    items = [i for _, i in hits[:PAGE_SIZE]]

    def build(lang: str) -> dict:
        types: dict[str, set[str]] = {}
        rows = q(f"SELECT ?x ?t WHERE {{ VALUES ?x {{ {values(items)} }} ?x a ?t }}")
        base = current_app.config["BASE_IRI"]
        for r in rows:
            if r["t"].value.startswith(base):
                types.setdefault(r["x"].value, set()).add(term_name(r["t"].value, lang))
        listed = [link(i, labels, lang, kinds=sorted(types.get(i, ()))) for i in items]
        return {"query": query, "hits": listed, "total": len(hits)}

    return list_page("/search", "search.html", items, build, len(hits))
