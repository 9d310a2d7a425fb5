"""What a SPARQL request text is, read lexically before the engine sees it.

The endpoint needs three answers before it runs anything: the query form
(to negotiate the format and look up the cache without touching the engine),
whether the text is an update (which belongs at ``/update``), and whether it
calls ``SERVICE`` (a federated query makes the server send HTTP requests
wherever the query says, so the public endpoint refuses it). Strings, IRIs
and comments are blanked first, so a keyword inside a literal does not count.
The engine's parser stays the judge of syntax; these are only readings of
the first keywords of the grammar
(`SPARQL 1.1 Query §19.8 <https://www.w3.org/TR/sparql11-query/#sparqlGrammar>`_).
"""

from __future__ import annotations

import functools
import re

_NOISE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.S,
)
_PROLOGUE = r"\A\s*(?:(?:BASE\s*<>|PREFIX\s*[^\s:]*:\s*<>)\s*)*"
_FORM = re.compile(_PROLOGUE + r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)
_UPDATE = re.compile(
    _PROLOGUE + r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE\b", re.I)


@functools.lru_cache(maxsize=64)
def blank(text: str) -> str:
    """The text with strings and IRIs emptied and comments removed (the last few
    are remembered: each request reads its text several times)."""

    def repl(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("<"):
            return "<>"
        if token.startswith("#"):
            return " "
        return '""'

    return _NOISE.sub(repl, text)


def query_form(text: str) -> str | None:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``; None if not a query.

    >>> query_form("PREFIX ex: <http://example.org/#> # SELECT\\nask { ?s ?p ?o }")
    'ASK'
    """
    match = _FORM.match(blank(text))
    return match.group(1).upper() if match else None


def update_keyword(text: str) -> str | None:
    """The first keyword if the text reads as a SPARQL Update, else None.

    >>> update_keyword("PREFIX ex: <x:> INSERT DATA { ex:a ex:b ex:c }")
    'INSERT'
    """
    match = _UPDATE.match(blank(text))
    return match.group(1).upper() if match else None


def uses_service(text: str) -> bool:
    """Whether the query calls a ``SERVICE`` (outside strings, IRIs and comments).

    >>> uses_service('SELECT * WHERE { ?s ?p "SERVICE <x>" }')
    False
    """
    return bool(_SERVICE.search(blank(text)))


_FROM = re.compile(r"(?<![\w:?$])FROM\b", re.I)


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset with ``FROM`` / ``FROM NAMED``.

    >>> has_dataset_clause('SELECT * FROM <http://example.org/g> { ?s ?p "FROM" }')
    True
    >>> has_dataset_clause('SELECT * { ?s ?p "FROM" }')
    False
    """
    return bool(_FROM.search(blank(text)))


# --- point lookups ---------------------------------------------------------------------------

_VAR = r"[?$]\w+"
_PNAME = r"(?:[A-Za-z][\w-]*)?:[\w-]*"
_FIXED = rf'(?:<>|{_PNAME}|""(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<>|{_PNAME}))?'
_FIXED += r"|[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false)"
_NODE = rf"(?:{_FIXED}|{_VAR})"
_TRIPLE = rf"(?P<s>{_NODE})\s+(?:<>|{_PNAME}|{_VAR}|a)\s+(?P<o>{_NODE})\s*\.?"
_POINT = re.compile(
    rf"{_PROLOGUE}(?:SELECT\s*(?:\*|(?:{_VAR}\s*)+)|ASK)\s*(?:WHERE\s*)?"
    rf"\{{\s*{_TRIPLE}\s*\}}(?:\s*LIMIT\s+(?P<limit>\d+))?\s*\Z",
    re.I,
)


def point_lookup(text: str) -> tuple[bool, int | None]:
    """Whether the query is a *point lookup*, and its ``LIMIT`` if it has one.

    A point lookup is a ``SELECT`` or ``ASK`` of one triple pattern whose
    subject or object is fixed (an IRI or a literal), with at most a
    ``LIMIT``: no other operator, no dataset clause. Oxigraph answers it by
    one range scan of an index, a step per row, streamed: its cost is bounded
    by the rows it returns, which the row limit bounds. The reading is
    strict; whatever it does not recognise is not a point lookup.

    >>> point_lookup("SELECT ?p ?o WHERE { <http://example.org/m1> ?p ?o . }")
    (True, None)
    >>> point_lookup("SELECT * { ?s a ?o } LIMIT 5")
    (False, None)
    """
    match = _POINT.match(blank(text))
    if match is None or (match.group("s")[0] in "?$" and match.group("o")[0] in "?$"):
        return False, None
    limit = match.group("limit")
    return True, int(limit) if limit is not None else None
