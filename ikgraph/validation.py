"""SHACL validation of a contribution, as a typed report.

A pure function over rdflib graphs: no store, no Flask. :func:`validate` runs
pySHACL (https://www.w3.org/TR/shacl/) with the ontology mixed into the data
graph and returns a :class:`Report` whose findings carry severity, focus node
(with its label), property, offending value, the shape's message in German and
English, and the engine's own precise detail. The report renders as text
(grouped by focus node), JSON and the SHACL validation report in Turtle.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pyshacl
import rdflib
from rdflib.namespace import RDFS, SH, SKOS

SEVERITY_NAMES = {
    SH.Violation: "Violation",
    SH.Warning: "Warning",
    SH.Info: "Info",
}
_LABELS = {
    "de": {"Violation": "Verstoß", "Warning": "Warnung", "Info": "Hinweis"},
    "en": {"Violation": "Violation", "Warning": "Warning", "Info": "Info"},
}


@dataclass
class Finding:
    """One validation result a maintainer can act on."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message_de: str
    message_en: str
    detail: str
    shape: str | None = None
    focus_label: str | None = None
    source: str | None = None
    location: str | None = None  # e.g. "Maßnahmen!D7" for spreadsheets

    def message(self, lang: str = "de") -> str:
        return (
            (self.message_en if lang == "en" else self.message_de)
            or self.message_de
            or self.message_en
        )


@dataclass
class Report:
    """The outcome of a validation; ``conforms`` is False only for violations."""

    findings: list[Finding] = field(default_factory=list)
    graph: rdflib.Graph | None = None
    prefixes: dict[str, str] = field(default_factory=dict)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def shorten(self, iri: str | None) -> str | None:
        if iri is None:
            return None
        for prefix, ns in sorted(self.prefixes.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns) and prefix:
                return f"{prefix}:{iri[len(ns) :]}"
        return f"<{iri}>" if iri.startswith(("http", "urn")) else iri

    def to_text(self, lang: str = "de") -> str:
        """Findings grouped by source and focus node, one line per problem."""
        words = _LABELS.get(lang, _LABELS["en"])
        if not self.findings:
            return (
                "Keine Befunde: die Daten sind gültig."
                if lang == "de"
                else "No findings: the data conforms."
            )
        groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for f in self.findings:
            groups[(f.source or "", f.focus)].append(f)
        lines: list[str] = []
        current_source = None
        for (source, focus), items in sorted(groups.items()):
            if source != current_source:
                lines.append(source or ("(Beitrag)" if lang == "de" else "(contribution)"))
                current_source = source
            label = f' "{items[0].focus_label}"' if items[0].focus_label else ""
            lines.append(f"  {self.shorten(focus)}{label}")
            for f in items:
                where = f" [{f.location}]" if f.location else ""
                prop = f" {self.shorten(f.path)}" if f.path else ""
                value = f" = {f.value}" if f.value is not None and f.value != f.focus else ""
                lines.append(f"    {words[f.severity]}{where}{prop}{value}: {f.message(lang)}")
                lines.append(f"      ({f.detail})")
        nv, nw = len(self.violations), len(self.warnings)
        if lang == "de":
            lines.append(f"{nv} Verstöße, {nw} Warnungen.")
        else:
            lines.append(f"{nv} violations, {nw} warnings.")
        return "\n".join(lines)

    def to_json(self, lang: str = "de") -> str:
        return json.dumps(
            {
                "conforms": self.conforms,
                "violations": len(self.violations),
                "warnings": len(self.warnings),
                "findings": [asdict(f) | {"message": f.message(lang)} for f in self.findings],
            },
            ensure_ascii=False,
            indent=2,
        )

    def to_turtle(self) -> str:
        graph = self.graph if self.graph is not None else rdflib.Graph()
        return graph.serialize(format="turtle")


def _text(graph: rdflib.Graph, node, prop) -> dict[str, str]:
    out: dict[str, str] = {}
    for lit in graph.objects(node, prop):
        out.setdefault(getattr(lit, "language", None) or "", str(lit))
    return out


def _label(graph: rdflib.Graph, node) -> str | None:
    for prop in (SKOS.prefLabel, RDFS.label):
        texts = _text(graph, node, prop)
        if texts:
            return texts.get("de") or texts.get("") or next(iter(texts.values()))
    return None


def _term(node) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.Literal):
        return node.n3()
    return str(node)


def validate(
    data: rdflib.Graph,
    *,
    shapes: rdflib.Graph,
    ontology: rdflib.Graph | None = None,
    focus: Iterable[rdflib.term.Node] | None = None,
    sources: dict[rdflib.term.Node, str] | None = None,
) -> Report:
    """Validate ``data`` against ``shapes`` with ``ontology`` mixed in.

    :param focus: if given, only findings about these nodes are reported
        (reference data added for lookups is not itself judged).
    :param sources: maps subjects to the name of the source they came from.
    """
    _conforms, report_graph, _text_report = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    keep = set(focus) if focus is not None else None
    findings: list[Finding] = []
    # top-level results only; nested sh:detail results explain them
    for result in report_graph.objects(None, SH.result):
        node = report_graph.value(result, SH.focusNode)
        if keep is not None and node not in keep:
            continue
        severity = SEVERITY_NAMES.get(report_graph.value(result, SH.resultSeverity), "Violation")
        path = report_graph.value(result, SH.resultPath)
        value = report_graph.value(result, SH.value)
        shape = report_graph.value(result, SH.sourceShape)
        component = report_graph.value(result, SH.sourceConstraintComponent)
        messages = _text(report_graph, result, SH.resultMessage)
        component_name = str(component).rsplit("#", 1)[-1] if component else "constraint"
        detail = f"{component_name}"
        if path is not None:
            detail += f" on {path.n3() if isinstance(path, rdflib.URIRef) else 'a path'}"
        if value is not None:
            detail += f", value {_term(value)}"
        findings.append(
            Finding(
                severity=severity,
                focus=_term(node) or "",
                focus_label=_label(data, node),
                path=str(path) if isinstance(path, rdflib.URIRef) else None,
                value=_term(value),
                message_de=messages.get("de") or messages.get("") or messages.get("en", ""),
                message_en=messages.get("en") or messages.get("") or messages.get("de", ""),
                detail=detail,
                shape=_term(shape) if isinstance(shape, rdflib.URIRef) else None,
                source=(sources or {}).get(node),
            )
        )
    findings.sort(key=lambda f: (f.source or "", f.focus, f.severity != "Violation", f.path or ""))
    prefixes = {p: str(ns) for p, ns in shapes.namespaces()} | {
        p: str(ns) for p, ns in data.namespaces()
    }
    return Report(findings=findings, graph=report_graph, prefixes=prefixes)
