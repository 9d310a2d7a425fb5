"""Time-series charts of indicators as SVG, drawn on the server with matplotlib.

A chart is a standalone SVG 1.1 document (https://www.w3.org/TR/SVG11/) that
works as ``<img src>`` and inlined into HTML: no scripts, no external
resources, and text kept as text (``svg.fonttype = none``), so the values'
labels can be read, searched and translated. The output is deterministic for
the same input (fixed ``svg.hashsalt``, no creation date), which keeps it
cacheable and testable. Every point carries its value as a label; a target
is drawn as a dashed line from its baseline to its deadline.

matplotlib's settings are global, so charts are drawn one at a time.
"""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

#: Colours of the series (the site's accent first), distinguishable in greyscale too.
COLOURS = ("#00577d", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#be123c")
TARGET_COLOUR = "#5a6570"
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "ikgraph",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#8a949e",
    "axes.labelcolor": "#1d232a",
    "xtick.color": "#5a6570",
    "ytick.color": "#5a6570",
}
SIZE = (8.0, 4.2)  # inches; 576 × 302 pt

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Series:
    """The values of one area and population group, by year."""

    label: str
    points: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class TargetLine:
    """A target of the indicator: its value by the deadline year, from its baseline."""

    label: str
    value: Decimal
    deadline_year: int | None
    baseline: Decimal | None = None
    baseline_year: int | None = None


def number(value: Decimal | float | int, *, lang: str = "de") -> str:
    """A number as people read it: ``130.000``, ``12,5`` (de) or ``130,000``, ``12.5`` (en).

    >>> number(Decimal("130000")), number(Decimal("41.50")), number(Decimal("41.5"), lang="en")
    ('130.000', '41,5', '41.5')
    """
    value = Decimal(value)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value.normalize():,f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _empty(message: str, title: str) -> bytes:
    figure = Figure(figsize=(SIZE[0], 1.2))
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, message, ha="center", va="center", color=TARGET_COLOUR)
    return _save(figure, title)


def _save(figure: Figure, title: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Title": title, "Creator": "ikgraph"}
    )
    return buffer.getvalue()


def svg(
    series: Sequence[Series],
    *,
    title: str,
    unit: str | None = None,
    targets: Sequence[TargetLine] = (),
    lang: str = "de",
    empty: str = "Keine Beobachtungen · no observations",
) -> bytes:
    """The chart of ``series`` (and ``targets``) as SVG bytes.

    :param title: the chart's title (the indicator), also its SVG metadata title.
    :param unit: the unit, shown on the value axis.
    """
    with _LOCK, matplotlib.rc_context(RC):
        if not any(s.points for s in series):
            return _empty(empty, title)
        figure = Figure(figsize=SIZE, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        years: list[int] = []
        values: list[float] = []
        for index, item in enumerate(s for s in series if s.points):
            colour = COLOURS[index % len(COLOURS)]
            xs = [year for year, _ in item.points]
            ys = [float(value) for _, value in item.points]
            years += xs
            values += ys
            axes.plot(xs, ys, marker="o", linestyle="none", color=colour, label=item.label)
            points = list(zip(xs, ys, strict=True))
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                # consecutive years solid; a dotted line bridges years without values
                style = "-" if x1 - x0 <= 1 else ":"
                axes.plot([x0, x1], [y0, y1], linestyle=style, color=colour, linewidth=2)
            for year, value in item.points:
                axes.annotate(
                    number(value, lang=lang),
                    (year, float(value)),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    color=colour,
                    fontsize=9,
                    fontweight="bold",
                )
        for target in targets:
            start = target.baseline_year if target.baseline_year is not None else min(years)
            end = target.deadline_year if target.deadline_year is not None else max(years)
            axes.plot(
                [start, end],
                [float(target.value)] * 2,
                linestyle="--",
                color=TARGET_COLOUR,
                linewidth=1.2,
                label=target.label,
            )
            axes.annotate(
                number(target.value, lang=lang),
                (end, float(target.value)),
                textcoords="offset points",
                xytext=(4, -3),
                ha="left",
                color=TARGET_COLOUR,
                fontsize=9,
            )
            years += [start, end]
            values.append(float(target.value))
            if target.baseline is not None and target.baseline_year is not None:
                axes.plot(
                    [target.baseline_year],
                    [float(target.baseline)],
                    marker="o",
                    markerfacecolor="white",
                    color=TARGET_COLOUR,
                )
                values.append(float(target.baseline))
        low, high = min(years), max(years)
        axes.set_xlim(low - 1, high + 1)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda y, _pos: number(Decimal(str(round(y, 6))), lang=lang))
        )
        top = max(values)
        axes.set_ylim(min(0.0, min(values)), top * 1.15 if top > 0 else 1)
        axes.grid(axis="y", color="#e3e7eb", linewidth=0.8)
        axes.set_axisbelow(True)
        if unit:
            axes.set_ylabel(unit)
        axes.set_title(title, loc="left", fontsize=11, color="#1d232a")
        axes.legend(loc="best", frameon=False, fontsize=9)
        return _save(figure, title)
