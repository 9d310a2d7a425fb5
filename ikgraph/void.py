"""The VoID description of the dataset, computed from the live store.

`VoID <https://www.w3.org/TR/void/>`_ says what a dataset holds and where to get
it: the SPARQL endpoint, the dumps, how many triples, entities, classes and
properties, a partition per class and per property, and one ``void:subset`` per
named graph with its own triple count and dump (``/graph/{name}.nt``).

The dataset is the union of all named graphs (ontology and ``graph/meta``
included), the default graph of the SPARQL endpoint. Its ``void:triples`` counts
distinct triples, as the Turtle and JSON-LD dumps hold them; each subset counts
its graph's triples, so the N-Quads and TriG dumps hold the sum of the subsets.
Every number comes from a SPARQL aggregate (:func:`statistics`); :func:`describe`
turns them into triples without touching the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ikgraph.iris import RDF_TYPE, XSD
from ikgraph.store import Store

VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"

_COUNTS = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
    "classes": "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }",
    "properties": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }",
    "subjects": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "objects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
}
_ENTITIES = (
    "SELECT ?space (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
    "FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?space)) } GROUP BY ?space"
)
_CLASSES = "SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?x } GROUP BY ?x ORDER BY ?x"
_PROPERTIES = (
    "SELECT ?x (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?x ?o WHERE { ?s ?x ?o } } "
    "GROUP BY ?x ORDER BY ?x"
)
_GRAPHS = "SELECT ?x (COUNT(*) AS ?n) WHERE { GRAPH ?x { ?s ?p ?o } } GROUP BY ?x ORDER BY ?x"


@dataclass
class Statistics:
    """What the store holds, by the numbers VoID reports."""

    triples: int = 0
    entities: int = 0
    classes: int = 0
    properties: int = 0
    subjects: int = 0
    objects: int = 0
    class_entities: dict[str, int] = field(default_factory=dict)
    property_triples: dict[str, int] = field(default_factory=dict)
    graph_triples: dict[str, int] = field(default_factory=dict)


def _grouped(store: Store, sparql: str) -> dict[str, int]:
    return {r["x"].value: int(r["n"].value) for r in store.query(sparql)}


def statistics(store: Store, *, uri_space: str) -> Statistics:
    """Count triples, entities (IRIs under ``uri_space``), classes, properties and graphs."""
    stats = Statistics()
    for name, sparql in _COUNTS.items():
        setattr(stats, name, int(next(iter(store.query(sparql)))["n"].value))
    space = ox.Literal(uri_space)
    rows = list(store.query(_ENTITIES, substitutions={"space": space}))
    stats.entities = int(rows[0]["n"].value) if rows else 0
    stats.class_entities = _grouped(store, _CLASSES)
    stats.property_triples = _grouped(store, _PROPERTIES)
    stats.graph_triples = _grouped(store, _GRAPHS)
    return stats


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


def describe(
    stats: Statistics,
    *,
    dataset: str,
    uri_space: str,
    vocabulary: str,
    sparql_endpoint: str,
    dumps: list[str],
    graph_dumps: dict[str, str],
    title: dict[str, str],
    modified: ox.Literal | None = None,
    license: str | None = None,
) -> list[ox.Triple]:
    """The VoID triples for ``stats``.

    :param dataset: the dataset's IRI (the same as its ``dcat:Dataset``).
    :param dumps: URLs of the full dumps (``void:dataDump``).
    :param graph_dumps: named graph IRI → URL of that graph's own dump.
    :param title: ``dcterms:title`` by language.
    """
    root = ox.NamedNode(dataset)
    triples: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    add(root, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    for lang, text in title.items():
        add(root, DCT + "title", ox.Literal(text, language=lang))
    if modified is not None:
        add(root, DCT + "modified", modified)
    if license:
        add(root, DCT + "license", ox.NamedNode(license))
    add(root, VOID + "sparqlEndpoint", ox.NamedNode(sparql_endpoint))
    for url in dumps:
        add(root, VOID + "dataDump", ox.NamedNode(url))
    for fmt in ("N-Quads", "TriG", "Turtle", "JSON-LD", "RDF_XML", "N-Triples"):
        add(root, VOID + "feature", ox.NamedNode(FORMATS_NS + fmt))
    add(root, VOID + "uriSpace", ox.Literal(uri_space))
    add(root, VOID + "vocabulary", ox.NamedNode(vocabulary))
    for name, value in (
        ("triples", stats.triples),
        ("entities", stats.entities),
        ("classes", stats.classes),
        ("properties", stats.properties),
        ("distinctSubjects", stats.subjects),
        ("distinctObjects", stats.objects),
    ):
        add(root, VOID + name, _int(value))
    for cls, count in stats.class_entities.items():
        part = ox.BlankNode()
        add(root, VOID + "classPartition", part)
        add(part, VOID + "class", ox.NamedNode(cls))
        add(part, VOID + "entities", _int(count))
    for prop, count in stats.property_triples.items():
        part = ox.BlankNode()
        add(root, VOID + "propertyPartition", part)
        add(part, VOID + "property", ox.NamedNode(prop))
        add(part, VOID + "triples", _int(count))
    for name, count in stats.graph_triples.items():
        subset = ox.NamedNode(name)
        add(root, VOID + "subset", subset)
        add(subset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        add(subset, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
        add(subset, SD + "name", subset)
        add(subset, VOID + "triples", _int(count))
        add(subset, VOID + "sparqlEndpoint", ox.NamedNode(sparql_endpoint))
        if name in graph_dumps:
            add(subset, VOID + "dataDump", ox.NamedNode(graph_dumps[name]))
    return triples


PREFIXES = {
    "void": VOID,
    "dcterms": DCT,
    "sd": SD,
    "formats": FORMATS_NS,
    "xsd": XSD,
}
