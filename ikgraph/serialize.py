"""Streaming writers for query answers: rows and triples in, byte chunks out.

Answers are written a chunk at a time (:data:`CHUNK` rows or triples), so a
large answer never exists as one string in memory.

- SELECT results are written here, one small writer per format, because the
  JSON answer carries an extra ``truncated`` member and because Oxigraph's own
  result serializer takes a whole result set, not a stream of rows:
  `SPARQL 1.1 Query Results JSON <https://www.w3.org/TR/sparql11-results-json/>`_,
  `XML <https://www.w3.org/TR/rdf-sparql-XMLres/>`_,
  `CSV and TSV <https://www.w3.org/TR/sparql11-results-csv-tsv/>`_.
- ASK results are one value; Oxigraph serializes them.
- Graphs are serialized by Oxigraph a chunk of triples at a time and the
  chunks are joined: N-Triples and N-Quads concatenate; Turtle and TriG
  chunks repeat no prefix declarations; JSON-LD (expanded, a flat array of
  node objects) and RDF/XML (a sequence of descriptions) are spliced inside
  one outer array or element. Blank node labels are kept, so a node cut
  across chunks stays one node.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

#: Rows or triples written per chunk.
CHUNK = 500

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def prefixes(base: str) -> dict[str, str]:
    """The prefixes used in Turtle answers and pre-filled on the query page."""
    return {
        "ikg": f"{base}ontology#",
        "res": f"{base}id/",
        "org": "http://www.w3.org/ns/org#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "schema": "http://schema.org/",
        "prov": "http://www.w3.org/ns/prov#",
        "qb": "http://purl.org/linked-data/cube#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    }


def _chunks(items: Iterable, size: int = 0) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size or CHUNK)):
        yield batch


# --- SELECT -----------------------------------------------------------------


def json_term(term: Term) -> dict:
    """A term as a SPARQL JSON results RDF term object."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction).lower()
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": json_term(term.subject),
            "predicate": json_term(term.predicate),
            "object": json_term(term.object),
        },
    }


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def select_json(names: Sequence[str], rows: Iterable, truncated: bool) -> Iterator[bytes]:
    yield ('{"head":{"vars":' + _dump(list(names)) + '},"results":{"bindings":[').encode()
    first = True
    for batch in _chunks(rows):
        bindings = [
            {n: json_term(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in batch
        ]
        yield (("" if first else ",") + _dump(bindings)[1:-1]).encode()  # one call per chunk
        first = False
    yield (']},"truncated":' + ("true" if truncated else "false") + "}\n").encode()


def _xml_text(text: str) -> str:
    return escape(_XML_BAD.sub("\ufffd", text))


def xml_term(term: Term) -> str:
    """A term as a SPARQL XML results element."""
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            attr = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype.value != XSD_STRING:
            attr = f" datatype={quoteattr(term.datatype.value)}"
        else:
            attr = ""
        return f"<literal{attr}>{_xml_text(term.value)}</literal>"
    return (
        f"<triple><subject>{xml_term(term.subject)}</subject>"
        f"<predicate>{xml_term(term.predicate)}</predicate>"
        f"<object>{xml_term(term.object)}</object></triple>"
    )


def select_xml(names: Sequence[str], rows: Iterable, truncated: bool) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{head}</head><results>\n'
    ).encode()
    for batch in _chunks(rows):
        parts = []
        for row in batch:
            bindings = "".join(
                f"<binding name={quoteattr(n)}>{xml_term(t)}</binding>"
                for n, t in zip(names, row, strict=True)
                if t is not None
            )
            parts.append(f"<result>{bindings}</result>\n")
        yield "".join(parts).encode()
    yield b"</results></sparql>\n"


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def select_csv(names: Sequence[str], rows: Iterable, truncated: bool) -> Iterator[bytes]:
    def write(lines: Iterable[Iterable[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(lines)
        return buffer.getvalue().encode()

    yield write([names])
    for batch in _chunks(rows):
        yield write([_csv_value(t) for t in row] for row in batch)


def _tsv_value(term: Term | None) -> str:
    # str() gives N-Triples syntax, which escapes tabs and line breaks in literals.
    return "" if term is None else str(term)


def select_tsv(names: Sequence[str], rows: Iterable, truncated: bool) -> Iterator[bytes]:
    yield ("\t".join(f"?{n}" for n in names) + "\n").encode()
    for batch in _chunks(rows):
        yield "".join("\t".join(_tsv_value(t) for t in row) + "\n" for row in batch).encode()


SelectWriter = Callable[[Sequence[str], Iterable, bool], Iterator[bytes]]

SELECT_WRITERS: dict[str, SelectWriter] = {
    "json": select_json,
    "xml": select_xml,
    "csv": select_csv,
    "tsv": select_tsv,
}

_BOOLEAN = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def boolean(key: str, value: ox.QueryBoolean) -> bytes:
    """An ASK answer in the format ``key`` (json, xml, csv, tsv)."""
    return value.serialize(format=_BOOLEAN[key])


# --- graphs -------------------------------------------------------------------

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
_PREFIX_LINE = re.compile(rb"\A(?:@prefix [^\n]*\n)+")
_XML_ROOT = re.compile(rb"\A.*?<rdf:RDF\b[^>]*>\n?", re.S)
_XML_END = b"</rdf:RDF>"


def graph(
    key: str, triples: Iterable[ox.Triple], *, prefixes: dict[str, str] | None = None
) -> Iterator[bytes]:
    """Triples in the RDF format ``key`` (ttl, nt, jsonld, rdf, nq, trig), in chunks."""
    fmt = RDF_FORMATS[key]
    if key == "jsonld":
        yield from _jsonld(triples)
        return
    used = prefixes if key in ("ttl", "trig", "rdf") else None
    first = True
    for batch in _chunks(triples):
        data = ox.serialize(batch, format=fmt, prefixes=used)
        if key == "rdf":
            data = data[: data.rindex(_XML_END)]
            if not first:
                data = _XML_ROOT.sub(b"", data, count=1)
        elif not first and used:
            data = _PREFIX_LINE.sub(b"", data, count=1)
        first = False
        yield data
    if key == "rdf":
        yield _XML_END + b"\n" if not first else ox.serialize([], format=fmt, prefixes=used)


def _jsonld(triples: Iterable[ox.Triple]) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in _chunks(triples):
        data = ox.serialize(batch, format=ox.RdfFormat.JSON_LD).strip()
        inner = data[1:-1].strip()
        if inner:
            yield (b"" if first else b",\n") + inner
            first = False
    yield b"]\n"
