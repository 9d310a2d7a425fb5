"""The ontology and the shapes describe themselves.

Both files parse; the ontology carries its metadata; every ``ikg:`` term has
a German and an English label and comment; every property says what it
relates; every term of docs/model.md is defined; the shapes speak of defined
terms and give every constraint a German and an English message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SH

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "ikg.ttl"
SHAPES_FILE = ROOT / "shapes" / "ikg.shapes.ttl"
MODEL_DOC = ROOT / "docs" / "model.md"

IKG = Namespace("https://w3id.org/ikg/ontology#")
IKGS = Namespace("https://w3id.org/ikg/shapes#")
ONTOLOGY = URIRef("https://w3id.org/ikg/ontology")
VANN = Namespace("http://purl.org/vocab/vann/")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
PROPERTY_TYPES = {OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
TERM_TYPES = PROPERTY_TYPES | {OWL.Class}


def _ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _ikg_terms() -> list[URIRef]:
    graph = _ontology()
    return sorted({s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(IKG))})


def _ikg_properties() -> list[URIRef]:
    graph = _ontology()
    return [t for t in _ikg_terms() if set(graph.objects(t, RDF.type)) & PROPERTY_TYPES]


def _languages(graph: Graph, subject, predicate) -> list[str]:
    literals = (o for o in graph.objects(subject, predicate) if isinstance(o, Literal))
    return sorted(o.language or "" for o in literals)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _ontology()


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


# --- the ontology -----------------------------------------------------------


def test_ontology_metadata(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert _languages(ontology, ONTOLOGY, predicate) == ["de", "en"], predicate
    assert ontology.value(ONTOLOGY, OWL.versionIRI) == URIRef("https://w3id.org/ikg/ontology/0.1.0")
    assert ontology.value(ONTOLOGY, OWL.versionInfo) is not None
    assert ontology.value(ONTOLOGY, DCTERMS.license) == CC_BY
    assert str(ontology.value(ONTOLOGY, DCTERMS.creator)) == "ikgraph project"
    assert str(ontology.value(ONTOLOGY, VANN.preferredNamespacePrefix)) == "ikg"


@pytest.mark.parametrize("term", _ikg_terms(), ids=lambda t: t.removeprefix(str(IKG)))
def test_term_is_declared_and_documented_in_german_and_english(ontology, term):
    assert set(ontology.objects(term, RDF.type)) & TERM_TYPES, "not declared as a class or property"
    assert _languages(ontology, term, RDFS.label) == ["de", "en"]
    assert _languages(ontology, term, RDFS.comment) == ["de", "en"]
    assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY


@pytest.mark.parametrize("term", _ikg_properties(), ids=lambda t: t.removeprefix(str(IKG)))
def test_property_says_what_it_relates(ontology, term):
    if (term, RDFS.domain, None) in ontology or (term, RDFS.range, None) in ontology:
        return
    english = " ".join(str(c) for c in ontology.objects(term, RDFS.comment) if c.language == "en")
    assert re.search(r"No rdfs:(domain|range)", english), "no domain, no range and no word why"


def test_classes_are_aligned_to_reused_vocabularies(ontology):
    """Every ikg class specialises a class; every reused class it names is declared with a label."""
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if not str(cls).startswith(str(IKG)):
            continue
        supers = list(ontology.objects(cls, RDFS.subClassOf))
        assert supers, cls
        for sup in supers:
            assert (sup, RDF.type, OWL.Class) in ontology, sup
            assert _languages(ontology, sup, RDFS.label)[-1] == "en", sup


def test_every_ikg_term_of_the_model_document_is_defined(ontology):
    named = set(re.findall(r"ikg:([A-Za-z][A-Za-z0-9]*)", MODEL_DOC.read_text(encoding="utf-8")))
    missing = sorted(n for n in named if (IKG[n], RDF.type, None) not in ontology)
    assert missing == []


# --- the shapes ------------------------------------------------------------

CONSTRAINT_PARAMETERS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minCount, SH.maxCount, SH.minInclusive,
    SH.maxInclusive, SH.minExclusive, SH.maxExclusive, SH.minLength, SH.maxLength, SH.pattern,
    SH.languageIn, SH.uniqueLang, SH["in"], SH.hasValue, SH["not"], SH["and"], SH["or"], SH.xone,
    SH.node, SH.qualifiedValueShape, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH.closed,
}  # fmt: skip


def test_every_message_is_in_german_and_english(shapes):
    with_message = set(shapes.subjects(SH.message, None))
    assert with_message
    for node in with_message:
        assert _languages(shapes, node, SH.message) == ["de", "en"], node


def test_every_named_constraint_has_messages(shapes):
    """Named shapes with their own constraints, and SPARQL constraints, carry a message."""
    nested = set(shapes.objects(None, SH.node))
    for shape in set(shapes.subjects()):
        if not isinstance(shape, URIRef) or not shape.startswith(str(IKGS)) or shape in nested:
            continue
        if any((shape, p, None) in shapes for p in CONSTRAINT_PARAMETERS):
            assert (shape, SH.message, None) in shapes, shape
    for constraint in shapes.objects(None, SH.sparql):
        assert (constraint, SH.message, None) in shapes, constraint


def test_every_ikg_class_has_a_node_shape(ontology, shapes):
    targeted = set(shapes.objects(None, SH.targetClass))
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if c.startswith(str(IKG))}
    assert sorted(classes - targeted) == []


def test_shapes_speak_only_of_defined_ikg_terms(ontology, shapes):
    """A typo in a shape would silently match nothing; every ikg: term it names must exist."""
    used = {
        o
        for p in (SH.targetClass, SH["class"], SH.path, SH.targetSubjectsOf, SH.lessThan)
        for o in shapes.objects(None, p)
        if isinstance(o, URIRef) and o.startswith(str(IKG))
    }
    assert used
    assert sorted(t for t in used if (t, RDF.type, None) not in ontology) == []
