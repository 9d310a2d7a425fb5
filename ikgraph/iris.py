"""Identifiers: the base IRI, graph and resource IRIs, slugs.

See docs/model.md: resources are ``{base}id/{kind}/{slug}``, named graphs
``{base}graph/{source}``; files in the repository are written with the default
base and rebased on load when another base is configured.
"""

from __future__ import annotations

import re
import unicodedata

from ikgraph.settings import DEFAULT_BASE_IRI

IKG = DEFAULT_BASE_IRI + "ontology#"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    """Stable lowercase ASCII slug: ``"Groß-Gerau"`` → ``"gross-gerau"``.

    >>> slugify("WIR – Vielfalt und Teilhabe")
    'wir-vielfalt-und-teilhabe'
    """
    text = text.translate(_FOLD)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def graph_iri(base: str, source: str) -> str:
    """The named graph of one contributed source (a file stem or contributor key)."""
    return f"{base}graph/{slugify(source)}"


def meta_graph(base: str) -> str:
    """The graph that holds the provenance of every other graph."""
    return f"{base}graph/meta"


def ontology_graph(base: str) -> str:
    return f"{base}graph/ontology"


def ikg(base: str, term: str) -> str:
    """An ``ikg:`` term under the configured base."""
    return f"{base}ontology#{term}"


def rebase(iri: str, base: str) -> str:
    """Map an IRI written with the default base onto the configured one."""
    if base != DEFAULT_BASE_IRI and iri.startswith(DEFAULT_BASE_IRI):
        return base + iri[len(DEFAULT_BASE_IRI) :]
    return iri
