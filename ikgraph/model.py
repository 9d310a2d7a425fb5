"""The ontology and the SHACL shapes shipped in ``ontology/`` and ``shapes/``.

Both are read once per base IRI and rebased when a base other than the
default is configured, so that validation and the service always speak of the
same IRIs as the data.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import rdflib

from ikgraph.settings import DEFAULT_BASE_IRI

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
DATA_DIR = ROOT / "data"


def _read_dir(folder: Path, base: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(folder.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        if base != DEFAULT_BASE_IRI:
            text = text.replace(DEFAULT_BASE_IRI, base)
        graph.parse(data=text, format="turtle")
    return graph


@lru_cache(maxsize=4)
def ontology(base: str = DEFAULT_BASE_IRI) -> rdflib.Graph:
    """The ontology (all ``ontology/*.ttl``) under ``base``. Do not modify the result."""
    return _read_dir(ONTOLOGY_DIR, base)


@lru_cache(maxsize=4)
def shapes(base: str = DEFAULT_BASE_IRI) -> rdflib.Graph:
    """The SHACL shapes (all ``shapes/*.ttl``) under ``base``. Do not modify the result."""
    return _read_dir(SHAPES_DIR, base)
