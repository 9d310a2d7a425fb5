"""Spreadsheet contributions: templates, XLSX and CSV end to end, and broken input.

The filled examples are the made-up CSV files in tests/fixtures/spreadsheets/
(one per kind); workbooks are built from the same rows here with openpyxl,
with real Excel dates and numbers. The command line runs as a subprocess on a
store built once per session, with the made-up indicator of
``beispiel-referenz.ttl`` published on top of data/.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from cli_helpers import FIXTURES, ROOT, dump, run
from openpyxl import Workbook, load_workbook

from ikgraph import spreadsheet
from ikgraph.sources import SourceError, from_path

SHEETS = FIXTURES / "spreadsheets"
BASE = "https://w3id.org/ikg/"
NOTE = "Beispiel: erfundene Daten zum Testen, nicht echt und nicht veröffentlicht."
FILES = {
    "organisation": "beispiel-organisationen.csv",
    "target": "beispiel-ziele.csv",
    "measure": "beispiel-massnahmen.csv",
    "observation": "beispiel-beobachtungen.csv",
}
PREFIXES = f"PREFIX ikg: <{BASE}ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"


def example_rows(kind: str) -> list[dict[str, str]]:
    """The example rows of one kind, by field name (the note row skipped)."""
    lines = list(
        csv.reader(io.StringIO((SHEETS / FILES[kind]).read_text("utf-8-sig")), delimiter=";")
    )
    by_header = {c.de: c.field for c in spreadsheet.columns(kind)}
    return [{by_header[h]: v for h, v in zip(lines[1], line, strict=True)} for line in lines[2:]]


def excel(value: str):
    """A cell as Excel holds it: real dates and numbers where the text is one."""
    if re.fullmatch(r"\d\d\.\d\d\.\d{4}", value):
        try:
            return datetime.strptime(value, "%d.%m.%Y")
        except ValueError:
            return value  # Excel keeps an impossible date as text
    if re.fullmatch(r"\d{4}", value):
        return int(value)
    if re.fullmatch(r"[\d.]+,\d+", value):
        return float(value.replace(".", "").replace(",", "."))
    return value or None


def workbook(path: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    """A filled template, typed the way Excel stores what a person typed."""
    typed = {
        kind: [{k: excel(v) for k, v in r.items()} for r in items] for kind, items in rows.items()
    }
    return spreadsheet.write_xlsx(path, {}, rows=typed, note=NOTE)


def csv_file(path: Path, kind: str, rows: list[dict[str, str]]) -> Path:
    return spreadsheet.write_csv(path, kind, rows=rows, note=NOTE)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory):
    """ontology/ and data/ built once, plus the made-up indicator the examples use."""
    path = tmp_path_factory.mktemp("built") / "store"
    run("build", store=path, check=True)
    run("load", str(SHEETS / "beispiel-referenz.ttl"), store=path, check=True)
    return path


@pytest.fixture
def store(built_store, tmp_path):
    path = tmp_path / "store"
    shutil.copytree(built_store, path)
    return path


@pytest.fixture(scope="session")
def published():
    """The published data in memory, for conversions in this process."""
    return spreadsheet.published_store(None)


def select(store: Path, sparql: str) -> list[dict[str, str]]:
    out = run("query", f"{PREFIXES} {sparql}", "--format", "csv", store=store, check=True)
    return list(csv.DictReader(io.StringIO(out.stdout)))


# --- templates ----------------------------------------------------------------


def test_xlsx_template_has_instructions_sheets_and_dropdowns_from_the_store(built_store, tmp_path):
    out = tmp_path / "vorlage.xlsx"
    run("template", "-o", str(out), store=built_store, check=True)
    book = load_workbook(out)
    assert book.sheetnames == [
        "Anleitung", "Organisationen", "Maßnahmen", "Ziele", "Beobachtungen", "Listen"
    ]  # fmt: skip
    measures = book["Maßnahmen"]
    headers = [c.value for c in measures[1]]
    assert headers[:3] == ["ID", "Art", "Titel"]
    assert "Verantwortliche Organisation" in headers and "Budget (EUR)" in headers
    assert [c.value for c in measures[2]][5] == "ikg:responsibleOrganisation"
    lists = {col[0].value: [c.value for c in col[1:] if c.value] for col in book["Listen"].columns}
    assert (
        lists["Handlungsfelder"][0] == "1 Sprache und Bildung"
        and len(lists["Handlungsfelder"]) == 7
    )
    assert "06434 Hochtaunuskreis" in lists["Landkreise"]
    assert set(lists["Status"]) == {"geplant", "laufend", "abgeschlossen"}
    assert "Zivilgesellschaftliche Organisation" in lists["Sektoren"]
    formulas = {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
                for dv in measures.data_validations.dataValidation}  # fmt: skip
    letter = {h: chr(65 + i) for i, h in enumerate(headers)}
    assert formulas[letter["Handlungsfeld"]].startswith("Listen!$A$2")
    assert formulas[letter["Status"]].startswith("Listen!$B$2")
    assert formulas[letter["Region"]].startswith("Listen!$D$2")
    guide = [r[0] for r in book["Anleitung"].iter_rows(values_only=True)]
    assert any("ikgraph validate" in (line or "") for line in guide)


def test_csv_template_without_a_store_reads_data_and_is_an_empty_contribution(tmp_path):
    missing = tmp_path / "no-store"
    out = tmp_path / "vorlage"
    run("template", "--format", "csv", "-o", str(out), store=missing, check=True)
    assert not missing.exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "ANLEITUNG.txt", "beobachtungen.csv", "massnahmen.csv", "organisationen.csv", "ziele.csv"
    ]  # fmt: skip
    text = (out / "massnahmen.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbfID;Art;Titel;")
    assert "1 Sprache und Bildung" in (out / "ANLEITUNG.txt").read_text("utf-8")
    again = run("template", "--format", "csv", "-o", str(out), store=missing)
    assert again.returncode == 2 and "organisationen.csv exists" in again.stderr
    proc = run("validate", str(out / "massnahmen.csv"), "--no-store")
    assert proc.returncode == 1
    assert "[massnahmen.csv!A3]" in proc.stdout and "keine Daten" in proc.stdout


# --- end to end -----------------------------------------------------------------


def assert_published(store: Path, graph: str) -> str:
    """The example rows are in their graph, linked across levels; returns the source file."""
    measures = select(
        store,
        f"""SELECT ?m ?programme ?partner ?responsible WHERE {{
        GRAPH <{BASE}graph/{graph}> {{ ?m a ikg:Project ; ikg:fundedBy ?programme ;
            ikg:partner ?partner ; ikg:responsibleOrganisation ?responsible }} }}
        ORDER BY ?m ?partner""",
    )
    assert [(r["m"].rsplit("/", 1)[1], r["partner"].rsplit("/", 1)[1]) for r in measures] == [
        ("beispiel-elternlotsen", "beispielverein-brueckenbau"),
        ("beispiel-sprachcafe", "beispielverein-brueckenbau"),
        ("beispiel-sprachcafe", "hessisches-zentrum-alltagsorientierte-sprachfoerderung"),
    ]
    assert {r["programme"] for r in measures} == {f"{BASE}id/measure/wir"}
    assert {r["responsible"].rsplit("/", 1)[1] for r in measures} == {
        "gemeinde-06434999", "landkreis-06434"
    }  # fmt: skip
    [row] = select(
        store,
        f"""SELECT ?budget ?start ?value ?district ?file ?values WHERE {{
        <{BASE}id/measure/beispiel-sprachcafe> ikg:budget/<http://schema.org/value> ?budget ;
            <http://schema.org/startDate> ?start ; ikg:contributesTo/ikg:targetValue ?value .
        <{BASE}id/organisation/gemeinde-06434999> ikg:inDistrict ?district .
        GRAPH <{BASE}graph/meta> {{ <{BASE}graph/{graph}> ikg:sourceFile ?file }}
        {{ SELECT (GROUP_CONCAT(STR(?v); separator=" ") AS ?values) WHERE {{
            GRAPH <{BASE}graph/{graph}> {{ ?o a <http://purl.org/linked-data/cube#Observation> ;
                <http://purl.org/linked-data/sdmx/2009/measure#obsValue> ?v }} }} }} }}""",
    )
    assert Decimal(row["budget"]) == Decimal("12500") and row["start"] == "2024-02-01"
    assert row["value"] == "120" and row["district"] == f"{BASE}id/organisation/landkreis-06434"
    assert sorted(Decimal(v) for v in row["values"].split()) == [Decimal("41.5"), Decimal("63")]
    assert_on_pages(store)
    return row["file"]


def assert_on_pages(store: Path) -> None:
    """The loaded project has its page, linked to its programme and partners."""
    from ikgraph.app import create_app

    app = create_app({"STORE": f"oxigraph:{store}", "QUERY_WORKERS": 0, "RATE_LIMIT_QUERY": ""})
    client = app.test_client()
    page = client.get("/id/measure/beispiel-sprachcafe", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/id/measure/wir"' in html
    assert 'href="/id/organisation/beispielverein-brueckenbau"' in html
    programme = client.get("/id/measure/wir", headers={"Accept": "text/html"})
    assert 'href="/id/measure/beispiel-sprachcafe"' in programme.get_data(as_text=True)
    app.extensions["ikgraph"].store.close()


def test_filled_xlsx_validates_loads_and_links_to_programme_and_partners(store, tmp_path):
    path = workbook(tmp_path / "beitrag-musterstadt.xlsx",
                    {kind: example_rows(kind) for kind in FILES})  # fmt: skip
    proc = run("validate", str(path), store=store)
    assert proc.returncode == 0, proc.stdout
    assert "Keine Befunde" in proc.stdout
    proc = run("load", str(path), store=store)
    assert proc.returncode == 0, proc.stderr
    assert assert_published(store, "beitrag-musterstadt") == "beitrag-musterstadt.xlsx"


def test_folder_of_csv_files_is_one_contribution(store):
    proc = run("validate", str(SHEETS), store=store)
    assert proc.returncode == 0, proc.stdout
    proc = run("load", str(SHEETS), store=store)
    assert proc.returncode == 0, proc.stderr
    assert assert_published(store, "spreadsheets") == "spreadsheets"


def test_examples_validate_and_say_the_same_in_both_formats(built_store, published):
    for name in ("beispiel-massnahmen.xlsx", "beispiel-massnahmen.csv"):
        proc = run("validate", str(ROOT / "examples" / name), store=built_store)
        assert proc.returncode == 0, proc.stdout
        assert "Keine Befunde" in proc.stdout
    csv_text = (ROOT / "examples" / "beispiel-massnahmen.csv").read_text("utf-8-sig")
    assert csv_text.startswith("BEISPIEL – erfundene Daten")
    guide = load_workbook(ROOT / "examples" / "beispiel-massnahmen.xlsx")["Anleitung"]
    assert guide["A2"].value.startswith("BEISPIEL – erfundene Daten")

    def triples(name: str) -> set[str]:
        source = spreadsheet.to_source(ROOT / "examples" / name, published)
        return {str(q.triple) for q in source.prepared if not isinstance(q.subject, ox.BlankNode)
                and not isinstance(q.object, ox.BlankNode)}  # fmt: skip

    assert triples("beispiel-massnahmen.xlsx") == triples("beispiel-massnahmen.csv")


def test_the_reports_shown_in_the_guide_are_real(built_store):
    guide = (ROOT / "docs" / "contributing-data.md").read_text("utf-8")
    for name in ("beispiel-massnahmen-fehler-1.csv", "beispiel-massnahmen-fehler-2.csv"):
        proc = run("validate", f"examples/{name}", store=built_store)
        assert proc.returncode == 1
        assert proc.stdout.strip() in guide, proc.stdout


# --- broken contributions ---------------------------------------------------------

GOOD = {
    "id": "beispiel-kaputt",
    "title": "Kaputtes Beispiel",
    "title_en": "Broken example",
    "responsible": "Hochtaunuskreis",
    "partner": "Hessisches Zentrum für alltagsorientierte Sprachförderung",
    "field": "1",
    "start": "01.02.2024",
    "end": "31.12.2025",
    "budget": "1.000,00",
    "budget_year": "2024",
    "region": "06434",
    "status": "laufend",
    "programme": "Landesprogramm WIR",
    "source": "https://example.org/beispiel/kaputt",
}
NEW_TOWN = {"name": "Neustadt (Beispiel)", "name_en": "Neustadt (example)", "sector": "Gemeinde",
            "ags": "06434998", "source": "https://example.org/beispiel/neustadt"}  # fmt: skip

#: name, format, rows per kind, exit code, cell (or file), text of the finding
BROKEN = [
    ("end-before-start", "csv", {"measure": [GOOD | {"end": "31.12.2023"}]}, 1,
     "kaputt.csv!A4:R4", "schema:endDate"),
    ("unknown-district", "xlsx", {"organisation": [NEW_TOWN | {"district": "Nordpol"}]}, 1,
     "Organisationen!H3", "Unbekannter Landkreis 'Nordpol'"),
    ("unknown-region", "xlsx", {"measure": [GOOD | {"region": "Nordpol"}]}, 1,
     "Maßnahmen!M3", "Unbekannter Landkreis oder unbekannte Gemeinde 'Nordpol'"),
    ("unknown-field", "csv", {"measure": [GOOD | {"field": "1; Weltraum"}]}, 1,
     "kaputt.csv!H4", "Unbekanntes Handlungsfeld 'Weltraum'"),
    ("unknown-programme", "xlsx", {"measure": [GOOD | {"programme": "Landesprogramm XY"}]}, 1,
     "Maßnahmen!O3", "Unbekanntes Programm 'Landesprogramm XY'"),
    ("no-responsible", "xlsx", {"measure": [GOOD | {"responsible": ""}]}, 1,
     "Maßnahmen!F3", "ikg:responsibleOrganisation"),
    ("negative-budget", "csv", {"measure": [GOOD | {"budget": "-500"}]}, 1,
     "kaputt.csv!K4", "Das Budget ist negativ"),
    ("malformed-date", "xlsx", {"measure": [GOOD | {"start": "31.02.2024"}]}, 1,
     "Maßnahmen!I3", "Kein gültiges Datum: '31.02.2024'"),
    ("malformed-number", "csv", {"measure": [GOOD | {"budget": "zwölf"}]}, 1,
     "kaputt.csv!K4", "Keine gültige Zahl: 'zwölf'"),
    ("malformed-year", "xlsx", {"measure": [GOOD | {"budget_year": "24"}]}, 1,
     "Maßnahmen!L3", "Kein gültiges Jahr: '24'"),
    ("duplicate-id", "xlsx", {"measure": [GOOD, GOOD | {"title": "Noch einmal"}]}, 1,
     "Maßnahmen!A4", "Doppelte ID 'beispiel-kaputt': schon in Zeile 3 (Maßnahmen!A3)"),
    ("empty-sheet", "xlsx", {"measure": []}, 1, "Maßnahmen!A3", "keine Daten"),
    ("wrong-encoding", "mac-roman", {"measure": [GOOD]}, 2,
     "kaputt.csv", "the CSV file is not UTF-8"),
    ("not-a-spreadsheet", "text", {}, 2, "kaputt.xlsx", "not an Excel workbook"),
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus_store(built_store, tmp_path_factory):
    """One copy of the store for the whole corpus, and its content before."""
    path = tmp_path_factory.mktemp("corpus") / "store"
    shutil.copytree(built_store, path)
    return path, dump(path)


def broken_file(folder: Path, fmt: str, rows: dict[str, list[dict[str, str]]]) -> Path:
    if fmt == "xlsx":
        return workbook(folder / "kaputt.xlsx", rows)
    if fmt == "text":
        path = folder / "kaputt.xlsx"
        path.write_text("Titel;Beginn\nSprachcafé;2024\n", encoding="utf-8")
        return path
    path = csv_file(folder / "kaputt.csv", "measure", rows["measure"])
    if fmt == "mac-roman":
        path.write_bytes(path.read_bytes()[3:].decode("utf-8").encode("mac_roman"))
    return path


@pytest.mark.parametrize(("name", "fmt", "rows", "code", "where", "text"), BROKEN,
                         ids=[b[0] for b in BROKEN])  # fmt: skip
def test_broken_contribution_names_the_cell_and_loads_nothing(
    corpus_store, tmp_path, name, fmt, rows, code, where, text
):
    path = broken_file(tmp_path, fmt, rows)
    proc = run("load", str(path), store=corpus_store[0])
    assert proc.returncode == code, proc.stderr
    if code == 1:
        assert f"[{where}]" in proc.stderr and text in proc.stderr, proc.stderr
        assert "nothing was loaded" in proc.stderr
    else:
        assert f"{where}: {text}" in proc.stderr, proc.stderr


def test_the_broken_corpus_changed_nothing(corpus_store):
    path, before = corpus_store
    assert dump(path) == before


def test_report_as_json_and_in_english(built_store, tmp_path):
    path = workbook(tmp_path / "kaputt.xlsx",
                    {"organisation": [NEW_TOWN | {"district": "Nordpol"}]})  # fmt: skip
    proc = run("validate", str(path), "--format", "json", store=built_store)
    assert proc.returncode == 1
    [finding] = json.loads(proc.stdout)["findings"]
    assert finding["location"] == "Organisationen!H3"
    assert finding["severity"] == "Violation" and finding["path"] == f"{BASE}ontology#inDistrict"
    assert finding["focus"] == f"{BASE}id/organisation/gemeinde-06434998"
    assert finding["message_en"].startswith("Unknown district 'Nordpol'")
    english = run("validate", str(path), "--lang", "en", store=built_store)
    assert "Violation [Organisationen!H3]" in english.stdout


# --- reading cells ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-31", ("2024-01-31", "date")),
        ("31.01.2024", ("2024-01-31", "date")),
        ("1.2.2024", ("2024-02-01", "date")),
        (datetime(2024, 1, 31), ("2024-01-31", "date")),
        ("2024", ("2024", "gYear")),
        (2024, ("2024", "gYear")),
    ],
)
def test_dates(value, expected):
    assert spreadsheet.parse_date(value, years=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.500.000,50", "1500000.50"),
        ("1500000.5", "1500000.5"),
        ("1500000", "1500000"),
        ("1.500", "1500"),
        ("12,5 %", "12.5"),
        ("1,500,000", "1500000"),
        ("1 500 000 €", "1500000"),
        (1500000.5, "1500000.5"),
        (-3, "-3"),
    ],
)
def test_numbers(value, expected):
    assert spreadsheet.parse_decimal(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["1.50.0", "12,5,3", "eins", "1,2.3,4", ""])
def test_malformed_numbers(value):
    with pytest.raises(spreadsheet.ValueProblem):
        spreadsheet.parse_decimal(value)


def test_english_headers_without_field_row_and_windows_1252(published, tmp_path):
    text = (
        "ID,title,title (English),responsible organisation,field of action,start,end,budget\n"
        "beispiel-en,Sprachkurs Groß-Gerau (Beispiel),Course (example),"
        'Landkreis Groß-Gerau,"1, 7",2024,2025,"1,500.50"\n'
    )
    path = tmp_path / "measures.csv"
    path.write_bytes(text.encode("cp1252"))
    source = spreadsheet.to_source(path, published)
    facts = {(q.predicate.value.rsplit("/", 1)[-1], q.object.value) for q in source.prepared}
    assert ("ontology#responsibleOrganisation", f"{BASE}id/organisation/landkreis-06433") in facts
    assert {("subject", f"{BASE}id/field/1"), ("subject", f"{BASE}id/field/7")} <= facts
    assert ("value", "1500.50") in facts
    assert source.cells[(f"{BASE}id/measure/beispiel-en", f"{BASE}ontology#partner")] is not None


def test_a_workbook_made_by_hand_is_read_by_its_headers(published, tmp_path):
    book = Workbook()
    book.active.title = "Anleitung"
    book.active.append(["Hinweise, die nicht gelesen werden"])
    book.create_sheet("Tabelle2")  # empty: skipped
    sheet = book.create_sheet("Tabelle1")
    sheet.append(["Unsere Projekte (Beispiel, erfunden)"])
    sheet.append([])
    sheet.append(["ID", "title", "responsible organisation", "field of action", "start", "end",
                  "budget", "budget year", "region", "status", "programme"])  # fmt: skip
    sheet.append(["Sprachpaten Groß-Gerau", "Sprachpaten (Beispiel)", "06433", 7,
                  datetime(2024, 3, 1), datetime(2024, 12, 31), 1500.5, 2024,
                  "Groß-Gerau", "ongoing", "wir"])  # fmt: skip
    path = tmp_path / "hand.xlsx"
    book.save(path)
    source = spreadsheet.to_source(path, published)
    measure = f"{BASE}id/measure/sprachpaten-gross-gerau"
    facts = {(q.predicate.value, q.object.value) for q in source.prepared}
    assert ("http://schema.org/startDate", "2024-03-01") in facts
    assert ("http://schema.org/value", "1500.5") in facts
    assert (f"{BASE}ontology#status", f"{BASE}id/concept/status/laufend") in facts
    assert (f"{BASE}ontology#fundedBy", f"{BASE}id/measure/wir") in facts
    assert source.cells[(measure, "http://schema.org/startDate")] == "Tabelle1!E4"
    assert source.cells[(measure, None)] == "Tabelle1!A4:K4"


def test_a_zip_of_csv_files_is_one_contribution_like_a_folder(published, tmp_path):
    import zipfile

    archive = tmp_path / "beitrag.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in FILES.values():
            z.write(SHEETS / name, f"beitrag/{name}")
    reference = [from_path(SHEETS / "beispiel-referenz.ttl")]
    zipped = spreadsheet.to_sources([archive], published, also=reference)[0]
    folder = spreadsheet.to_sources([SHEETS], published, also=reference)[0]
    assert len(zipped.prepared) == len(folder.prepared) > 50
    assert zipped.cells[(f"{BASE}id/measure/beispiel-sprachcafe", None)].startswith(
        "beispiel-massnahmen.csv!A3:"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xlsx", b"Titel;Beginn\n", "not an Excel workbook"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0" + bytes(60), "old Excel 97"),
        ("a.xlsx", b"PK\x05\x06" + bytes(18), "not an Excel workbook"),
        ("a.ods", b"PK", ".ods files are not read"),
        ("a.zip", b"no zip", "not a ZIP archive"),
    ],
)
def test_unreadable_files_are_named_with_the_reason(published, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError, match=re.escape(message)) as info:
        spreadsheet.to_source(path, published)
    assert str(info.value).startswith(str(path))


def test_another_base_iri_is_respected():
    base = "http://example.org/hessen/"
    store = spreadsheet.published_store(None, base=base)
    source = spreadsheet.to_source(ROOT / "examples" / "beispiel-massnahmen.csv", store)
    iris = {t.value for q in source.prepared for t in (q.subject, q.predicate, q.object)
            if isinstance(t, ox.NamedNode)}  # fmt: skip
    assert f"{base}id/measure/beispiel-elternlotsen" in iris
    assert f"{base}id/measure/wir" in iris and f"{base}ontology#fundedBy" in iris
    assert not {i for i in iris if i.startswith(BASE)}


def test_utf16_is_refused_with_advice(published, tmp_path):
    path = tmp_path / "massnahmen.csv"
    path.write_bytes("ID;Titel\nx;y\n".encode("utf-16"))
    with pytest.raises(SourceError, match=r"UTF-16.*CSV UTF-8"):
        spreadsheet.to_source(path, published)


def test_column_table_is_documented_and_sectors_match_the_ontology():
    doc = (ROOT / "docs" / "contributing-data.md").read_text("utf-8")
    for column in spreadsheet.COLUMNS:
        assert f"| {column.de} |" in doc, column.de
    ontology = (ROOT / "ontology" / "ikg.ttl").read_text("utf-8")
    for cls, names in spreadsheet.SECTORS:
        assert re.search(rf'ikg:{cls} a owl:Class ;\s+rdfs:label "{names[0]}"@de', ontology)
