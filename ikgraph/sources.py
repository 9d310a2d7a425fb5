"""Contributed sources: read a file or upload and parse it into quads.

A source is one contribution that becomes one named graph
(``{base}graph/{name}``). RDF is parsed with Oxigraph's parsers, which never
fetch anything: JSON-LD remote contexts are refused, and so are RDF/XML
external entities (XXE). Oxigraph does expand internal entities, so an RDF/XML
document whose entities would expand past its own size (nested entities, the
"billion laughs") is refused before it is parsed, and so is one nested deeper
than :data:`MAX_XML_DEPTH` elements (the parser's time grows with the square
of the depth). Parse errors carry the source
name and, where the parser gives one, the line and column.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox

from ikgraph.iris import graph_iri, rebase
from ikgraph.settings import DEFAULT_BASE_IRI

#: File extensions and media types accepted for RDF, with their Oxigraph format.
EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


class SourceError(Exception):
    """A source cannot be read or parsed; the message names it (and the line)."""

    def __init__(
        self, source: str, message: str, *, line: int | None = None, column: int | None = None
    ):
        self.source = source
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}" + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass
class Source:
    """One contribution: its name (the graph it becomes), bytes and format."""

    name: str
    data: bytes
    format: ox.RdfFormat
    filename: str = ""
    quads: list[ox.Quad] = field(default_factory=list)
    #: where a statement came from in a spreadsheet: (subject IRI, property IRI
    #: or None for the row) → a cell reference such as "Maßnahmen!D7"
    cells: dict[tuple[str, str | None], str] = field(default_factory=dict)
    #: already-parsed quads (e.g. from a spreadsheet) instead of RDF bytes
    prepared: list[ox.Quad] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def format_for(filename: str) -> ox.RdfFormat:
    """The RDF format of a file name by its extension.

    :raises SourceError: for an extension that is not an RDF format.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise SourceError(
            filename, f"unknown file extension {suffix or '(none)'!r}; use one of {known}"
        )
    return EXTENSIONS[suffix]


def from_path(path: Path) -> Source:
    """Read one file as a source named by its stem.

    :raises SourceError: if the file is missing, unreadable or of unknown type.
    """
    fmt = format_for(path.name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(str(path), "no such file") from None
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror}") from None
    return Source(name=path.stem, data=data, format=fmt, filename=str(path))


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the RDF files inside named folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in EXTENSIONS))
        else:
            files.append(path)
    return files


def _rebase_term(term, base: str):
    if isinstance(term, ox.NamedNode):
        return ox.NamedNode(rebase(term.value, base))
    if isinstance(term, ox.Literal) and term.datatype.value.startswith(DEFAULT_BASE_IRI):
        return ox.Literal(term.value, datatype=ox.NamedNode(rebase(term.datatype.value, base)))
    return term


_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC)\b)")
_REFERENCE = re.compile(rb"&([^\s&;<>]+);")
#: Bytes entity expansion may add to an RDF/XML document beyond its own size.
ENTITY_ALLOWANCE = 1024 * 1024


def check_entities(data: bytes, label: str) -> None:
    """Refuse RDF/XML whose entities are external, parameter entities, or expand too far.

    Declarations of plain entities (``<!ENTITY rdf "http://…#">``, as ontology
    editors write them) pass while all references together expand to no more
    than the document's size plus :data:`ENTITY_ALLOWANCE`.

    :raises SourceError: naming the entity.
    """
    if b"<!ENTITY" not in data:
        return
    values: dict[bytes, bytes] = {}
    for match in _ENTITY.finditer(data):
        percent, name, value = match.group(1), match.group(2), match.group(3) or match.group(4)
        if percent or match.group(5):
            kind = "parameter" if percent else "external"
            raise SourceError(
                label, f"the {kind} entity {name.decode(errors='replace')} is not allowed"
            )
        values[name] = value or b""
    sizes: dict[bytes, int] = {}
    budget = len(data) + ENTITY_ALLOWANCE

    def size(name: bytes, depth: int = 0) -> int:
        if name not in values:
            return len(name) + 2
        if name not in sizes:
            if depth > 8:
                raise SourceError(label, "entities are nested too deeply")
            value = values[name]
            total = len(value)
            for ref in _REFERENCE.finditer(value):
                total += size(ref.group(1), depth + 1) - len(ref.group(0))
            sizes[name] = min(total, budget + 1)
        return sizes[name]

    expansion = sum(size(ref.group(1)) for ref in _REFERENCE.finditer(data))
    if expansion > budget:
        raise SourceError(
            label, f"its entities would expand to more than {budget} bytes; it is refused"
        )


#: Deepest element nesting accepted in RDF/XML (Oxigraph's RDF/XML parser takes
#: time quadratic in the depth: 30,000 levels, about 1 MB, take half a minute).
MAX_XML_DEPTH = 256


def check_depth(data: bytes, label: str) -> None:
    """Refuse RDF/XML nested deeper than :data:`MAX_XML_DEPTH` elements.

    Read with expat, which resolves no external entity; a document expat cannot
    read is left to Oxigraph's parser to report.

    :raises SourceError: if the document is nested too deeply.
    """
    reader = expat.ParserCreate()
    depth = 0

    def start(_name: str, _attrs: dict) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise SourceError(label, f"elements are nested deeper than {MAX_XML_DEPTH} levels")

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    reader.StartElementHandler = start
    reader.EndElementHandler = end
    with contextlib.suppress(expat.ExpatError):
        reader.Parse(data, True)


def parse(source: Source, *, base: str) -> list[ox.Quad]:
    """Parse a source into quads in its graph ``{base}graph/{name}``.

    Triples go into the source's graph. A dataset file (TriG, N-Quads) may
    also name graphs of its own, which must lie under ``{base}graph/``.

    :raises SourceError: on a syntax error (with line and column), an empty
        source, or a named graph outside the base.
    """
    target = ox.NamedNode(graph_iri(base, source.name))
    label = source.filename or source.name
    if source.prepared is not None:
        source.quads = [ox.Quad(q.subject, q.predicate, q.object, target) for q in source.prepared]
        if not source.quads:
            raise SourceError(label, "the contribution holds no data")
        return source.quads
    if not source.data.strip():
        raise SourceError(label, "the file is empty")
    if source.format == ox.RdfFormat.RDF_XML:
        check_entities(source.data, label)
        check_depth(source.data, label)
    try:
        parsed = list(
            ox.parse(
                source.data, format=source.format, base_iri=f"{base}id/", rename_blank_nodes=True
            )
        )
    except SyntaxError as exc:
        raise SourceError(label, str(exc.msg), line=exc.lineno, column=exc.offset) from None
    except ValueError as exc:
        raise SourceError(label, str(exc)) from None
    quads = []
    for q in parsed:
        graph = target
        if not isinstance(q.graph_name, ox.DefaultGraph):
            name = (
                rebase(q.graph_name.value, base) if isinstance(q.graph_name, ox.NamedNode) else ""
            )
            if not name.startswith(f"{base}graph/"):
                raise SourceError(label, f"named graph {q.graph_name} is not under {base}graph/")
            graph = ox.NamedNode(name)
        s, p, o = (_rebase_term(t, base) for t in (q.subject, q.predicate, q.object))
        quads.append(ox.Quad(s, p, o, graph))
    if not quads:
        raise SourceError(label, "the file holds no triples")
    source.quads = quads
    return quads
