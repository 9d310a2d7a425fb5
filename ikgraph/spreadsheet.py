"""Spreadsheet contributions: templates, reading, and conversion to quads.

Most contributors (ministries, districts, municipalities, associations) work
in spreadsheets. :data:`COLUMNS` declares, in one table, the columns of the
four kinds of rows a contribution may hold (organisations, measures, targets,
indicator observations): German header, English alias, field name, ontology
property, type, whether required, and help. From it this module writes empty
templates (XLSX with an instruction sheet and drop-down lists, or CSV files)
and turns a filled workbook, a CSV file, or a folder or ZIP of CSV files into
a :class:`~ikgraph.sources.Source` with prepared quads and cell references, so
that it goes through the one ingest path like any RDF file and every SHACL
finding names its cell (``Maßnahmen!D7``, rows as Excel shows them).

References (districts, municipalities, fields of action, status,
organisations, programmes, targets, indicators) are resolved against the
published data in the store and against the rows of the same contribution.
What cannot be converted (an unknown reference, a malformed date or number, a
duplicate ID, an empty contribution) raises :class:`SpreadsheetError` with
findings that name the cell; a file that cannot be read at all raises
:class:`~ikgraph.sources.SourceError`.

Formats: XLSX is Office Open XML (ECMA-376), read and written with openpyxl;
CSV follows RFC 4180 in UTF-8 (with or without BOM), ``;`` or ``,`` separated.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ikgraph.iris import RDF_TYPE, XSD, ikg, rebase, slugify
from ikgraph.settings import DEFAULT_BASE_IRI
from ikgraph.sources import Source, SourceError, from_path, parse
from ikgraph.sources import expand_paths as expand_rdf_paths
from ikgraph.store import OxigraphStore, Store
from ikgraph.validation import Finding, Report


@dataclass(frozen=True)
class Column:
    """One column of a sheet: how it is headed, what it becomes, how to fill it."""

    kind: str
    de: str
    en: str
    field: str
    prop: str
    type: str
    required: bool
    help: str


@dataclass(frozen=True)
class Kind:
    """A kind of row: its sheet, its CSV file, its IRIs, and the words that name it."""

    name: str
    sheet: str
    csv: str
    iri_kind: str
    words: tuple[str, ...]


KINDS: tuple[Kind, ...] = (
    Kind("organisation", "Organisationen", "organisationen", "organisation",
         ("organisationen", "organisations", "organizations")),
    Kind("measure", "Maßnahmen", "massnahmen", "measure",
         ("massnahmen", "measures", "projekte", "projects")),
    Kind("target", "Ziele", "ziele", "target", ("ziele", "targets")),
    Kind("observation", "Beobachtungen", "beobachtungen", "observation",
         ("beobachtungen", "observations", "indikatorwerte")),
)  # fmt: skip
KIND = {k.name: k for k in KINDS}
IGNORED_SHEETS = ("anleitung", "instructions", "listen", "lists")

_SEP = "mehrere mit ; trennen"
#: The columns of every sheet, in template order. ``type`` ending in ``+``
#: takes several values separated by ``;``; ``prop`` ``@id`` mints the IRI.
COLUMNS: tuple[Column, ...] = (
    Column("organisation", "ID", "ID", "id", "@id", "id", True,
           "Kurzname, aus dem die IRI id/organisation/{ID} wird. Darf bei Gemeinden (dann "
           "gemeinde-{AGS}) und Landkreisen (landkreis-/stadt-{Kreisschlüssel}) fehlen."),
    Column("organisation", "Name", "name", "name", "skos:prefLabel@de", "text", True,
           "Deutscher Name der Organisation."),
    Column("organisation", "Name (englisch)", "name (English)", "name_en", "skos:prefLabel@en",
           "text", False, "Englischer Name (empfohlen)."),
    Column("organisation", "Sektor", "sector", "sector", "rdf:type", "sector", True,
           "Landesbehörde, Landkreis oder kreisfreie Stadt, Gemeinde oder "
           "Zivilgesellschaftliche Organisation (Auswahlliste)."),
    Column("organisation", "Art", "kind", "kind", "org:classification", "kind", False,
           "Art aus der Liste, z. B. Landkreis, Sonderstatusstadt, Dachverband; "
           "bei Landkreisen und kreisfreien Städten Pflicht."),
    Column("organisation", "Kreisschlüssel", "district key", "district_key", "ikg:districtKey",
           "key", False, "Fünfstelliger Kreisschlüssel (06…), nur bei Landkreisen und "
           "kreisfreien Städten."),
    Column("organisation", "AGS", "municipality key", "ags", "ikg:ags", "key", False,
           "Achtstelliger Amtlicher Gemeindeschlüssel (06…); bei Gemeinden Pflicht."),
    Column("organisation", "Landkreis", "district", "district", "ikg:inDistrict", "district",
           False, "Landkreis einer Gemeinde (Name oder Kreisschlüssel); leer: folgt aus dem AGS."),
    Column("organisation", "Übergeordnete Organisation", "parent organisation", "parent",
           "org:subOrganizationOf", "organisation", False,
           "Organisation, zu der diese gehört (Name oder IRI)."),
    Column("organisation", "Wikidata", "Wikidata", "wikidata", "schema:sameAs", "wikidata", False,
           "Wikidata-Kennung (Q…) oder -URL."),
    Column("organisation", "Quelle", "source", "source", "dcterms:source", "url+", False,
           f"Öffentliche URL, die die Angaben belegt (empfohlen); {_SEP}."),
    Column("organisation", "Bemerkung", "note", "note", "", "note", False,
           "Eigene Notizen; werden nicht veröffentlicht."),
    Column("measure", "ID", "ID", "id", "@id", "id", True,
           "Kurzname, aus dem die IRI id/measure/{ID} wird (z. B. sprachcafe-musterstadt); "
           "bleibt für immer gleich."),
    Column("measure", "Art", "kind", "kind", "rdf:type", "measure-kind", False,
           "Projekt (Vorgabe) oder Programm."),
    Column("measure", "Titel", "title", "title", "skos:prefLabel@de", "text", True,
           "Deutscher Titel der Maßnahme."),
    Column("measure", "Titel (englisch)", "title (English)", "title_en", "skos:prefLabel@en",
           "text", False, "Englischer Titel (empfohlen)."),
    Column("measure", "Beschreibung", "description", "description", "dcterms:description@de",
           "text", False, "Kurze Beschreibung auf Deutsch."),
    Column("measure", "Verantwortliche Organisation", "responsible organisation", "responsible",
           "ikg:responsibleOrganisation", "organisation", True,
           "Genau eine Organisation: Name, Kreisschlüssel, AGS, IRI oder ID aus dem Blatt "
           "Organisationen."),
    Column("measure", "Partner", "partner", "partner", "ikg:partner", "organisation+", False,
           f"Beteiligte Organisationen; {_SEP}."),
    Column("measure", "Handlungsfeld", "field of action", "field", "dcterms:subject", "field+",
           True, f"Nummer (1–7) oder Name des Handlungsfelds; {_SEP}."),
    Column("measure", "Beginn", "start", "start", "schema:startDate", "date|year", False,
           "Datum (31.01.2024 oder 2024-01-31) oder Jahr (2024)."),
    Column("measure", "Ende", "end", "end", "schema:endDate", "date|year", False,
           "Datum oder Jahr, wie beim Beginn; nicht vor dem Beginn."),
    Column("measure", "Budget (EUR)", "budget", "budget", "ikg:budget/schema:value", "amount",
           False, "Betrag in Euro, z. B. 1.500.000,50 oder 1500000.5; nicht negativ."),
    Column("measure", "Haushaltsjahr", "budget year", "budget_year", "ikg:budget/ikg:budgetYear",
           "year", False, "Jahr, für das das Budget gilt."),
    Column("measure", "Region", "region", "region", "dcterms:spatial", "region+", False,
           f"Landkreis oder kreisfreie Stadt (Name oder Kreisschlüssel), Gemeinde (Name oder "
           f"AGS) oder Hessen; {_SEP}."),
    Column("measure", "Status", "status", "status", "ikg:status", "status", False,
           "geplant, laufend oder abgeschlossen."),
    Column("measure", "Programm", "programme", "programme", "ikg:fundedBy", "programme+", False,
           f"Landesprogramm, das die Maßnahme fördert (Name oder IRI, z. B. Landesprogramm "
           f"WIR); {_SEP}."),
    Column("measure", "Ziel", "target", "target", "ikg:contributesTo", "target+", False,
           f"Ziel, zu dem die Maßnahme beiträgt (ID oder IRI); {_SEP}."),
    Column("measure", "Quelle", "source", "source", "dcterms:source", "url+", False,
           f"Öffentliche URL, die die Angaben belegt (empfohlen); {_SEP}."),
    Column("measure", "Bemerkung", "note", "note", "", "note", False,
           "Eigene Notizen; werden nicht veröffentlicht."),
    Column("target", "ID", "ID", "id", "@id", "id", True,
           "Kurzname, aus dem die IRI id/target/{ID} wird."),
    Column("target", "Titel", "title", "title", "skos:prefLabel@de", "text", True,
           "Deutscher Titel des Ziels."),
    Column("target", "Titel (englisch)", "title (English)", "title_en", "skos:prefLabel@en",
           "text", False, "Englischer Titel (empfohlen)."),
    Column("target", "Indikator", "indicator", "indicator", "ikg:indicator", "indicator", True,
           "Veröffentlichter Indikator (Name, ID oder IRI), an dem das Ziel gemessen wird."),
    Column("target", "Einheit", "unit", "unit", "ikg:unit", "string", True,
           "Einheit der Werte, z. B. % oder Kurse."),
    Column("target", "Ausgangswert", "baseline value", "baseline", "ikg:baselineValue",
           "decimal", False, "Zahl; mit Zielwert, oder beides leer und „Ziel ohne Zahl“ gefüllt."),
    Column("target", "Jahr des Ausgangswerts", "baseline year", "baseline_year",
           "ikg:baselineYear", "year", False, "Jahr des Ausgangswerts."),
    Column("target", "Zielwert", "target value", "target_value", "ikg:targetValue", "decimal",
           False, "Zahl, die bis zur Frist erreicht werden soll."),
    Column("target", "Frist", "deadline", "deadline", "ikg:deadline", "date", True,
           "Datum, bis zu dem das Ziel erreicht sein soll (31.12.2030)."),
    Column("target", "Handlungsfeld", "field of action", "field", "dcterms:subject", "field+",
           False, f"Nummer (1–7) oder Name; {_SEP}."),
    Column("target", "Ziel ohne Zahl", "aim without a number", "aim", "skos:scopeNote@de",
           "text", False, "Wortlaut des Ziels, wenn die Quelle keinen Zielwert nennt."),
    Column("target", "Quelle", "source", "source", "dcterms:source", "url+", False,
           f"Öffentliche URL, die das Ziel belegt (empfohlen); {_SEP}."),
    Column("target", "Bemerkung", "note", "note", "", "note", False,
           "Eigene Notizen; werden nicht veröffentlicht."),
    Column("observation", "ID", "ID", "id", "@id", "id", False,
           "Kurzname für id/observation/{ID}; leer: aus Indikator, Gebiet, Jahr und Gruppe."),
    Column("observation", "Indikator", "indicator", "indicator", "ikg:indicator", "indicator",
           True, "Veröffentlichter Indikator (Name, ID oder IRI)."),
    Column("observation", "Gebiet", "area", "area", "sdmx-dimension:refArea", "region", True,
           "Hessen, Landkreis (Name oder Kreisschlüssel) oder Gemeinde (Name oder AGS)."),
    Column("observation", "Jahr", "year", "year", "ikg:refYear", "year", True,
           "Berichtsjahr (2024)."),
    Column("observation", "Bevölkerungsgruppe", "population group", "group",
           "ikg:populationGroup", "group", True,
           "insgesamt, mit Migrationshintergrund oder ohne Migrationshintergrund."),
    Column("observation", "Wert", "value", "value", "sdmx-measure:obsValue", "decimal", True,
           "Zahl, z. B. 12,5."),
    Column("observation", "Einheit", "unit", "unit", "ikg:unit", "string", False,
           "Einheit des Werts, z. B. %."),
    Column("observation", "Quelle", "source", "source", "dcterms:source", "url+", False,
           f"Öffentliche URL der Zahl (empfohlen); {_SEP}."),
    Column("observation", "Bemerkung", "note", "note", "", "note", False,
           "Eigene Notizen; werden nicht veröffentlicht."),
)  # fmt: skip

TYPES = {
    "id": "Kennung",
    "text": "Text",
    "string": "Text",
    "url+": "URL(s)",
    "date": "Datum",
    "date|year": "Datum oder Jahr",
    "year": "Jahr",
    "decimal": "Zahl",
    "amount": "Betrag ≥ 0",
    "key": "Schlüssel (Ziffern)",
    "wikidata": "Wikidata-Kennung",
    "note": "Text (nicht veröffentlicht)",
    "sector": "Auswahl: Sektor",
    "kind": "Auswahl: Art",
    "measure-kind": "Auswahl: Projekt/Programm",
    "status": "Auswahl: Status",
    "group": "Auswahl: Bevölkerungsgruppe",
    "field+": "Handlungsfeld(er)",
    "organisation": "Organisation",
    "organisation+": "Organisation(en)",
    "district": "Landkreis",
    "region": "Gebiet",
    "region+": "Gebiet(e)",
    "programme+": "Programm(e)",
    "target+": "Ziel(e)",
    "indicator": "Indikator",
}

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "cv": "http://data.europa.eu/m8g/",
    "xsd": XSD,
}
SPREADSHEET_SUFFIXES = (".xlsx", ".csv", ".zip", ".xls", ".ods")
_MAX_UNZIPPED = 50 * 1024 * 1024


def columns(kind: str) -> list[Column]:
    return [c for c in COLUMNS if c.kind == kind]


def expand(curie: str, base: str) -> str:
    """``ikg:budget`` → the full IRI under ``base`` (a path expands its first step)."""
    prefix, _, local = curie.split("/")[0].split("@")[0].partition(":")
    return ikg(base, local) if prefix == "ikg" else PREFIXES[prefix] + local


class SpreadsheetError(Exception):
    """A spreadsheet could be read but not converted; ``findings`` name the cells."""

    def __init__(self, findings: list[Finding], *, base: str = DEFAULT_BASE_IRI):
        self.findings = findings
        self.base = base
        super().__init__(f"{len(findings)} problem(s) in the spreadsheet contribution")

    def report(self) -> Report:
        """The findings as a validation report (text, JSON, and a SHACL report graph)."""
        import rdflib
        from rdflib.namespace import RDF, RDFS, SH

        graph = rdflib.Graph()
        graph.bind("sh", SH)
        node = rdflib.BNode()
        graph.add((node, RDF.type, SH.ValidationReport))
        graph.add((node, SH.conforms, rdflib.Literal(False)))
        for f in self.findings:
            result = rdflib.BNode()
            focus = (
                rdflib.URIRef(f.focus) if f.focus.startswith("http") else rdflib.Literal(f.focus)
            )
            graph.add((node, SH.result, result))
            graph.add((result, RDF.type, SH.ValidationResult))
            graph.add((result, SH.resultSeverity, SH.Violation))
            graph.add((result, SH.focusNode, focus))
            if f.path:
                graph.add((result, SH.resultPath, rdflib.URIRef(f.path)))
            for lang, text in (("de", f.message_de), ("en", f.message_en)):
                graph.add((result, SH.resultMessage, rdflib.Literal(text, lang=lang)))
            graph.add((result, RDFS.comment, rdflib.Literal(f.location or "")))
        prefixes = dict(PREFIXES) | {"ikg": ikg(self.base, "")}
        return Report(findings=list(self.findings), graph=graph, prefixes=prefixes)


# --- references ---------------------------------------------------------------

_NAMES = "skos:prefLabel|skos:altLabel|rdfs:label|skos:notation|ikg:districtKey|ikg:ags"
_ORG_CLASSES = (
    "ikg:StateBody ikg:District ikg:Municipality ikg:CivilSocietyOrganisation ikg:Conference "
    "ikg:WorkingGroup org:Organization org:FormalOrganization org:OrganizationalUnit "
    "cv:PublicOrganisation"
)
_NEW_ORG = (
    "Neue Organisationen im Blatt Organisationen eintragen.",
    "Add new organisations in the sheet Organisationen.",
)
_PLACE = (
    "Name, Kreisschlüssel (06…) oder AGS angeben; neue Gemeinden im Blatt Organisationen "
    "eintragen.",
    "Give the name, district key (06…) or AGS; add new municipalities in the sheet Organisationen.",
)
#: category → (classes or a concept scheme, German noun phrase, English one, hint de/en)
_CATEGORIES = {
    "organisation": (_ORG_CLASSES, "Unbekannte Organisation", "Unknown organisation", _NEW_ORG),
    "district": ("ikg:District", "Unbekannter Landkreis", "Unknown district", _PLACE),
    "region": ("ikg:StateBody ikg:District ikg:Municipality",
               "Unbekannter Landkreis oder unbekannte Gemeinde",
               "Unknown district or municipality", _PLACE),
    "field": ("ikg:FieldOfAction", "Unbekanntes Handlungsfeld", "Unknown field of action", None),
    "programme": ("ikg:Programme", "Unbekanntes Programm", "Unknown programme",
                  ("Name oder IRI eines veröffentlichten Programms angeben.",
                   "Give the name or IRI of a published programme.")),
    "target": ("ikg:Target", "Unbekanntes Ziel", "Unknown target",
               ("ID oder IRI eines veröffentlichten Ziels oder einer Zeile im Blatt Ziele "
                "angeben.", "Give the ID or IRI of a published target or of a row in the "
                "sheet Ziele.")),
    "indicator": ("ikg:Indicator", "Unbekannter Indikator", "Unknown indicator",
                  ("Name, ID oder IRI eines veröffentlichten Indikators angeben.",
                   "Give the name, ID or IRI of a published indicator.")),
    "status": ("scheme:status", "Unbekannter Status", "Unknown status", None),
    "group": ("scheme:group", "Unbekannte Bevölkerungsgruppe", "Unknown population group", None),
    "kind": ("scheme:kind", "Unbekannte Art", "Unknown kind", None),
    "sector": ("", "Unbekannter Sektor", "Unknown sector", None),
    "measure-kind": ("", "Unbekannte Art der Maßnahme", "Unknown kind of measure", None),
}  # fmt: skip
_CODE_LISTS = ("field", "status", "group", "kind", "sector", "measure-kind")
SECTORS = (
    ("StateBody", ("Landesbehörde", "State body", "Land", "Ministerium")),
    ("District", ("Landkreis oder kreisfreie Stadt", "District or district-free city",
                  "Landkreis", "kreisfreie Stadt", "Kreis", "district")),
    ("Municipality", ("Gemeinde", "Municipality", "kreisangehörige Stadt")),
    ("CivilSocietyOrganisation", ("Zivilgesellschaftliche Organisation",
                                  "Civil-society organisation", "Zivilgesellschaft", "Verein",
                                  "Verband", "civil society")),
)  # fmt: skip
MEASURE_KINDS = (
    ("Project", ("Projekt", "project")),
    ("Programme", ("Programm", "programme", "program", "Landesprogramm", "Förderprogramm")),
)


def _key(text: str) -> str:
    text = text.strip()
    if text.isdigit() and len(text) in (4, 7):
        text = "0" + text  # a key typed into a number cell lost its leading zero
    return slugify(text)


class _Index:
    """Names, keys and IRIs of the resources of one category, for lookups."""

    def __init__(self) -> None:
        self.keys: dict[str, set[str]] = {}
        self.label: dict[str, str] = {}
        self.value: dict[str, str] = {}
        self.code: dict[str, str] = {}

    def add(self, iri: str, names: Iterable[str], value: str | None = None) -> None:
        names = [n for n in names if n]
        if names:
            self.label.setdefault(iri, names[0])
        self.label.setdefault(iri, iri.rsplit("/", 1)[-1])
        self.value[iri] = value or iri
        code = min((n for n in names if n.isdigit()), key=len, default=None)
        if code:
            self.code.setdefault(iri, code)
        self.keys.setdefault(iri, set()).add(iri)
        for name in [*names, iri.rstrip("/").rsplit("/", 1)[-1]]:
            if _key(name):
                self.keys.setdefault(_key(name), set()).add(iri)

    def find(self, text: str, base: str) -> set[str]:
        tries = [rebase(text, base) if text.startswith(("http://", "https://")) else text]
        inner = re.fullmatch(r"(.*?)\s*\(([^()]*)\)\s*", text)
        if inner:
            tries += [inner.group(2), inner.group(1)]
        code = re.match(r"(\d+)\s", text)
        if code:
            tries.append(code.group(1))
        for t in tries:
            hits = self.keys.get(t) or self.keys.get(_key(t))
            if hits:
                return hits
        return set()

    def entries(self) -> list[str]:
        """Every entry once, led by its number or key where it has one, in that order."""
        return [
            f"{self.code[i]} {self.label[i]}" if i in self.code else self.label[i]
            for i in sorted(self.label, key=lambda i: (self.code.get(i, "").zfill(8), i))
        ]

    def suggest(self, text: str) -> list[str]:
        names = {_key(name): name for name in self.label.values()}
        close = difflib.get_close_matches(_key(text), list(names), n=3, cutoff=0.7)
        return [names[c] for c in close]


class Resolver:
    """Resolves spreadsheet references against the published data and the contribution."""

    def __init__(self, stores: Sequence[Store], base: str):
        self.base = base
        self.index = {name: _Index() for name in _CATEGORIES}
        for name, (spec, *_words) in _CATEGORIES.items():
            if spec:
                self._load(stores, name, spec)
        for cls, names in SECTORS:
            self.index["sector"].add(ikg(base, cls), names)
        for cls, names in MEASURE_KINDS:
            self.index["measure-kind"].add(ikg(base, cls), names)

    def _load(self, stores: Sequence[Store], name: str, spec: str) -> None:
        if spec.startswith("scheme:"):
            where = f"?s skos:inScheme <{self.base}id/concept/{spec[7:]}> ."
        else:
            where = f"VALUES ?c {{ {spec} }} ?s a ?c ."
        if name == "region":
            where += " ?s dcterms:spatial ?v ."
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
        query = (
            f"{prefixes}PREFIX ikg: <{ikg(self.base, '')}>\n"
            f"SELECT ?s ?name ?v ?de WHERE {{ {where} OPTIONAL {{ ?s {_NAMES} ?name }} "
            'OPTIONAL { ?s skos:prefLabel ?de FILTER(lang(?de) = "de") } }'
        )
        found: dict[str, tuple[list[str], str | None]] = {}
        for store in stores:
            for row in store.query(query):
                if not isinstance(row["s"], ox.NamedNode):
                    continue
                names, value = found.setdefault(
                    row["s"].value, ([], row["v"].value if row["v"] else None)
                )
                for var in ("de", "name"):
                    if row[var] is not None:
                        names.insert(0 if var == "de" else len(names), row[var].value)
        for iri, (names, value) in sorted(found.items()):
            self.index[name].add(iri, list(dict.fromkeys(names)), value)

    def add(self, category: str, iri: str, names: Iterable[str], value: str | None = None):
        self.index[category].add(iri, names, value)

    def resolve(self, category: str, text: str) -> tuple[str | None, tuple[str, str] | None]:
        """The IRI (or geocoding IRI, for regions) of ``text``, or a de/en message."""
        index = self.index[category]
        hits = index.find(text, self.base)
        if len(hits) == 1:
            return index.value[next(iter(hits))], None
        _spec, noun_de, noun_en, hint = _CATEGORIES[category]
        if hits:
            listed = "; ".join(f"{index.label[h]} ({h.rsplit('/', 1)[-1]})" for h in sorted(hits))
            return None, (
                f"Mehrdeutig: '{text}' passt auf mehrere Einträge: {listed}. Bitte Schlüssel "
                "oder ID angeben.",
                f"Ambiguous: '{text}' matches several entries: {listed}. Please give the key "
                "or ID.",
            )
        hint_de, hint_en = (f" {hint[0]}", f" {hint[1]}") if hint else ("", "")
        near = index.suggest(text)
        if category in _CODE_LISTS:
            allowed = "; ".join(index.entries())
            hint_de, hint_en = f" Erlaubt: {allowed}.", f" Allowed: {allowed}."
        elif near:
            names = "', '".join(near)
            hint_de = f" Meinten Sie '{names}'?{hint_de}"
            hint_en = f" Did you mean '{names}'?{hint_en}"
        return None, (f"{noun_de} '{text}'.{hint_de}", f"{noun_en} '{text}'.{hint_en}")


# --- values -------------------------------------------------------------------

_CP1252_GERMAN = set("äöüÄÖÜßéèêàâáçñëïîíóôúûÉÈÀ€„“”‚‘’–—…«»°§²³µ·×\u00a0")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?")
_DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class ValueProblem(ValueError):
    def __init__(self, de: str, en: str):
        self.de, self.en = de, en
        super().__init__(en)


def text_of(value: Any) -> str | None:
    """A cell's value as stripped text; ``None`` for an empty cell."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    return text or None


def parse_date(value: Any, *, years: bool) -> tuple[str, str]:
    """``(lexical form, XSD datatype)`` of a day (or a year, if ``years``).

    >>> parse_date("31.01.2024", years=False)
    ('2024-01-31', 'date')
    """
    if isinstance(value, datetime):
        return value.date().isoformat(), "date"
    if isinstance(value, date):
        return value.isoformat(), "date"
    text = text_of(value) or ""
    if years and re.fullmatch(r"\d{4}", text):
        return text, "gYear"
    m = _DATE_ISO.fullmatch(text)
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    m = _DATE_DE.fullmatch(text)
    if m:
        parts = (m.group(3), m.group(2), m.group(1))
    if parts:
        try:
            return date(*(int(p) for p in parts)).isoformat(), "date"
        except ValueError:
            pass
    year_de = " oder ein Jahr (JJJJ)" if years else ""
    year_en = " or a year (YYYY)" if years else ""
    raise ValueProblem(
        f"Kein gültiges Datum: '{text}'. Erwartet TT.MM.JJJJ (z. B. 31.01.2024), "
        f"JJJJ-MM-TT{year_de}.",
        f"Not a valid date: '{text}'. Expected DD.MM.YYYY (e.g. 31.01.2024), YYYY-MM-DD{year_en}.",
    )


def parse_year(value: Any) -> str:
    text = text_of(value) or ""
    if re.fullmatch(r"\d{4}", text):
        return text
    raise ValueProblem(
        f"Kein gültiges Jahr: '{text}'. Erwartet vier Ziffern, z. B. 2024.",
        f"Not a valid year: '{text}'. Expected four digits, e.g. 2024.",
    )


def parse_decimal(value: Any, *, english: bool = False) -> Decimal:
    """A number from a cell: German ``1.500.000,50``, plain ``1500000.5``, or a number cell.

    A single dot followed by exactly three digits (``1.500``) is a thousands
    separator, as in German, unless the file is English (``,``-separated CSV).

    >>> parse_decimal("1.500.000,50")
    Decimal('1500000.50')
    """
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if number.is_finite():
            return number
    raw = text_of(value) or ""
    text = re.sub(r"[\s\u00a0\u202f€%]|EUR|Euro", "", raw, flags=re.I).replace("−", "-")
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("+-")
    dec, thou = ("." if english else ","), ("," if english else ".")
    if "." in text and "," in text:
        dec = "," if text.rfind(",") > text.rfind(".") else "."
        thou = "." if dec == "," else ","
    elif text.count(thou) == 1 and not english:
        head, tail = text.split(thou)
        if not (len(tail) == 3 and 1 <= len(head) <= 3 and head != "0"):
            dec, thou = thou, dec  # "12.5": a decimal point after all
    elif text.count(dec) > 1:
        dec, thou = thou, dec  # "1,500,000" in a German file: English thousands
    head, _, tail = text.partition(dec)
    grouped = re.fullmatch(rf"\d{{1,3}}(\{thou}\d{{3}})+", head)
    if (
        re.fullmatch(r"\d+", head.replace(thou, "")) is None
        or (thou in head and not grouped)
        or (tail and not tail.isdigit())
        or dec in tail
    ):
        raise ValueProblem(
            f"Keine gültige Zahl: '{raw}'. Erwartet z. B. 1.500.000,50 oder 1500000.5.",
            f"Not a valid number: '{raw}'. Expected e.g. 1.500.000,50 or 1500000.5.",
        )
    try:
        return Decimal(sign + head.replace(thou, "") + ("." + tail if tail else ""))
    except InvalidOperation as exc:  # pragma: no cover - guarded by the pattern above
        raise ValueProblem(f"Keine Zahl: '{raw}'.", f"Not a number: '{raw}'.") from exc


# --- reading ------------------------------------------------------------------


@dataclass
class Table:
    """One sheet (or CSV file) as rows of cell values, before its kind is known."""

    name: str
    rows: list[list[Any]]
    english_numbers: bool = False


def _decode(data: bytes, label: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise SourceError(
            label,
            "the CSV file is UTF-16 (Excel 'Unicode-Text'); save it as "
            "'CSV UTF-8 (durch Trennzeichen getrennt)' and try again",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        where = f"byte 0x{data[exc.start]:02x} in line {line}"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and {c for c in text if ord(c) > 127} <= _CP1252_GERMAN:
        return text
    raise SourceError(
        label,
        f"the CSV file is not UTF-8 ({where}) and not plainly Windows-1252; save it as "
        "'CSV UTF-8 (durch Trennzeichen getrennt)' and try again",
    )


def read_csv(data: bytes, name: str, label: str) -> Table:
    text = _decode(data, label)
    head = [line for line in text.splitlines()[:20] if line.strip()][:5]
    delimiter = max(
        (";", ",", "\t"), key=lambda d: (max((ln.count(d) for ln in head), default=0), d == ";")
    )
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise SourceError(label, f"malformed CSV: {exc}") from None
    return Table(name, rows, english_numbers=delimiter == ",")


def read_xlsx(data: bytes, label: str) -> list[Table]:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            label,
            "this is an old Excel 97–2003 workbook (.xls) or a password-protected one; "
            "save it as 'Excel-Arbeitsmappe (*.xlsx)' without a password",
        )
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # any failure of the parser: the file is not a workbook
        detail = "not a ZIP archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)
        raise SourceError(
            label, f"not an Excel workbook (.xlsx) that can be read ({detail})"
        ) from None
    return [
        Table(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book.worksheets
    ]


def _read(path: Path) -> tuple[bytes, list[Table]]:
    label = str(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        blobs = [(p.name, _bytes(p)) for p in files]
        data = b"".join(name.encode() + b"\0" + blob for name, blob in blobs)
        return data, [read_csv(blob, name, f"{label}/{name}") for name, blob in blobs]
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods"):
        raise SourceError(label, f"{suffix} files are not read; save the workbook as .xlsx")
    data = _bytes(path)
    if suffix == ".csv":
        return data, [read_csv(data, path.name, label)]
    if suffix == ".xlsx":
        return data, read_xlsx(data, label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(
            (m for m in archive.infolist() if m.filename.lower().endswith((".csv", ".xlsx"))),
            key=lambda m: m.filename,
        )
        if sum(m.file_size for m in members) > _MAX_UNZIPPED:
            raise SourceError(label, "the ZIP archive unpacks to more than 50 MB")
        tables: list[Table] = []
        for m in members:
            if m.filename.startswith("__MACOSX/") or m.is_dir():
                continue
            blob, name = archive.read(m), m.filename.rsplit("/", 1)[-1]
            if name.lower().endswith(".csv"):
                tables.append(read_csv(blob, name, f"{label}:{m.filename}"))
            else:
                tables += read_xlsx(blob, f"{label}:{m.filename}")
    except zipfile.BadZipFile:
        raise SourceError(label, "not a ZIP archive") from None
    return data, tables


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(str(path), "no such file") from None
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror}") from None


# --- conversion ---------------------------------------------------------------


def _letter(index: int) -> str:
    out, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _header_key(value: Any) -> str:
    text = text_of(value) or ""
    return text.casefold() if ":" in text or text.startswith("@") else slugify(text)


_HEADERS = {
    kind.name: {
        key: c
        for c in columns(kind.name)
        for key in {slugify(c.de), slugify(c.en), slugify(c.field), c.prop.casefold()}
        if key
    }
    for kind in KINDS
}


@dataclass
class Row:
    kind: str
    sheet: str
    number: int
    values: dict[str, Any]
    letters: dict[str, str]
    iri: str | None = None
    english_numbers: bool = False

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        return None if isinstance(value, str) and not value.strip() else value

    def cell(self, name: str) -> str:
        letter = self.letters.get(name) or self.letters.get("id")
        letter = letter or min(self.letters.values(), key=_col)
        return f"{self.sheet}!{letter}{self.number}"

    def span(self) -> str:
        """The whole row, for findings about the row rather than one of its cells."""
        first, last = (f(self.letters.values(), key=_col) for f in (min, max))
        return f"{self.sheet}!{first}{self.number}:{last}{self.number}"


@dataclass
class _Sheet:
    kind: Kind
    name: str
    first_row: int
    rows: list[Row] = field(default_factory=list)


class _Converter:
    """Turns the rows of one contribution into quads, cell references and findings."""

    def __init__(self, resolver: Resolver, label: str):
        self.resolver = resolver
        self.base = resolver.base
        self.label = label
        self.quads: list[ox.Quad] = []
        self.cells: dict[tuple[str, str | None], str] = {}
        self.findings: list[Finding] = []

    # findings
    def problem(self, row: Row | None, name: str, de: str, en: str, *, sheet: str = "") -> None:
        column = next((c for c in COLUMNS if row and c.kind == row.kind and c.field == name), None)
        path = expand(column.prop, self.base) if column and column.prop[:1] not in "@" else None
        where = row.cell(name) if row else sheet
        value = text_of(row.get(name)) if row else None
        self.findings.append(
            Finding(
                severity="Violation",
                focus=(row.iri if row and row.iri else where),
                path=path,
                value=f'"{value}"' if value is not None else None,
                message_de=de,
                message_en=en,
                detail=f"column {column.de!r} ({column.en})" if column else "spreadsheet",
                focus_label=text_of(row.get("title") or row.get("name")) if row else None,
                source=self.label,
                location=where,
            )
        )

    # reading a table into rows of one kind
    def sheet(self, table: Table) -> _Sheet | None:
        rows = [r for r in table.rows]
        if not any(text_of(v) for r in rows for v in r):
            return None
        words = set(slugify(Path(table.name).stem).split("-"))
        if words & set(IGNORED_SHEETS):
            return None
        kind = next((k for k in KINDS if words & set(k.words)), None)
        header_at, matches = None, {}
        for i, r in enumerate(rows[:10]):
            candidates = [kind] if kind else list(KINDS)
            for k in candidates:
                found = {
                    j: _HEADERS[k.name][_header_key(v)]
                    for j, v in enumerate(r)
                    if _header_key(v) in _HEADERS[k.name]
                }
                if len(found) >= 2 and len(found) > len(matches):
                    header_at, matches, best = i, found, k
            if header_at is not None:
                break
        if header_at is None:
            self.problem(
                None,
                "",
                f"Blatt '{table.name}': keine Kopfzeile mit bekannten Spalten gefunden "
                "(z. B. ID, Titel). Bitte die Vorlage verwenden.",
                f"Sheet '{table.name}': no header row with known columns found (e.g. ID, "
                "title). Please use the template.",
                sheet=f"{table.name}!A1",
            )
            return None
        kind = best
        letters: dict[str, str] = {}
        header = rows[header_at]
        data_start = header_at + 1
        if data_start < len(rows):
            keys = {_header_key(v) for v in rows[data_start]} - {""}
            if keys and keys <= set(_HEADERS[kind.name]):
                data_start += 1
        out = _Sheet(kind, table.name, data_start + 1)
        for j, value in enumerate(header):
            col_ref = f"{table.name}!{_letter(j)}{header_at + 1}"
            if j in matches:
                column = matches[j]
                if column.field in letters:
                    self.problem(
                        None,
                        "",
                        f"Spalte '{column.de}' kommt zweimal vor.",
                        f"Column '{column.en}' appears twice.",
                        sheet=col_ref,
                    )
                letters[column.field] = _letter(j)
            elif text_of(value):
                self.problem(
                    None,
                    "",
                    f"Unbekannte Spalte '{text_of(value)}' im Blatt {kind.sheet}. Erlaubt: "
                    + ", ".join(c.de for c in columns(kind.name))
                    + ".",
                    f"Unknown column '{text_of(value)}' in sheet {kind.sheet}. Allowed: "
                    + ", ".join(c.en for c in columns(kind.name))
                    + ".",
                    sheet=col_ref,
                )
        for column in columns(kind.name):
            if column.required and column.field not in letters and column.field != "id":
                self.problem(
                    None,
                    "",
                    f"Pflichtspalte '{column.de}' fehlt im Blatt {table.name}.",
                    f"Required column '{column.en}' is missing in sheet {table.name}.",
                    sheet=f"{table.name}!A{header_at + 1}",
                )
        for i in range(data_start, len(rows)):
            r = rows[i]
            if not any(text_of(v) for v in r):
                continue
            values = {
                f: r[_col(letters[f])] if _col(letters[f]) < len(r) else None for f in letters
            }
            stray = [j for j, v in enumerate(r) if text_of(v) and j >= len(header)]
            for j in stray[:1]:
                self.problem(
                    None,
                    "",
                    "Wert in einer Spalte ohne Überschrift.",
                    "Value in a column without a header.",
                    sheet=f"{table.name}!{_letter(j)}{i + 1}",
                )
            out.rows.append(
                Row(
                    kind.name,
                    table.name,
                    i + 1,
                    values,
                    letters,
                    english_numbers=table.english_numbers,
                )
            )
        return out

    # helpers that emit quads
    def add(self, s: str | ox.BlankNode, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode):
        subject = s if isinstance(s, ox.BlankNode) else ox.NamedNode(s)
        self.quads.append(ox.Quad(subject, ox.NamedNode(p), o))

    def prop(self, kind: str, name: str) -> str:
        return expand(
            next(c.prop for c in COLUMNS if c.kind == kind and c.field == name), self.base
        )

    def parts(self, row: Row, name: str, *, split_commas: bool = False) -> list[str]:
        text = text_of(row.get(name))
        if text is None:
            return []
        if split_commas and re.fullmatch(r"\d+(\s*,\s*\d+)+", text):
            return [p.strip() for p in text.split(",")]
        return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]

    def ref(self, row: Row, name: str, category: str) -> list[str]:
        out = []
        for part in self.parts(row, name, split_commas=category == "field"):
            iri, message = self.resolver.resolve(category, part)
            if message:
                self.problem(row, name, *message)
            elif iri:
                out.append(iri)
        return out

    def link(self, row: Row, kind: str, name: str, category: str) -> None:
        for iri in self.ref(row, name, category):
            self.add(row.iri, self.prop(kind, name), ox.NamedNode(iri))

    def text(self, row: Row, kind: str, name: str) -> None:
        column = next(c for c in COLUMNS if c.kind == kind and c.field == name)
        value = text_of(row.get(name))
        if value is None:
            return
        lang = column.prop.partition("@")[2] or None
        literal = ox.Literal(value, language=lang) if lang else ox.Literal(value)
        self.add(row.iri, expand(column.prop, self.base), literal)
        if column.prop.startswith("skos:prefLabel"):
            self.add(row.iri, PREFIXES["rdfs"] + "label", literal)

    def typed(self, row: Row, name: str, parse) -> ox.Literal | None:
        value = row.get(name)
        if value is None:
            return None
        try:
            lexical, dtype = parse(value)
        except ValueProblem as exc:
            self.problem(row, name, exc.de, exc.en)
            return None
        return ox.Literal(lexical, datatype=ox.NamedNode(XSD + dtype))

    def date(self, row: Row, kind: str, name: str, *, years: bool) -> None:
        literal = self.typed(row, name, lambda v: parse_date(v, years=years))
        if literal is not None:
            self.add(row.iri, self.prop(kind, name), literal)

    def year(self, row: Row, name: str) -> ox.Literal | None:
        return self.typed(row, name, lambda v: (parse_year(v), "gYear"))

    def decimal(self, row: Row, name: str) -> ox.Literal | None:
        def parse(v):
            return format(parse_decimal(v, english=row.english_numbers), "f"), "decimal"

        return self.typed(row, name, parse)

    def sources(self, row: Row) -> None:
        for part in self.parts(row, "source"):
            for url in part.split():
                if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
                    self.add(row.iri, PREFIXES["dcterms"] + "source", ox.NamedNode(url))
                else:
                    self.problem(
                        row,
                        "source",
                        f"Keine URL: '{url}'. Eine Quelle ist eine öffentliche http(s)-Adresse.",
                        f"Not a URL: '{url}'. A source is a public http(s) address.",
                    )

    # identifiers
    def mint(self, row: Row, kind: Kind, fallback: str | None = None) -> str | None:
        raw = text_of(row.get("id")) or fallback
        prefix = f"{self.base}id/{kind.iri_kind}/"
        if raw is None:
            if kind.name != "observation":
                self.problem(
                    row,
                    "id",
                    f"Die ID fehlt. Jede Zeile braucht eine ID, aus der die IRI {prefix}… wird.",
                    f"The ID is missing. Every row needs an ID, from which the IRI "
                    f"{prefix}… is made.",
                )
            return None
        if raw.startswith(("http://", "https://")):
            iri = rebase(raw, self.base)
            local = iri[len(prefix) :]
            if iri.startswith(prefix) and local and slugify(local) == local:
                return iri
            self.problem(
                row,
                "id",
                f"Die IRI '{raw}' liegt nicht unter {prefix}.",
                f"The IRI '{raw}' is not under {prefix}.",
            )
            return None
        if not slugify(raw):
            self.problem(
                row,
                "id",
                f"Ungültige ID '{raw}': Buchstaben oder Ziffern fehlen.",
                f"Invalid ID '{raw}': it needs letters or digits.",
            )
            return None
        return prefix + slugify(raw)

    def claim(self, row: Row, seen: dict[str, Row]) -> None:
        """Record a row's IRI, or report it as a duplicate naming both rows."""
        if row.iri is None:
            return
        first = seen.get(row.iri)
        if first is None:
            seen[row.iri] = row
            return
        ident = row.iri.rsplit("/", 1)[-1]
        iri, row.iri = row.iri, None
        self.problem(
            row,
            "id",
            f"Doppelte ID '{ident}': schon in Zeile {first.number} ({first.cell('id')}) "
            f"und noch einmal in Zeile {row.number} ({row.cell('id')}).",
            f"Duplicate ID '{ident}': already in row {first.number} ({first.cell('id')}) "
            f"and again in row {row.number} ({row.cell('id')}).",
        )
        self.findings[-1].focus = iri

    def record_cells(self, row: Row, kind: str) -> None:
        self.cells[(row.iri, None)] = row.span()
        chosen: dict[str, Column] = {}
        for column in columns(kind):
            if not column.prop or column.prop.startswith("@"):
                continue
            p = expand(column.prop, self.base)
            earlier = chosen.get(p)
            if earlier is None or (
                row.get(earlier.field) is not None and row.get(column.field) is None
            ):
                chosen[p] = column
        for p, column in chosen.items():
            self.cells[(row.iri, p)] = row.cell(column.field)
            if p == PREFIXES["skos"] + "prefLabel":
                self.cells[(row.iri, PREFIXES["rdfs"] + "label")] = row.cell(column.field)

    # the four kinds
    def organisation(self, row: Row) -> None:
        sector = row.get("sector")
        cls = next(iter(self.ref(row, "sector", "sector")), None) if sector else None
        if sector is None:
            self.problem(
                row,
                "sector",
                "Der Sektor fehlt (Landesbehörde, Landkreis oder kreisfreie "
                "Stadt, Gemeinde, Zivilgesellschaftliche Organisation).",
                "The sector is missing (state body, district or district-free city, "
                "municipality, civil-society organisation).",
            )
        if cls is None:
            return
        s = row.iri
        self.add(s, RDF_TYPE, ox.NamedNode(cls))
        for name in ("name", "name_en"):
            self.text(row, "organisation", name)
        self.link(row, "organisation", "kind", "kind")
        self.link(row, "organisation", "parent", "organisation")
        for name in ("district_key", "ags"):
            key = row.values.get("_" + name)
            if key:
                self.add(s, self.prop("organisation", name), ox.Literal(key))
        geo = "http://dcat-ap.de/def/politicalGeocoding/"
        if cls == ikg(self.base, "District") and row.values.get("_district_key"):
            self.add(
                s,
                PREFIXES["dcterms"] + "spatial",
                ox.NamedNode(f"{geo}districtKey/{row.values['_district_key']}"),
            )
        if cls == ikg(self.base, "Municipality"):
            ags = row.values.get("_ags")
            if ags:
                self.add(
                    s, PREFIXES["dcterms"] + "spatial", ox.NamedNode(f"{geo}municipalityKey/{ags}")
                )
            if row.get("district") is not None:
                self.link(row, "organisation", "district", "district")
            elif ags:
                iri, _msg = self.resolver.resolve("district", ags[:5])
                if iri:
                    self.add(s, self.prop("organisation", "district"), ox.NamedNode(iri))
        wikidata = text_of(row.get("wikidata"))
        if wikidata:
            m = re.fullmatch(
                r"(?:https?://(?:www\.)?wikidata\.org/(?:wiki|entity)/)?(Q\d+)", wikidata
            )
            if m:
                self.add(
                    s,
                    PREFIXES["schema"] + "sameAs",
                    ox.NamedNode(f"http://www.wikidata.org/entity/{m.group(1)}"),
                )
            else:
                self.problem(
                    row,
                    "wikidata",
                    f"Keine Wikidata-Kennung: '{wikidata}' (Q…).",
                    f"Not a Wikidata identifier: '{wikidata}' (Q…).",
                )
        self.sources(row)

    def measure(self, row: Row) -> None:
        s = row.iri
        kinds = self.ref(row, "kind", "measure-kind") if row.get("kind") else []
        self.add(s, RDF_TYPE, ox.NamedNode(kinds[0] if kinds else ikg(self.base, "Project")))
        for name in ("title", "title_en", "description"):
            self.text(row, "measure", name)
        for name, category in (
            ("responsible", "organisation"),
            ("partner", "organisation"),
            ("field", "field"),
            ("region", "region"),
            ("status", "status"),
            ("programme", "programme"),
            ("target", "target"),
        ):
            self.link(row, "measure", name, category)
        for name in ("start", "end"):
            self.date(row, "measure", name, years=True)
        amount, year = self.decimal(row, "budget"), self.year(row, "budget_year")
        if amount is not None and Decimal(amount.value) < 0:
            self.problem(
                row,
                "budget",
                f"Das Budget ist negativ: {amount.value} EUR.",
                f"The budget is negative: {amount.value} EUR.",
            )
        elif amount is not None:
            node = ox.BlankNode()
            self.add(s, ikg(self.base, "budget"), node)
            self.add(node, RDF_TYPE, ox.NamedNode(PREFIXES["schema"] + "MonetaryAmount"))
            self.add(node, PREFIXES["schema"] + "value", amount)
            self.add(node, PREFIXES["schema"] + "currency", ox.Literal("EUR"))
            self.add(
                node,
                ikg(self.base, "amountType"),
                ox.NamedNode(f"{self.base}id/concept/amount/budget"),
            )
            if year is not None:
                self.add(node, ikg(self.base, "budgetYear"), year)
        elif year is not None and row.get("budget") is None:
            self.problem(
                row,
                "budget_year",
                "Haushaltsjahr ohne Budget: bitte den Betrag angeben.",
                "Budget year without a budget: please give the amount.",
            )
        self.sources(row)

    def target(self, row: Row) -> None:
        s = row.iri
        self.add(s, RDF_TYPE, ox.NamedNode(ikg(self.base, "Target")))
        for name in ("title", "title_en", "aim"):
            self.text(row, "target", name)
        if row.get("aim") is not None:
            self.add(
                s,
                ikg(self.base, "numericTargetStated"),
                ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean")),
            )
        self.link(row, "target", "indicator", "indicator")
        self.link(row, "target", "field", "field")
        unit = text_of(row.get("unit"))
        if unit:
            self.add(s, ikg(self.base, "unit"), ox.Literal(unit))
        for name in ("baseline", "target_value"):
            value = self.decimal(row, name)
            if value is not None:
                self.add(s, self.prop("target", name), value)
        year = self.year(row, "baseline_year")
        if year is not None:
            self.add(s, ikg(self.base, "baselineYear"), year)
        self.date(row, "target", "deadline", years=False)
        self.sources(row)

    def observation(self, row: Row, seen: dict[str, Row]) -> None:
        indicator = self.ref(row, "indicator", "indicator")
        area = self.ref(row, "area", "region")
        group = self.ref(row, "group", "group")
        year, value = self.year(row, "year"), self.decimal(row, "value")
        fallback = None
        if indicator and area and year is not None:
            parts = [indicator[0].rsplit("/", 1)[-1], area[0].rsplit("/", 1)[-1], year.value]
            if group and not group[0].endswith("/gesamt"):
                parts.append(group[0].rsplit("/", 1)[-1])
            fallback = "-".join(parts)
        row.iri = self.mint(row, KIND["observation"], fallback)
        needed = ("indicator", "area", "year")
        if row.iri is None and text_of(row.get("id")) is None and None in map(row.get, needed):
            self.problem(
                row,
                "id",
                "Die ID fehlt und lässt sich nicht bilden: Indikator, Gebiet und Jahr sind nötig.",
                "The ID is missing and cannot be made: indicator, area and year are needed.",
            )
        self.claim(row, seen)
        if row.iri is None:
            return
        self.record_cells(row, "observation")
        s = row.iri
        self.add(s, RDF_TYPE, ox.NamedNode(PREFIXES["qb"] + "Observation"))
        self.add(s, PREFIXES["qb"] + "dataSet", ox.NamedNode(f"{self.base}id/indicator/dataset"))
        for name, iris in (("indicator", indicator), ("area", area), ("group", group)):
            for iri in iris:
                self.add(s, self.prop("observation", name), ox.NamedNode(iri))
        for name, literal in (("year", year), ("value", value)):
            if literal is not None:
                self.add(s, self.prop("observation", name), literal)
        unit = text_of(row.get("unit"))
        if unit:
            self.add(s, ikg(self.base, "unit"), ox.Literal(unit))
        self.sources(row)


def _col(letter: str) -> int:
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _normalise_key(value: Any, digits: int) -> str | None:
    text = text_of(value)
    if text and text.isdigit() and len(text) == digits - 1:
        text = "0" + text
    return text


def handles(path: Path) -> bool:
    """Whether ``path`` is a spreadsheet contribution (a workbook, CSV, ZIP or CSV folder)."""
    if path.is_dir():
        return any(p.suffix.lower() == ".csv" for p in path.iterdir())
    return path.suffix.lower() in SPREADSHEET_SUFFIXES


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Like :func:`ikgraph.sources.expand_paths`, with workbooks and CSV folders.

    A folder's RDF files and workbooks are separate sources; its CSV files
    together are one (the folder).
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += expand_rdf_paths([path])
            out += sorted(p for p in path.iterdir() if p.suffix.lower() in (".xlsx", ".zip"))
            if handles(path):
                out.append(path)
        else:
            out.append(path)
    return out


def to_sources(paths: Sequence[Path], store: Store, *, also: Sequence[Source] = ()) -> list[Source]:
    """Convert spreadsheet contributions into sources with prepared quads and cells.

    References are resolved against ``store``, the quads of ``also`` (RDF
    sources given alongside) and the rows of all ``paths`` together.

    :raises SourceError: a file cannot be read (not a workbook, wrong encoding).
    :raises SpreadsheetError: rows cannot be converted; nothing is returned.
    """
    base = store.base
    stores: list[Store] = [store]
    extra = [q for source in also for q in (source.quads or parse(source, base=base))]
    if extra:
        side = OxigraphStore(None, base=base)
        side.raw.extend(extra)
        stores.append(side)
    resolver = Resolver(stores, base)
    work = []
    for path in paths:
        data, tables = _read(path)
        conv = _Converter(resolver, str(path))
        sheets = [s for s in (conv.sheet(t) for t in tables) if s is not None]
        work.append((path, data, conv, sheets, [t.name for t in tables]))
    seen: dict[str, Row] = {}
    for _path, _data, conv, sheets, _names in work:
        for sheet in (s for s in sheets if s.kind.name != "observation"):
            for row in sheet.rows:
                _prepare(conv, sheet.kind, row, seen)
    findings: list[Finding] = []
    out = []
    for path, data, conv, sheets, names in work:
        for sheet in sheets:
            for row in sheet.rows:
                if sheet.kind.name == "observation":
                    conv.observation(row, seen)
                elif row.iri is not None:
                    getattr(conv, sheet.kind.name)(row)
        if not any(sheet.rows for sheet in sheets) and not conv.findings:
            first = next((f"{s.name}!A{s.first_row}" for s in sheets if s.kind.name == "measure"),
                         f"{sheets[0].name}!A{sheets[0].first_row}" if sheets else
                         f"{names[0] if names else path.name}!A1")  # fmt: skip
            conv.problem(
                None,
                "",
                "Die Tabelle enthält keine Daten: alle Blätter sind leer.",
                "The spreadsheet holds no data: every sheet is empty.",
                sheet=first,
            )
        findings += conv.findings
        name = path.stem if not path.is_dir() else path.name
        out.append(
            Source(
                name=name,
                data=data,
                format=ox.RdfFormat.N_QUADS,
                filename=str(path),
                cells=conv.cells,
                prepared=conv.quads,
            )
        )
    if findings:
        raise SpreadsheetError(findings, base=base)
    return out


def _prepare(conv: _Converter, kind: Kind, row: Row, seen: dict[str, Row]) -> None:
    """First pass: mint the row's IRI and make it known for references by name."""
    resolver = conv.resolver
    fallback = None
    if kind.name == "organisation":
        row.values["_district_key"] = _normalise_key(row.get("district_key"), 5)
        row.values["_ags"] = _normalise_key(row.get("ags"), 8)
        sector = text_of(row.get("sector")) or ""
        cls, _ = resolver.resolve("sector", sector) if sector else (None, None)
        if cls == ikg(conv.base, "Municipality") and row.values["_ags"]:
            fallback = f"gemeinde-{row.values['_ags']}"
        elif cls == ikg(conv.base, "District") and row.values["_district_key"]:
            kind_text = slugify(text_of(row.get("kind")) or "")
            prefix = "stadt" if "kreisfreie" in kind_text else "landkreis"
            fallback = f"{prefix}-{row.values['_district_key']}"
    row.iri = conv.mint(row, kind, fallback)
    conv.claim(row, seen)
    if row.iri is None:
        return
    conv.record_cells(row, kind.name)
    names = [text_of(row.get(n)) or "" for n in ("name", "name_en", "title", "title_en", "id")]
    if kind.name == "organisation":
        keys = [row.values["_district_key"] or "", row.values["_ags"] or ""]
        resolver.add("organisation", row.iri, names + keys)
        geo = "http://dcat-ap.de/def/politicalGeocoding/"
        if row.values["_ags"]:
            resolver.add(
                "region", row.iri, names + keys, f"{geo}municipalityKey/{row.values['_ags']}"
            )
        elif row.values["_district_key"]:
            resolver.add("district", row.iri, names + keys)
            resolver.add(
                "region", row.iri, names + keys, f"{geo}districtKey/{row.values['_district_key']}"
            )
    elif kind.name == "measure":
        kind_text = text_of(row.get("kind")) or ""
        if resolver.resolve("measure-kind", kind_text)[0] == ikg(conv.base, "Programme"):
            resolver.add("programme", row.iri, names)
    elif kind.name == "target":
        resolver.add("target", row.iri, names)


def to_source(path: Path, store: Store) -> Source:
    """One spreadsheet contribution as a source; see :func:`to_sources`."""
    return to_sources([path], store)[0]


# --- templates ----------------------------------------------------------------

LISTS = (
    ("Handlungsfelder", "field"),
    ("Status", "status"),
    ("Sektoren", "sector"),
    ("Landkreise", "district"),
    ("Art der Maßnahme", "measure-kind"),
    ("Art der Organisation", "kind"),
    ("Bevölkerungsgruppen", "group"),
    ("Organisationen", "organisation"),
    ("Programme", "programme"),
)
#: which column gets which list, and whether other values are refused
_DROPDOWNS = {
    "field": ("field", False),
    "status": ("status", True),
    "sector": ("sector", True),
    "district": ("district", False),
    "region": ("district", False),
    "area": ("district", False),
    "kind": ("kind", True),
    "group": ("group", True),
    "responsible": ("organisation", False),
    "partner": ("organisation", False),
    "parent": ("organisation", False),
    "programme": ("programme", False),
}


def published_store(store: Store | None, *, base: str = DEFAULT_BASE_IRI) -> Store:
    """``store`` if it holds the published data, else the ontology and data/ in memory."""
    from ikgraph.model import DATA_DIR, ONTOLOGY_DIR

    if store is not None and bool(
        store.query(f"ASK {{ ?s a <{ikg(store.base, 'FieldOfAction')}> }}")
    ):
        return store
    base = store.base if store is not None else base
    memory = OxigraphStore(None, base=base)
    for path in expand_rdf_paths([ONTOLOGY_DIR, DATA_DIR]):
        memory.raw.extend(parse(from_path(path), base=base))
    return memory


def choices(store: Store) -> dict[str, list[str]]:
    """The values of the drop-down lists, from the published data.

    Fields of action and districts lead with their number or key; a name that
    is not unique carries its ID in brackets, so that every value resolves.
    """
    resolver = Resolver([store], store.base)
    out: dict[str, list[str]] = {}
    for _title, category in LISTS:
        index = resolver.index[category]
        if category in ("field", "district", "sector", "measure-kind"):
            out[category] = index.entries() if category in ("field", "district") else [
                index.label[i] for i in index.label]  # fmt: skip
            continue
        values = []
        for iri, label in index.label.items():
            if len(index.find(label, store.base)) > 1:
                label = f"{label} ({iri.rsplit('/', 1)[-1]})"
            values.append(label)
        out[category] = sorted(values, key=str.casefold)
    return out


def instructions(note: str | None = None) -> list[list[str]]:
    """The instruction text, as rows (for the XLSX sheet and the CSV ANLEITUNG.txt)."""
    lines = [
        ["Anleitung: Beiträge zum Hessischen Integrationsplan (ikgraph)"],
        *([[note]] if note else []),
        [""],
        [
            "1. Jede Zeile beschreibt eine Sache: eine Organisation, eine Maßnahme, ein Ziel "
            "oder einen Indikatorwert. Leere Blätter und Zeilen werden übersprungen."
        ],
        [
            "2. Zeile 1 enthält die Spaltenüberschriften, Zeile 2 die Felder der Ontologie. "
            "Bitte beide Zeilen nicht ändern; die Daten beginnen in Zeile 3."
        ],
        [
            "3. Die ID ist ein Kurzname (z. B. sprachcafe-musterstadt); aus ihr wird die "
            "dauerhafte Adresse (IRI). Eine ID nie für etwas anderes wiederverwenden."
        ],
        ["4. Mehrere Werte in einer Zelle mit Semikolon trennen: 1; 7."],
        [
            "5. Datum als 31.01.2024 oder 2024-01-31 (oder eine Excel-Datumszelle); "
            "Beginn und Ende dürfen auch nur ein Jahr sein (2024)."
        ],
        ["6. Zahlen wie 1.500.000,50 oder 1500000.5; Beträge in Euro."],
        [
            "7. Verweise auf Veröffentlichtes: Landkreise mit Name oder Kreisschlüssel, "
            "Gemeinden mit Name oder AGS, Handlungsfelder mit Nummer oder Name, Organisationen "
            "und Programme mit Name oder IRI. Neue Organisationen im Blatt Organisationen "
            "eintragen und in Maßnahmen mit ihrer ID oder ihrem Namen nennen."
        ],
        [
            "8. Prüfen: ikgraph validate datei.xlsx. Der Bericht nennt jede Zelle "
            "(z. B. Maßnahmen!E4), was falsch ist und wie es richtig wäre."
        ],
        [""],
        ["Blatt", "Spalte", "englisch", "Feld (Ontologie)", "Typ", "Pflicht", "Hilfe"],
    ]
    for c in COLUMNS:
        lines.append(
            [
                KIND[c.kind].sheet,
                c.de,
                c.en,
                c.prop or "—",
                TYPES[c.type],
                "ja" if c.required else "",
                c.help,
            ]
        )
    return lines


_WIDTHS = {"id": 26, "text": 34, "url+": 36, "organisation": 30, "organisation+": 34,
           "field+": 24, "region+": 24, "programme+": 26, "note": 24}  # fmt: skip


def write_xlsx(
    path: Path,
    lists: dict[str, list[str]],
    *,
    rows: dict[str, list[dict[str, Any]]] | None = None,
    note: str | None = None,
) -> Path:
    """An XLSX template (optionally filled with ``rows`` per kind)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    guide = book.active
    guide.title = "Anleitung"
    for line in instructions(note):
        guide.append(line)
        row = guide.max_row
        if len(line) == 1 and line[0]:  # a paragraph: across the table, wrapped
            guide.merge_cells(f"A{row}:G{row}")
            guide[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
            guide.row_dimensions[row].height = 15 * (1 + len(line[0]) // 190)
        elif len(line) > 1:
            guide[f"G{row}"].alignment = Alignment(wrap_text=True, vertical="top")
            if line[0] == "Blatt":
                for cell in guide[row]:
                    cell.font = Font(bold=True)
    guide["A1"].font = Font(bold=True, size=14)
    guide.row_dimensions[1].height = 20
    if note:
        guide["A2"].font = Font(bold=True, color="C00000")
    for letter, width in zip("ABCDEFG", (16, 28, 24, 28, 22, 8, 90), strict=True):
        guide.column_dimensions[letter].width = width
    ref = book.create_sheet("Listen")
    ranges = {}
    for j, (title, category) in enumerate(LISTS):
        values = lists.get(category, [])
        ref.cell(row=1, column=j + 1, value=title).font = Font(bold=True)
        for i, value in enumerate(values):
            ref.cell(row=i + 2, column=j + 1, value=value)
        letter = _letter(j)
        ranges[category] = f"Listen!${letter}$2:${letter}${max(2, len(values) + 1)}"
    ref.sheet_state = "hidden"
    fill = PatternFill("solid", fgColor="DDEBF7")
    for kind in KINDS:
        ws = book.create_sheet(kind.sheet, index=book.index(ref))
        cols = columns(kind.name)
        ws.append([c.de for c in cols])
        ws.append([c.prop or "—" for c in cols])
        for j, c in enumerate(cols):
            head, sub = ws.cell(row=1, column=j + 1), ws.cell(row=2, column=j + 1)
            head.font = Font(bold=True, underline="single" if c.required else None)
            head.fill = fill
            head.comment = Comment(
                f"{c.help}\n({c.en}; {TYPES[c.type]}{'; Pflicht' if c.required else ''})", "ikgraph"
            )
            sub.font = Font(italic=True, color="808080", size=9)
            ws.column_dimensions[_letter(j)].width = _WIDTHS.get(c.type, max(14, len(c.de) + 4))
            letter = _letter(j)
            if c.field in _DROPDOWNS and (c.kind, c.field) != ("measure", "kind"):
                category, strict = _DROPDOWNS[c.field]
                dv = DataValidation(
                    type="list",
                    formula1=ranges[category],
                    allow_blank=True,
                    showErrorMessage=strict,
                    errorStyle="stop" if strict else "information",
                )
                dv.error = "Bitte einen Wert aus der Liste wählen."
                dv.add(f"{letter}3:{letter}1000")
                ws.add_data_validation(dv)
            if (c.kind, c.field) == ("measure", "kind"):
                dv = DataValidation(
                    type="list",
                    formula1=ranges["measure-kind"],
                    allow_blank=True,
                    showErrorMessage=True,
                )
                dv.add(f"{letter}3:{letter}1000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A3"
        for values in (rows or {}).get(kind.name, []):
            ws.append([values.get(c.field) for c in cols])
            for j, c in enumerate(cols):
                cell = ws.cell(row=ws.max_row, column=j + 1)
                if isinstance(cell.value, date):
                    cell.number_format = "DD.MM.YYYY"
                elif c.type == "amount" and isinstance(cell.value, int | float):
                    cell.number_format = "#,##0.00"
                cell.alignment = Alignment(vertical="top")
    book.active = 1 if rows else 0
    book.save(path)
    return path


def write_csv(
    path: Path, kind: str, *, rows: Sequence[dict[str, Any]] = (), note: str | None = None
) -> Path:
    """One CSV file of ``kind`` (UTF-8 with BOM, ``;``-separated, as German Excel expects)."""
    cols = columns(kind)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    if note:
        writer.writerow([note])
    writer.writerow([c.de for c in cols])
    writer.writerow([c.prop or "—" for c in cols])
    for values in rows:
        writer.writerow([_csv_value(values.get(c.field)) for c in cols])
    path.write_bytes(codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8"))
    return path


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def write_template(path: Path, *, fmt: str, store: Store | None = None) -> list[Path]:
    """Write an empty template: an XLSX workbook, or a folder of CSV files.

    :raises FileExistsError: rather than overwrite a file (perhaps a filled one).
    """
    targets = [path] if fmt == "xlsx" else [path / f"{k.csv}.csv" for k in KINDS]
    for target in targets:
        if target.exists():
            raise FileExistsError(f"{target} exists; choose another name or move it away")
    lists = choices(published_store(store))
    if fmt == "xlsx":
        return [write_xlsx(path, lists)]
    path.mkdir(parents=True, exist_ok=True)
    written = [write_csv(target, k.name) for target, k in zip(targets, KINDS, strict=True)]
    guide = path / "ANLEITUNG.txt"
    text = "\n".join("\t".join(line) for line in instructions())
    text += "\n\nErlaubte Werte\n" + "\n".join(
        f"{title}: " + "; ".join(lists.get(category, [])) for title, category in LISTS
    )
    guide.write_text(text + "\n", encoding="utf-8")
    written.append(guide)
    return written
