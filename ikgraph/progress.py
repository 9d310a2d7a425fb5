"""Targets, indicators and their observations, read from the store.

Progress towards the targets is computed by one curated SPARQL query,
``queries/zielfortschritt.rq``, so that the pages and a researcher running the
query get the same numbers; this module only runs it and types its rows. The
rules (share of the way, share of time, status) are documented in
``docs/targets.md`` and in the query's header.

Indicator pages read an indicator, its observations (W3C Data Cube,
https://www.w3.org/TR/vocab-data-cube/) and their triples. Queries are written
with the default base IRI and rebased to the configured one, as the ontology
and shapes are (:mod:`ikgraph.model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from ikgraph.settings import DEFAULT_BASE_IRI
from ikgraph.store import Store

ROOT = Path(__file__).resolve().parent.parent
QUERY_NAME = "zielfortschritt"
HESSEN = "http://dcat-ap.de/def/politicalGeocoding/stateKey/06"
STATUSES = ("achieved", "on track", "behind", "no data", "no target value")

_PREFIXES = """PREFIX ikg: <https://w3id.org/ikg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def rebase_query(text: str, base: str) -> str:
    """``text`` with IRIs under the default base moved under ``base``."""
    return text if base == DEFAULT_BASE_IRI else text.replace(DEFAULT_BASE_IRI, base)


def query_path(queries_dir: str | Path | None = None) -> Path:
    """``zielfortschritt.rq`` in ``queries_dir`` if it is there, else the shipped one."""
    if queries_dir is not None:
        path = Path(queries_dir) / f"{QUERY_NAME}.rq"
        if path.is_file():
            return path
    return ROOT / "queries" / f"{QUERY_NAME}.rq"


@lru_cache(maxsize=8)
def _read(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def query_text(*, base: str = DEFAULT_BASE_IRI, queries_dir: str | Path | None = None) -> str:
    """The progress query as a researcher would run it against this store."""
    path = query_path(queries_dir)
    return rebase_query(_read(path, path.stat().st_mtime), base)


def _value(term: ox.NamedNode | ox.Literal | None) -> str | None:
    return None if term is None else term.value


def _decimal(term: ox.Literal | None) -> Decimal | None:
    return None if term is None else Decimal(term.value)


def _year(term: ox.Literal | None) -> int | None:
    return None if term is None else int(term.value[:4])


def _sources(term: ox.Literal | None) -> tuple[str, ...]:
    return tuple(sorted(set(term.value.split()))) if term is not None else ()


@dataclass(frozen=True)
class TargetProgress:
    """One row of the progress query: a target in one field of action."""

    target: str
    label: str
    label_en: str | None
    field: str | None
    field_label: str | None
    field_label_en: str | None
    indicator: str
    indicator_label: str | None
    indicator_label_en: str | None
    unit: str
    area: str
    baseline: Decimal | None
    baseline_year: int | None
    target_value: Decimal | None
    deadline: str | None
    direction: str | None
    observation: str | None
    latest: Decimal | None
    latest_year: int | None
    share: Decimal | None
    time_share: Decimal | None
    status: str
    target_sources: tuple[str, ...] = ()
    latest_sources: tuple[str, ...] = ()
    aim: str | None = None

    @classmethod
    def from_solution(cls, row: ox.QuerySolution) -> TargetProgress:
        return cls(
            target=row["target"].value,
            label=_value(row["target_label"]) or row["target"].value,
            label_en=_value(row["target_label_en"]),
            field=_value(row["field"]),
            field_label=_value(row["field_label"]),
            field_label_en=_value(row["field_label_en"]),
            indicator=row["indicator"].value,
            indicator_label=_value(row["indicator_label"]),
            indicator_label_en=_value(row["indicator_label_en"]),
            unit=row["unit"].value,
            area=row["area"].value,
            baseline=_decimal(row["baseline"]),
            baseline_year=_year(row["baseline_year"]),
            target_value=_decimal(row["target_value"]),
            deadline=_value(row["deadline"]),
            direction=_value(row["direction"]),
            observation=_value(row["observation"]),
            latest=_decimal(row["latest"]),
            latest_year=_year(row["latest_year"]),
            share=_decimal(row["share"]),
            time_share=_decimal(row["time_share"]),
            status=row["status"].value,
            target_sources=_sources(row["target_sources"]),
            latest_sources=_sources(row["latest_sources"]),
            aim=_value(row["aim"]),
        )


def solutions(
    store: Store, *, base: str = DEFAULT_BASE_IRI, queries_dir: str | Path | None = None
) -> ox.QuerySolutions:
    """The raw answer of the progress query (for the SPARQL result twins)."""
    return store.query(query_text(base=base, queries_dir=queries_dir))


def progress(
    store: Store, *, base: str = DEFAULT_BASE_IRI, queries_dir: str | Path | None = None
) -> list[TargetProgress]:
    """Every target with its progress, one row per target and field of action."""
    return [
        TargetProgress.from_solution(row)
        for row in solutions(store, base=base, queries_dir=queries_dir)
    ]


# --- indicators and observations ------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    iri: str
    label: str
    label_en: str | None = None
    definition: str | None = None
    definition_en: str | None = None
    unit: str | None = None
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    observations: int = 0

    @property
    def slug(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Observation:
    """One value of an indicator: area, year, population group, value, sources."""

    iri: str
    year: int
    value: Decimal
    area: str
    area_label: str
    group: str
    group_label: str
    unit: str | None
    sources: tuple[str, ...] = field(default_factory=tuple)
    note: str | None = None


def _run(store: Store, query: str, base: str, **bindings: str) -> list[ox.QuerySolution]:
    """Run ``query`` with the variables named in ``bindings`` bound to those IRIs."""
    substitutions = {name: ox.NamedNode(iri) for name, iri in bindings.items()}
    return list(store.query(rebase_query(_PREFIXES + query, base), substitutions=substitutions))


def indicator_iri(slug: str, *, base: str = DEFAULT_BASE_IRI) -> str:
    return f"{base}id/indicator/{slug}"


def indicators(store: Store, *, base: str = DEFAULT_BASE_IRI) -> list[Indicator]:
    """Every indicator with its German and English name and its number of observations."""
    rows = _run(
        store,
        """SELECT ?i (SAMPLE(?de) AS ?label) (SAMPLE(?en) AS ?label_en) (SAMPLE(?u) AS ?unit)
                  (COUNT(DISTINCT ?o) AS ?n) WHERE {
             ?i a ikg:Indicator .
             OPTIONAL { ?i skos:prefLabel ?de FILTER(lang(?de) = "de") }
             OPTIONAL { ?i skos:prefLabel ?en FILTER(lang(?en) = "en") }
             OPTIONAL { ?i ikg:unit ?u }
             OPTIONAL { ?o a qb:Observation ; ikg:indicator ?i }
           } GROUP BY ?i ORDER BY ?label""",
        base,
    )
    return [
        Indicator(
            iri=r["i"].value,
            label=_value(r["label"]) or r["i"].value,
            label_en=_value(r["label_en"]),
            unit=_value(r["unit"]),
            observations=int(r["n"].value),
        )
        for r in rows
    ]


def indicator(store: Store, iri: str, *, base: str = DEFAULT_BASE_IRI) -> Indicator | None:
    """An indicator with its definition, notes and sources, or None if there is none."""
    rows = _run(
        store,
        """SELECT ?indicator ?p ?v WHERE {
             ?indicator a ikg:Indicator ; ?p ?v .
             VALUES ?p { skos:prefLabel skos:definition skos:note ikg:unit dcterms:source }
           }""",
        base,
        indicator=iri,
    )
    if not rows:
        return None
    values: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        prop = row["p"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        language = getattr(row["v"], "language", None) or ""
        values.setdefault((prop, language), []).append(row["v"].value)

    def one(prop: str, language: str = "") -> str | None:
        found = values.get((prop, language))
        return sorted(found)[0] if found else None

    return Indicator(
        iri=iri,
        label=one("prefLabel", "de") or iri,
        label_en=one("prefLabel", "en"),
        definition=one("definition", "de"),
        definition_en=one("definition", "en"),
        unit=one("unit"),
        notes=tuple(sorted(values.get(("note", "de"), []))),
        sources=tuple(sorted(values.get(("source", ""), []))),
    )


def observations(
    store: Store, indicator_iri: str, *, base: str = DEFAULT_BASE_IRI
) -> list[Observation]:
    """The indicator's observations, by area, population group and year."""
    rows = _run(
        store,
        """SELECT ?indicator ?o ?year ?value ?area ?group ?unit
                  (SAMPLE(?al) AS ?area_label) (SAMPLE(?gl) AS ?group_label)
                  (SAMPLE(?n) AS ?note)
                  (GROUP_CONCAT(DISTINCT STR(?s); separator=" ") AS ?sources) WHERE {
             ?o a qb:Observation ;
                ikg:indicator ?indicator ;
                ikg:refYear ?year ;
                sdmx-measure:obsValue ?value ;
                sdmx-dimension:refArea ?area ;
                ikg:populationGroup ?group .
             OPTIONAL { ?o ikg:unit ?unit }
             OPTIONAL { ?o dcterms:source ?s }
             OPTIONAL { ?o skos:editorialNote|skos:note ?n FILTER(lang(?n) = "de") }
             OPTIONAL { ?group skos:prefLabel ?gl FILTER(lang(?gl) = "de") }
             OPTIONAL {
               { ?place ikg:nuts ?nuts } UNION { ?place a ikg:Municipality }
               ?place dcterms:spatial ?area ; skos:prefLabel ?al FILTER(lang(?al) = "de")
             }
           }
           GROUP BY ?indicator ?o ?year ?value ?area ?group ?unit""",
        base,
        indicator=indicator_iri,
    )
    found = [
        Observation(
            iri=r["o"].value,
            year=int(r["year"].value[:4]),
            value=Decimal(r["value"].value),
            area=r["area"].value,
            area_label=_value(r["area_label"]) or r["area"].value.rsplit("/", 2)[-1],
            group=r["group"].value,
            group_label=_value(r["group_label"]) or r["group"].value.rsplit("/", 1)[-1],
            unit=_value(r["unit"]),
            sources=_sources(r["sources"]),
            note=_value(r["note"]),
        )
        for r in rows
    ]
    return sorted(found, key=lambda o: (o.area != HESSEN, o.area_label, o.group, o.year, o.iri))


def observation_triples(
    store: Store, indicator_iri: str, *, base: str = DEFAULT_BASE_IRI
) -> list[ox.Triple]:
    """The triples of the indicator's observations, as published."""
    answer = store.query(
        rebase_query(
            _PREFIXES
            + f"""CONSTRUCT {{ ?o ?p ?v }} WHERE {{
                 ?o a qb:Observation ; ikg:indicator <{indicator_iri}> ; ?p ?v .
               }}""",
            base,
        )
    )
    return sorted(answer, key=lambda t: (t.subject.value, t.predicate.value, str(t.object)))


def targets_of(rows: Sequence[TargetProgress], indicator_iri: str) -> list[TargetProgress]:
    """The progress rows of the targets measured by one indicator, one per target."""
    seen: dict[str, TargetProgress] = {}
    for row in rows:
        if row.indicator == indicator_iri:
            seen.setdefault(row.target, row)
    return list(seen.values())
