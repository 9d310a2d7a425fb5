"""The SPARQL service description of ``/sparql``.

`SPARQL 1.1 Service Description <https://www.w3.org/TR/sparql11-service-description/>`_:
what a bare GET on the endpoint answers. It says which language and result
formats are supported, that the default graph is the union of all named
graphs (``sd:UnionDefaultGraph``, and in words on the default dataset), and
lists every named graph.
"""

from __future__ import annotations

import pyoxigraph as ox

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")

UNION_NOTE = {
    "en": "The default graph is the union of all named graphs.",
    "de": "Der Standardgraph ist die Vereinigung aller benannten Graphen.",
}

#: `Unique URIs for file formats <https://www.w3.org/ns/formats/>`_ of every format written.
RESULT_FORMAT_IRIS = [
    f"http://www.w3.org/ns/formats/{name}"
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
        "N-Quads",
        "TriG",
    )
]


def _sd(term: str) -> ox.NamedNode:
    return ox.NamedNode(SD + term)


def service_description(
    endpoint: str, graphs: list[str], *, limits_note: str = ""
) -> list[ox.Triple]:
    """The description of the endpoint at ``endpoint`` serving ``graphs``."""
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    out = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(
            service,
            _sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, DCT_TITLE, ox.Literal("ikgraph SPARQL endpoint", language="en")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
    ]
    out += [
        ox.Triple(service, _sd("resultFormat"), ox.NamedNode(iri)) for iri in RESULT_FORMAT_IRIS
    ]
    for lang, text in UNION_NOTE.items():
        for node in (dataset, default):
            out.append(ox.Triple(node, RDFS_COMMENT, ox.Literal(text, language=lang)))
    if limits_note:
        out.append(ox.Triple(service, RDFS_COMMENT, ox.Literal(limits_note, language="en")))
    for number, name in enumerate(graphs):
        node = ox.BlankNode(f"graph{number}")
        out += [
            ox.Triple(dataset, _sd("namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(node, _sd("name"), ox.NamedNode(name)),
        ]
    return out
