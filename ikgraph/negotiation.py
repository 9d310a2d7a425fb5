"""Content negotiation: pick the media type of an answer, in one place.

Two inputs decide what a client gets: the ``Accept`` header
(`RFC 9110 §12.5.1 <https://www.rfc-editor.org/rfc/rfc9110#name-accept>`_,
with q-values and wildcards) and an explicit ``format=`` parameter for links
(names such as ``ttl``, ``json``, or a media type). ``format=`` wins over
``Accept``. Every view that answers in more than one format (the SPARQL
endpoint, and the linked-data pages) asks this module.

The matching itself is werkzeug's :class:`~werkzeug.datastructures.MIMEAccept`,
which Flask already parses ``request.accept_mimetypes`` with. It is maintained,
sorts client ranges by specificity before quality (so ``text/csv;q=0, */*``
excludes CSV, as RFC 9110 requires), and breaks ties by the server's order of
preference. Two things are added here: media-type parameters other than ``q``
(``; charset=utf-8``) are ignored, because werkzeug would otherwise demand the
same parameters on the offered type; and an empty or unparsable header means
``*/*`` (RFC 9110: a server may ignore a header it cannot read).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True, eq=False)  # one object per format: compared (and hashed) by identity
class Format:
    """One format an answer can take.

    :param key: the short name used in ``format=`` links and in the cache key.
    :param media_type: the registered media type sent in ``Content-Type``.
    :param label: a human name for pages and error messages.
    :param aliases: other media types clients send for the same thing
        (``application/json`` for SPARQL JSON, ``text/plain`` for N-Triples).
    :param names: other ``format=`` values understood (``turtle``, ``json-ld``).
    """

    key: str
    media_type: str
    label: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """``Content-Type`` value: every text format ikgraph writes is UTF-8."""
        return f"{self.media_type}; charset=utf-8"


HTML = Format("html", "text/html", "HTML", aliases=("application/xhtml+xml",))

#: Answers to SELECT and ASK, in order of preference (the first answers ``*/*``).
#: https://www.w3.org/TR/sparql11-results-json/, …-XMLres/, …-results-csv-tsv/
RESULT_FORMATS: tuple[Format, ...] = (
    Format(
        "json", "application/sparql-results+json", "SPARQL JSON", ("application/json",), ("srj",)
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "SPARQL XML",
        ("application/xml", "text/xml"),
        ("srx",),
    ),
    Format("csv", "text/csv", "CSV"),
    Format("tsv", "text/tab-separated-values", "TSV"),
    HTML,
)

#: Answers that are RDF graphs (CONSTRUCT, DESCRIBE, service description,
#: linked-data pages), in order of preference. Turtle is a subset of N3, so
#: N3 requests get Turtle; ``text/plain`` is the historic N-Triples type.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format(
        "ttl",
        "text/turtle",
        "Turtle",
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
        ("turtle", "n3"),
    ),
    Format("nt", "application/n-triples", "N-Triples", ("text/plain",), ("ntriples", "n-triples")),
    Format(
        "jsonld",
        "application/ld+json",
        "JSON-LD",
        ("application/json", "application/x-json+ld"),
        ("json-ld", "json"),
    ),
    Format(
        "rdf",
        "application/rdf+xml",
        "RDF/XML",
        ("application/xml", "text/xml"),
        ("rdfxml", "rdf+xml", "xml", "owl"),
    ),
    Format("nq", "application/n-quads", "N-Quads", (), ("nquads", "n-quads")),
    Format("trig", "application/trig", "TriG"),
    HTML,
)


def _clean(accept: str | None) -> str:
    """The header with media-type parameters other than ``q`` removed."""
    ranges = []
    for item in (accept or "").split(","):
        parts = [p.strip() for p in item.split(";")]
        if not parts[0]:
            continue
        q = [p for p in parts[1:] if p.replace(" ", "").lower().startswith("q=")]
        ranges.append(";".join([parts[0].lower(), *q[:1]]))
    return ", ".join(ranges)


def parse_accept(accept: str | None) -> MIMEAccept:
    """Parse an ``Accept`` header; empty or unreadable means ``*/*``."""
    parsed = parse_accept_header(_clean(accept), MIMEAccept)
    return parsed if len(parsed) else MIMEAccept([("*/*", 1)])


def best_match(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client prefers most, or None if it accepts none.

    >>> best_match("text/html,application/xml;q=0.9,*/*;q=0.8", ["text/turtle", "text/html"])
    'text/html'
    >>> best_match("text/csv; charset=utf-8", ["text/turtle", "text/csv"])
    'text/csv'
    >>> best_match("text/csv;q=0", ["text/csv"]) is None
    True
    """
    return parse_accept(accept).best_match(offered)


def by_name(formats: Iterable[Format], name: str) -> Format | None:
    """The format called ``name`` in a ``format=`` parameter (a key, name or media type)."""
    wanted = name.strip().lower()
    for fmt in formats:
        if wanted in (fmt.key, *fmt.names, fmt.media_type, *fmt.aliases):
            return fmt
    return None


def choose(
    formats: Sequence[Format], *, accept: str | None, requested: Sequence[str] = ()
) -> Format | None:
    """Pick one of ``formats`` for a request, or None if nothing offered fits.

    :param requested: values of ``format=`` parameters; the first one naming an
        offered format wins over ``Accept``. If values are given and none names
        an offered format, the answer is None (the client asked for something
        specific that is not offered).
    """
    return _choose(tuple(formats), accept, tuple(requested))


# clients send the same few headers again and again


@functools.lru_cache(maxsize=512)
def _choose(formats: tuple[Format, ...], accept: str | None, requested: tuple[str, ...]):
    names = [r for r in requested if r.strip()]
    if names:
        for name in names:
            fmt = by_name(formats, name)
            if fmt is not None:
                return fmt
        return None
    offered: list[str] = [f.media_type for f in formats]
    offered += [a for f in formats for a in f.aliases if a not in offered]
    match = best_match(accept, offered)
    if match is None:
        return None
    return next(f for f in formats if match in (f.media_type, *f.aliases))


def describe(formats: Iterable[Format]) -> str:
    """One line per format for error messages: media type and ``format=`` key."""
    return "\n".join(f"  {f.media_type} (format={f.key}): {f.label}" for f in formats)
