"""Targets and indicators for people: progress tables and time-series charts.

``/targets`` shows every target per field of action with baseline, target
value, deadline, latest value, share of the way and status, computed by the
curated query ``queries/zielfortschritt.rq`` (:mod:`ikgraph.progress`); its
machine-readable twins are that query's answer as SPARQL results
(``?format=json|xml|csv|tsv`` or ``Accept``). ``/indicators/<slug>`` shows an
indicator's values with a chart (``chart.svg``, drawn by :mod:`ikgraph.charts`)
and a table, with twins ``data.csv`` and ``data.ttl`` (the observations'
triples). Every number on these pages is shown next to links to its
``dcterms:source``. No JavaScript.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from ikgraph import cache, charts, progress
from ikgraph.negotiation import HTML, RESULT_FORMATS, choose, describe
from ikgraph.serialize import SELECT_WRITERS, graph, prefixes
from ikgraph.views import get_cache, get_store, local_href, public_url

bp = Blueprint("targets", __name__)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SVG = "image/svg+xml"
CSV = "text/csv; charset=utf-8"
TURTLE = "text/turtle; charset=utf-8"
STATUS_DE = {
    "achieved": "erreicht",
    "on track": "auf Kurs",
    "behind": "im Verzug",
    "no data": "keine Daten",
    "no target value": "kein Zahlenziel",
}
CSV_COLUMNS = (
    "indicator", "observation", "area", "area_label", "year", "population_group",
    "value", "unit", "sources",
)  # fmt: skip


def _base() -> str:
    return current_app.config["BASE_IRI"]


def _queries_dir() -> str | None:
    return current_app.config.get("QUERIES_DIR")


def _link(*alternates: tuple[str, str]) -> str:
    return ", ".join(
        f'<{public_url(url)}>; rel="alternate"; type="{kind}"' for url, kind in alternates
    )


def _cached(name: str, make, content_type: str) -> Response:
    """An answer computed once per store version (charts and twins)."""
    store, answers = get_store(), get_cache()
    version = store.version()
    answers.sync(version)
    key = cache.key("targets", name, _base(), version)
    hit = answers.get(key)
    if hit is None:
        hit = cache.Answer(make(), content_type)
        answers.put(key, hit)
    response = Response(hit.body, content_type=content_type)
    response.set_etag(cache.etag(key), weak=True)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


# --- formatting for the templates ----------------------------------------------


def number(value: Decimal | None) -> str:
    return "–" if value is None else charts.number(value)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return charts.number((value * 100).quantize(Decimal("0.1"))) + " %"


def host(url: str) -> str:
    return (urlsplit(url).hostname or url).removeprefix("www.")


def deadline(value: str | None) -> str:
    if not value:
        return "–"
    return value if len(value) == 4 else ".".join(reversed(value.split("-")))


@bp.app_template_filter("source_hosts")
def _source_hosts(urls: Iterable[str]) -> list[tuple[str, str]]:
    return [(url, host(url)) for url in urls]


def _helpers() -> dict:
    return {
        "number": number,
        "percent": percent,
        "deadline": deadline,
        "href": local_href,
        "status_de": STATUS_DE,
    }


# --- /targets ---------------------------------------------------------------------


@bp.route("/targets")
def overview() -> Response:
    """Every target per field of action with its progress; twins: the query's answer."""
    formats = (HTML, *[f for f in RESULT_FORMATS if f is not HTML])
    fmt = choose(
        formats, accept=request.headers.get("Accept"), requested=request.args.getlist("format")
    )
    if fmt is None:
        return Response(
            "Not acceptable. This page is available as:\n" + describe(formats) + "\n",
            status=406,
            content_type="text/plain; charset=utf-8",
        )
    store, base = get_store(), _base()
    alternates = [(url_for(".overview", format=f.key), f.media_type) for f in formats[1:]]
    if fmt is not HTML:
        answer = progress.solutions(store, base=base, queries_dir=_queries_dir())
        names = [v.value for v in answer.variables]
        rows = [[row[n] for n in names] for row in answer]
        body = b"".join(SELECT_WRITERS[fmt.key](names, rows, False))
        response = Response(body, content_type=fmt.content_type)
    else:
        rows = progress.progress(store, base=base, queries_dir=_queries_dir())
        fields: dict[str | None, list[progress.TargetProgress]] = {}
        for row in rows:
            fields.setdefault(row.field, []).append(row)
        html = render_template(
            "targets.html",
            base=base,
            fields=sorted(fields.items(), key=lambda kv: (kv[0] is None, _field_order(kv[0]))),
            rows=rows,
            targets={r.target for r in rows},
            statuses=progress.STATUSES,
            downloads=[(url_for(".overview", format=f.key), f.label) for f in formats[1:]],
            **_helpers(),
        )
        response = Response(html, content_type=HTML.content_type)
    response.headers["Link"] = _link(*alternates)
    response.vary.add("Accept")
    return response


def _field_order(field: str | None) -> tuple[int, str]:
    tail = (field or "").rsplit("/", 1)[-1]
    return (int(tail), "") if tail.isdigit() else (10**6, tail)


# --- /indicators ------------------------------------------------------------------


@bp.route("/indicators")
def indicator_list() -> Response:
    """Every indicator, with how many observations it has."""
    items = progress.indicators(get_store(), base=_base())
    html = render_template("indicator.html", base=_base(), listing=items, **_helpers())
    return Response(html, content_type=HTML.content_type)


def _indicator_or_404(slug: str) -> progress.Indicator:
    if not _SLUG.fullmatch(slug):
        abort(404)
    found = progress.indicator(
        get_store(), progress.indicator_iri(slug, base=_base()), base=_base()
    )
    if found is None:
        abort(404)
    return found


def _series(observations: list[progress.Observation]) -> list[charts.Series]:
    groups: dict[tuple[str, str], list[progress.Observation]] = {}
    for obs in observations:
        groups.setdefault((obs.area_label, obs.group_label), []).append(obs)
    return [
        charts.Series(
            f"{area} · {group}",
            tuple((o.year, o.value) for o in sorted(items, key=lambda o: o.year)),
        )
        for (area, group), items in groups.items()
    ]


def _target_lines(rows: list[progress.TargetProgress]) -> list[charts.TargetLine]:
    return [
        charts.TargetLine(
            label=f"Ziel: {number(row.target_value)} {row.unit}"
            + (f" bis {deadline(row.deadline)}" if row.deadline else ""),
            value=row.target_value,
            deadline_year=int(row.deadline[:4]) if row.deadline else None,
            baseline=row.baseline,
            baseline_year=row.baseline_year,
        )
        for row in rows
        if row.target_value is not None
    ]


def _chart(indicator: progress.Indicator) -> bytes:
    store, base = get_store(), _base()
    observations = progress.observations(store, indicator.iri, base=base)
    rows = progress.targets_of(
        progress.progress(store, base=base, queries_dir=_queries_dir()), indicator.iri
    )
    return charts.svg(
        _series(observations),
        title=indicator.label,
        unit=indicator.unit,
        targets=_target_lines(rows),
    )


@bp.route("/indicators/<slug>")
def indicator_page(slug: str) -> Response:
    """An indicator: definition, chart, values with their sources, targets."""
    indicator = _indicator_or_404(slug)
    store, base = get_store(), _base()
    observations = progress.observations(store, indicator.iri, base=base)
    rows = progress.targets_of(
        progress.progress(store, base=base, queries_dir=_queries_dir()), indicator.iri
    )
    alternates = [
        (url_for(".indicator_csv", slug=slug), "text/csv"),
        (url_for(".indicator_ttl", slug=slug), "text/turtle"),
        (url_for(".indicator_chart", slug=slug), SVG),
    ]
    html = render_template(
        "indicator.html",
        base=base,
        indicator=indicator,
        observations=observations,
        targets=rows,
        alternates=alternates,
        **_helpers(),
    )
    response = Response(html, content_type=HTML.content_type)
    response.headers["Link"] = _link(*alternates)
    return response


@bp.route("/indicators/<slug>/chart.svg")
def indicator_chart(slug: str) -> Response:
    """The indicator's time series as a standalone SVG (for ``<img src>`` or inlining)."""
    indicator = _indicator_or_404(slug)
    response = _cached(f"chart:{slug}", lambda: _chart(indicator), SVG)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def observations_csv(observations: list[progress.Observation], indicator: str) -> bytes:
    """The values as CSV (RFC 4180), one row per observation, as in the page's table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for o in observations:
        writer.writerow(
            [
                indicator,
                o.iri,
                o.area,
                o.area_label,
                o.year,
                o.group,
                o.value,
                o.unit or "",
                " ".join(o.sources),
            ]
        )
    return buffer.getvalue().encode("utf-8")


@bp.route("/indicators/<slug>/data.csv")
def indicator_csv(slug: str) -> Response:
    indicator = _indicator_or_404(slug)

    def make() -> bytes:
        return observations_csv(
            progress.observations(get_store(), indicator.iri, base=_base()), indicator.iri
        )

    response = _cached(f"csv:{slug}", make, CSV)
    response.headers["Content-Disposition"] = f'inline; filename="{slug}.csv"'
    return response


@bp.route("/indicators/<slug>/data.ttl")
def indicator_ttl(slug: str) -> Response:
    """The observations' triples in Turtle."""
    indicator = _indicator_or_404(slug)
    base = _base()
    known = prefixes(base)
    names = {
        **{p: known[p] for p in ("ikg", "qb", "skos", "rdfs", "dcterms", "prov", "xsd")},
        "indicator": f"{base}id/indicator/",
        "observation": f"{base}id/observation/",
        "document": f"{base}id/document/",
        "group": f"{base}id/concept/group/",
        "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
        "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
        "stateKey": "http://dcat-ap.de/def/politicalGeocoding/stateKey/",
        "districtKey": "http://dcat-ap.de/def/politicalGeocoding/districtKey/",
    }

    def make() -> bytes:
        triples = progress.observation_triples(get_store(), indicator.iri, base=base)
        return b"".join(graph("ttl", triples, prefixes=names))

    return _cached(f"ttl:{slug}", make, TURTLE)
