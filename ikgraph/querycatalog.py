"""The curated query catalogue: ``queries/*.rq`` files with a metadata header.

Each file is one SPARQL query named by its file stem (``queries/planversionen.rq``
→ ``planversionen``). It opens with a header of comment lines that start with
``#+``; ordinary ``#`` comments may stand between them and belong to the query::

    #+ title@de: Maßnahmen nach Handlungsfeld und Ebene
    #+ title@en: Measures by field of action and level
    #+ description@de: Zahl der Maßnahmen je Handlungsfeld und Ebene …
    #+ description@en: Number of measures per field of action and level …
    #+ param: field | iri(ikg:FieldOfAction) | | optional | res:field/6 | Field of action
    #+ param: level | iri | | optional | ikg:District | Level
    #+ enum: level | ikg:StateBody ikg:District ikg:Municipality ikg:CivilSocietyOrganisation

``title@LANG`` and ``description@LANG`` name the query in one language each.
A line ``#+`` followed by two or more spaces continues the value of the line
before it. ``param`` declares a parameter in six fields separated by ``|``:

``name``
    the SPARQL variable it binds (``field`` binds ``?field``);
``type``
    ``iri``, ``iri(CLASS)`` (the resource must exist as an instance of CLASS
    or of a subclass), ``string``, ``integer``, ``date`` (``YYYY-MM-DD``) or
    ``language`` (a BCP 47 tag such as ``de`` or ``en-GB``);
``default``
    the value used when the request gives none (empty: none);
``required``
    ``required`` or ``optional`` (a required parameter has no default);
``example``
    a value that gives a useful answer (required parameters must have one);
``description``
    what it means, in English.

``enum: NAME | V1 V2 …`` restricts a parameter to the listed values. Class
names and enum values may be prefixed names; prefixes come from the query's
``PREFIX`` lines, then from :data:`PREFIXES`. The older header form
``# title: …`` / ``# description: …`` is still read.

**Binding.** :meth:`NamedQuery.bind` turns request values into RDF terms
(:class:`pyoxigraph.NamedNode`, or typed :class:`pyoxigraph.Literal`): a
string becomes an ``xsd:string`` literal whatever it contains, so a value can
never change the query. The store binds them with its ``substitutions``
(`SEP-0007 <https://github.com/w3c/sparql-dev/blob/main/SEP/SEP-0007/sep-0007.md>`_
on Oxigraph, a ``VALUES`` block opening the WHERE group on remote stores).
An optional parameter without a value and without a default stays unbound,
and every query is written so that unbound means "all". Rules that keep both
bindings equivalent, and that :func:`check` partly enforces:

- a parameter variable is projected by ``SELECT`` (Oxigraph requires it) and
  used at the top level of the WHERE group, in a triple pattern, a ``VALUES``
  row, a ``FILTER`` or ``FILTER EXISTS``, not inside a subquery;
- to test an optional value in a ``FILTER`` use ``COALESCE`` (for example
  ``COALESCE(?year, "any") = "any" || ?year = ?budget_year``; for a string
  ``COALESCE(?name, "") = "" || …``, as an empty value counts as absent); never
  ``BOUND(?param)``, which does not see substituted values in Oxigraph, nor
  ``CONTAINS(?x, "")`` for "all", which Virtuoso 7.2 answers false;
- where a parameter has a default, the text uses it when the variable is unbound
  (``COALESCE(?lang, "de")``), so that it runs unchanged in the SPARQL editor.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from ikgraph.querytext import query_form, update_keyword, uses_service
from ikgraph.settings import DEFAULT_BASE_IRI

XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"

#: Parameter types, as written in the header.
TYPES = ("iri", "string", "integer", "date", "language")

#: Request parameters the API itself reads; no query parameter may take these names.
RESERVED = frozenset({"format", "timeout", "max-rows"})

#: Longest value a parameter accepts, in characters.
MAX_VALUE_CHARS = 2048

#: Prefixes known in headers besides those the query declares.
PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "ikg": f"{DEFAULT_BASE_IRI}ontology#",
        "res": f"{DEFAULT_BASE_IRI}id/",
        "org": "http://www.w3.org/ns/org#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "dcat": "http://www.w3.org/ns/dcat#",
        "schema": "http://schema.org/",
        "prov": "http://www.w3.org/ns/prov#",
        "qb": "http://purl.org/linked-data/cube#",
        "eli": "http://data.europa.eu/eli/ontology#",
        "cv": "http://data.europa.eu/m8g/",
        "time": "http://www.w3.org/2006/time#",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "owl": "http://www.w3.org/2002/07/owl#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "xsd": XSD,
    }
)

_KEYS = ("title", "description", "param", "enum")
_TAG = r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*"
_CANONICAL = re.compile(rf"#\+\s?([A-Za-z][\w-]*)(?:@({_TAG}))?\s*:(.*)")
_CONTINUATION = re.compile(r"#\+\s{2,}(\S.*)")
_LEGACY = re.compile(rf"#\s*(title|description)(?:@({_TAG}))?\s*:(.*)")
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\s]*)>", re.I)
_PNAME = re.compile(r"([A-Za-z][\w.-]*)?:([\w./-]*)")
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE = re.compile(r"(iri|string|integer|date|language)(?:\((.+)\))?")
_IRI = re.compile(r"https?://[^\x00-\x20<>\"{}|\\^`\x7f]+")
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LANGUAGE = re.compile(_TAG)


class CatalogError(Exception):
    """A query file is not a valid catalogue entry; the message names file and line."""


class ParameterError(ValueError):
    """A request value for a parameter is missing, unknown or of the wrong type.

    ``parameter`` names it; the message says what is wrong and what is expected.
    """

    def __init__(self, parameter: str, message: str):
        super().__init__(f"parameter {parameter!r}: {message}")
        self.parameter = parameter


def _too_long(value: str) -> str | None:
    if len(value) > MAX_VALUE_CHARS:
        return f"the value has {len(value)} characters; at most {MAX_VALUE_CHARS} are accepted"
    return None


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a query."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: str | None = None
    example: str | None = None
    cls: str | None = None
    enum: tuple[str, ...] = ()

    @property
    def type_text(self) -> str:
        """The type as a reader sees it: ``iri(<https://…#FieldOfAction>)``."""
        return f"iri(<{self.cls}>)" if self.cls else self.type

    def convert(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for one request value.

        :raises ParameterError: if the value does not fit the type or the enum.
        """
        if problem := _too_long(value):
            raise ParameterError(self.name, problem)
        if self.type != "string":
            value = value.strip()
        term = _CONVERTERS[self.type](self.name, value)
        if self.enum and term.value not in self.enum:
            raise ParameterError(
                self.name, f"{value!r} is not one of the allowed values: {', '.join(self.enum)}"
            )
        return term

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "description": self.description,
        }
        if self.cls:
            out["class"] = self.cls
        for key in ("default", "example"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.enum:
            out["enum"] = list(self.enum)
        return out


def _iri(name: str, value: str) -> ox.NamedNode:
    if not _IRI.fullmatch(value) or not urlsplit(value).hostname:
        raise ParameterError(
            name, f"{value[:200]!r} is not an absolute http(s) IRI (such as https://w3id.org/ikg/…)"
        )
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise ParameterError(name, f"{value[:200]!r} is not a valid IRI: {exc}") from None


def _string(name: str, value: str) -> ox.Literal:
    return ox.Literal(value)


def _integer(name: str, value: str) -> ox.Literal:
    if not _INTEGER.fullmatch(value):
        raise ParameterError(name, f"{value[:200]!r} is not an integer (digits, at most 18)")
    return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))


def _date(name: str, value: str) -> ox.Literal:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(name, f"{value[:200]!r} is not a date (YYYY-MM-DD)") from None
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _language(name: str, value: str) -> ox.Literal:
    if not _LANGUAGE.fullmatch(value):
        raise ParameterError(
            name, f"{value[:200]!r} is not a BCP 47 language tag (such as de, en or en-GB)"
        )
    return ox.Literal(value.lower())


_CONVERTERS = {
    "iri": _iri,
    "string": _string,
    "integer": _integer,
    "date": _date,
    "language": _language,
}

#: A value of each type, to compile a query whose parameters are all bound.
_PROBES = {
    "iri": "https://example.org/probe",
    "string": "probe",
    "integer": "1",
    "date": "2000-01-01",
    "language": "de",
}


@dataclass(frozen=True)
class NamedQuery:
    """One curated query: its name, text, header and, once checked, its form."""

    name: str
    text: str
    titles: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)
    parameters: tuple[Parameter, ...] = ()
    form: str | None = None
    variables: tuple[str, ...] = ()

    def title(self, lang: str = "de") -> str:
        """The title in ``lang``, else the untagged one, else any, else the name."""
        return _pick(self.titles, lang) or self.name

    def description(self, lang: str = "en") -> str:
        return _pick(self.descriptions, lang) or ""

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def bind(
        self, values: Mapping[str, str | Sequence[str]], *, store: Any = None
    ) -> dict[str, ox.NamedNode | ox.Literal]:
        """The substitutions for one request.

        :param values: request values by name (a string or a list of strings
            each). Empty values count as absent; names in :data:`RESERVED` are
            left to the caller.
        :param store: if given, a value for an ``iri(CLASS)`` parameter must be
            an instance of CLASS (or of a subclass) in it.
        :raises ParameterError: for an unknown parameter, a value given twice,
            a missing required value, a value of the wrong type, or a resource
            that is not of the declared class.
        """
        given: dict[str, str] = {}
        for name, raw in values.items():
            if name in RESERVED:
                continue
            listed = [raw] if isinstance(raw, str) else list(raw)
            if self.parameter(name) is None:
                known = ", ".join(p.name for p in self.parameters)
                takes = f"this query takes {known}" if known else "this query takes none"
                raise ParameterError(name, f"unknown parameter; {takes}")
            present = [v for v in listed if v != ""]
            if len(present) > 1:
                raise ParameterError(name, "given more than once")
            if present:
                given[name] = present[0]
        terms: dict[str, ox.NamedNode | ox.Literal] = {}
        for param in self.parameters:
            value = given.get(param.name, param.default)
            if value is None:
                if param.required:
                    hint = f" (for example {param.example})" if param.example else ""
                    raise ParameterError(param.name, f"is required{hint}")
                continue
            term = param.convert(value)
            if store is not None and param.cls and not _is_instance(store, term, param.cls):
                raise ParameterError(
                    param.name, f"<{term.value}> is not a resource of class <{param.cls}>"
                )
            terms[param.name] = term
        return terms

    def as_dict(self) -> dict[str, Any]:
        """What ``GET /api/queries`` says about the query."""
        return {
            "name": self.name,
            "title": dict(self.titles),
            "description": dict(self.descriptions),
            "form": self.form,
            "variables": list(self.variables),
            "parameters": [p.as_dict() for p in self.parameters],
            "query": self.text,
        }


def _pick(texts: Mapping[str, str], lang: str) -> str | None:
    return texts.get(lang) or texts.get("") or next(iter(texts.values()), None)


def _is_instance(store: Any, term: ox.NamedNode, cls: str) -> bool:
    answer = store.query(
        f"ASK {{ ?resource a/<{RDFS_SUBCLASS}>* ?class }}",
        substitutions={"resource": term, "class": ox.NamedNode(cls)},
    )
    return bool(answer)


# --- reading ------------------------------------------------------------------


def _header(text: str) -> Iterator[tuple[int, str]]:
    """The comment lines at the top of the text, numbered from 1."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return
        if stripped:
            yield number, stripped


def _expand(name: str, where: str, token: str, prefixes: Mapping[str, str]) -> str:
    """An IRI from ``<iri>``, a bare http(s) IRI or a prefixed name."""
    token = token.strip()
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1]
    if token.startswith(("http://", "https://")):
        return token
    match = _PNAME.fullmatch(token)
    if match and (match.group(1) or "") in prefixes:
        return prefixes[match.group(1) or ""] + match.group(2)
    raise CatalogError(f"{where}: {name}: cannot read {token!r} as an IRI (unknown prefix?)")


def _param(where: str, value: str, prefixes: Mapping[str, str]) -> Parameter:
    fields = [f.strip() for f in value.split("|", 5)]
    if len(fields) != 6:
        raise CatalogError(
            f"{where}: param needs six fields: name | type | default | required | example "
            f"| description (got {len(fields)})"
        )
    name, type_text, default, required, example, description = fields
    if not _VARNAME.fullmatch(name):
        raise CatalogError(f"{where}: parameter name {name!r} is not a SPARQL variable name")
    if name in RESERVED:
        raise CatalogError(f"{where}: parameter name {name!r} is reserved for the API")
    match = _TYPE.fullmatch(type_text)
    if not match or (match.group(2) and match.group(1) != "iri"):
        raise CatalogError(
            f"{where}: parameter {name}: unknown type {type_text!r}; use iri, iri(CLASS), "
            "string, integer, date or language"
        )
    if required not in ("required", "optional"):
        raise CatalogError(
            f"{where}: parameter {name}: write 'required' or 'optional', not {required!r}"
        )
    cls = _expand(name, where, match.group(2), prefixes) if match.group(2) else None
    if match.group(1) == "iri":  # defaults and examples may be prefixed names
        default, example = (
            _expand(name, where, v, prefixes) if v and not v.startswith("http") else v
            for v in (default, example)
        )
    param = Parameter(
        name=name,
        type=match.group(1),
        description=description,
        required=required == "required",
        default=default or None,
        example=example or None,
        cls=cls,
    )
    if param.required and param.default is not None:
        raise CatalogError(f"{where}: parameter {name} is required and cannot have a default")
    if param.required and param.example is None:
        raise CatalogError(f"{where}: required parameter {name} needs an example")
    return param


def _prefixes(text: str, base: str) -> dict[str, str]:
    declared = {(p or ""): iri for p, iri in _PREFIX_DECL.findall(text)}
    return {**{p: _rebase(ns, base) for p, ns in PREFIXES.items()}, **declared}


def _rebase(text: str, base: str) -> str:
    return text if base == DEFAULT_BASE_IRI else text.replace(DEFAULT_BASE_IRI, base)


def parse(text: str, *, name: str, base: str = DEFAULT_BASE_IRI, source: str = "") -> NamedQuery:
    """Read the header of a query; the query itself is not compiled (see :func:`check`).

    Texts written with the default base IRI are rebased onto ``base``.

    :raises CatalogError: for a malformed header line, a parameter declared
        twice, or an ``enum`` for an undeclared parameter.
    """
    text = _rebase(text, base)
    source = source or f"{name}.rq"
    prefixes = _prefixes(text, base)
    titles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    params: dict[str, Parameter] = {}
    enums: list[tuple[str, str, str]] = []
    last: tuple[dict[str, str], str] | None = None
    for number, line in _header(text):
        where = f"{source}:{number}"
        if line.startswith("#+") and (cont := _CONTINUATION.fullmatch(line)):
            if last is None:
                raise CatalogError(f"{where}: a continuation line needs a line before it")
            texts, lang = last
            texts[lang] = f"{texts[lang]} {cont.group(1).strip()}"
            continue
        match = _CANONICAL.fullmatch(line) if line.startswith("#+") else _LEGACY.fullmatch(line)
        if match is None:
            if line.startswith("#+"):
                raise CatalogError(f"{where}: cannot read header line {line!r}")
            last = None
            continue
        key, lang, value = match.group(1).lower(), (match.group(2) or "").lower(), match.group(3)
        value = value.strip()
        last = None
        if key not in _KEYS:
            raise CatalogError(f"{where}: unknown header key {key!r}; known: {', '.join(_KEYS)}")
        if key in ("title", "description"):
            texts = titles if key == "title" else descriptions
            if lang in texts:
                raise CatalogError(f"{where}: {key}{'@' + lang if lang else ''} given twice")
            texts[lang] = value
            last = (texts, lang)
        elif lang:
            raise CatalogError(f"{where}: {key} takes no language tag")
        elif key == "param":
            param = _param(where, value, prefixes)
            if param.name in params:
                raise CatalogError(f"{where}: parameter {param.name} declared twice")
            params[param.name] = param
        else:
            target, _, listed = value.partition("|")
            enums.append((where, target.strip(), listed))
    for where, target, listed in enums:
        if target not in params:
            raise CatalogError(f"{where}: enum for undeclared parameter {target!r}")
        param = params[target]
        tokens = listed.replace(",", " ").split()
        values = tuple(
            _expand(target, where, t, prefixes) if param.type == "iri" else t for t in tokens
        )
        if not values:
            raise CatalogError(f"{where}: enum for {target} lists no values")
        params[target] = replace(param, enum=values)
    query = NamedQuery(
        name=name,
        text=text,
        titles=MappingProxyType(titles),
        descriptions=MappingProxyType(descriptions),
        parameters=tuple(params.values()),
    )
    for param in query.parameters:
        for value in (param.default, param.example):
            if value is not None:
                try:
                    param.convert(value)
                except ParameterError as exc:
                    raise CatalogError(f"{source}: default or example: {exc}") from None
    return query


def check(query: NamedQuery, *, source: str = "") -> NamedQuery:
    """Compile the query with every parameter bound; return it with its form and variables.

    :raises CatalogError: if the query is an update, calls ``SERVICE``, is
        malformed, lacks a title, or a parameter is unused or not projected.
    """
    source = source or f"{query.name}.rq"
    if not query.titles:
        raise CatalogError(f"{source}: the header needs a title (#+ title@de: …)")
    if keyword := update_keyword(query.text):
        raise CatalogError(f"{source}: {keyword} is SPARQL Update; the catalogue holds queries")
    if uses_service(query.text):
        raise CatalogError(f"{source}: SERVICE is not allowed in catalogue queries")
    for param in query.parameters:
        if not re.search(rf"[?$]{param.name}\b", query.text):
            raise CatalogError(f"{source}: parameter {param.name} is not used as ?{param.name}")
    probes = {
        p.name: p.convert(p.example or p.default or (p.enum or (_PROBES[p.type],))[0])
        for p in query.parameters
    }
    try:
        result = ox.Store().query(
            query.text,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in probes.items()},
        )
    except SyntaxError as exc:
        raise CatalogError(f"{source}: malformed query: {exc}") from None
    except (RuntimeError, ValueError) as exc:  # Oxigraph: a substituted variable not projected
        raise CatalogError(
            f"{source}: {exc} (every parameter must be projected by SELECT)"
        ) from None
    form = query_form(query.text)
    if isinstance(result, ox.QuerySolutions):
        return replace(
            query, form=form or "SELECT", variables=tuple(v.value for v in result.variables)
        )
    if isinstance(result, ox.QueryBoolean):
        return replace(query, form="ASK")
    return replace(query, form=form or "CONSTRUCT")


def read(path: Path, *, base: str = DEFAULT_BASE_IRI) -> NamedQuery:
    """Parse and check one file.

    :raises CatalogError: if the file cannot be read or is not a valid entry.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot read: {exc}") from None
    return check(parse(text, name=path.stem, base=base, source=path.name), source=path.name)


@dataclass(frozen=True)
class Catalog:
    """The valid queries of a folder by name, and why the others were left out."""

    queries: Mapping[str, NamedQuery]
    errors: Mapping[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self.queries.values())

    def __len__(self) -> int:
        return len(self.queries)

    def get(self, name: str) -> NamedQuery | None:
        return self.queries.get(name)


def load(folder: str | Path, *, base: str = DEFAULT_BASE_IRI) -> Catalog:
    """The catalogue of ``folder`` (empty if it does not exist), sorted by name.

    A file that is not a valid entry is left out and its error recorded.
    Catalogues are kept while their files are unchanged.
    """
    path = Path(folder)
    files = sorted(path.glob("*.rq")) if path.is_dir() else []
    signature = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        signature.append((file.name, stat.st_mtime_ns, stat.st_size))
    return _load(str(path.resolve()), base, tuple(signature))


@lru_cache(maxsize=16)
def _load(folder: str, base: str, signature: tuple[tuple[str, int, int], ...]) -> Catalog:
    queries: dict[str, NamedQuery] = {}
    errors: dict[str, str] = {}
    for name, _, _ in signature:
        path = Path(folder) / name
        try:
            queries[path.stem] = read(path, base=base)
        except CatalogError as exc:
            errors[path.stem] = str(exc)
    return Catalog(MappingProxyType(queries), MappingProxyType(errors))
