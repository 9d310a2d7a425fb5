"""``/validate``: check a contribution against the shapes without changing anything.

A contribution arrives as the request body (its ``Content-Type`` says the
format) or as a file of a ``multipart/form-data`` upload (its file name says
the format): RDF in any standard syntax, or a spreadsheet (XLSX, CSV, a ZIP of
CSV files). It goes through the one ingest path with ``dry_run=True``, so the
report is exactly what a write would get, references resolved against the
published data.

The answer is the report: JSON by default, plain text, the SHACL validation
report in Turtle (https://www.w3.org/TR/shacl/#validation-report) or an HTML
page, by ``Accept`` or ``format=``; messages in the language of
``Accept-Language`` (``de`` by default, ``en``) or ``lang=``. The status is
200 whether or not the data conforms (the report's ``conforms`` says); 400 for
input that cannot be parsed (with the parser's message and line), 415 for a
type that is not RDF or a spreadsheet, 413 above ``IKGRAPH_MAX_BODY_BYTES``.

The upload and report helpers here serve the write endpoints too
(:mod:`ikgraph.views.contrib`).
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from ikgraph import spreadsheet
from ikgraph.ingest import ingest
from ikgraph.iris import slugify
from ikgraph.negotiation import HTML, Format, choose
from ikgraph.sources import EXTENSIONS, Source, SourceError
from ikgraph.validation import Report
from ikgraph.views import get_store, local_href

bp = Blueprint("validate", __name__)

#: media types of RDF bodies (https://www.w3.org/2008/01/rdf-media-types)
RDF_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/turtle": ox.RdfFormat.TURTLE,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/xml": ox.RdfFormat.RDF_XML,
    "text/xml": ox.RdfFormat.RDF_XML,
}
#: media types of spreadsheet bodies, with the file extension they are read as
SHEET_TYPES: dict[str, str] = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/csv": ".csv",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
}
_SHEET_SUFFIXES = (".xlsx", ".csv", ".zip")

REPORT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/json", "JSON"),
    Format("text", "text/plain", "Text", names=("txt",)),
    Format("ttl", "text/turtle", "SHACL report (Turtle)", names=("turtle",)),
    HTML,
)
_WORDS = {
    "de": {"Violation": "Verstoß", "Warning": "Warnung", "Info": "Hinweis"},
    "en": {"Violation": "Violation", "Warning": "Warning", "Info": "Info"},
}


class UploadError(Exception):
    """A request body that cannot be taken; ``status`` and the message are the answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """A posted contribution: its bytes, a file name, and what it is."""

    data: bytes
    filename: str
    rdf: ox.RdfFormat | None = None
    sheet: str | None = None  # the extension it is read as: .xlsx, .csv, .zip

    @property
    def stem(self) -> str:
        return slugify(Path(self.filename).stem)


def _accepted() -> str:
    types = sorted(RDF_TYPES) + sorted(SHEET_TYPES) + ["multipart/form-data"]
    extensions = sorted(EXTENSIONS) + list(_SHEET_SUFFIXES)
    return (
        "send RDF or a spreadsheet as one of " + ", ".join(types) + "; or upload a file "
        "(multipart/form-data) named *" + ", *".join(extensions)
    )


def _kind(filename: str, media_type: str) -> tuple[ox.RdfFormat | None, str | None]:
    suffix = Path(filename).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix], None
    if suffix in _SHEET_SUFFIXES:
        return None, suffix
    if media_type in RDF_TYPES:
        return RDF_TYPES[media_type], None
    if media_type in SHEET_TYPES:
        return None, SHEET_TYPES[media_type]
    return None, None


def read_upload(*, stem: str = "contribution") -> Upload:
    """The contribution of this request; a bare body is called ``{stem}.ttl`` (or .csv …).

    :raises UploadError: 415 for an unknown type, 400 for a multipart request without a file.
    """
    if request.mimetype == "multipart/form-data":
        files = [f for f in request.files.values() if f.filename]
        if not files:
            raise UploadError(400, "the form holds no file; send it as file=@NAME.ttl")
        part = files[0]
        filename = Path(part.filename or "").name
        rdf, sheet = _kind(filename, part.mimetype)
        data = part.read()
    else:
        rdf, sheet = _kind("", request.mimetype)
        suffix = next((s for s, f in EXTENSIONS.items() if f == rdf), sheet or "")
        filename = f"{stem}{suffix}"
        data = request.get_data() if (rdf or sheet) else b""
    if rdf is None and sheet is None:
        what = filename if request.mimetype == "multipart/form-data" else request.mimetype
        raise UploadError(415, f"cannot read {what or '(no Content-Type)'!r}: {_accepted()}")
    return Upload(data=data, filename=filename, rdf=rdf, sheet=sheet)


def _clean(text: str | None, tmp: str) -> str | None:
    return text.replace(tmp + "/", "").replace(tmp, "") if text else text


def to_sources(upload: Upload, *, name: str) -> list[Source]:
    """The upload as sources for the graph ``{base}graph/{name}``.

    :raises SourceError: for a file that cannot be read.
    :raises ikgraph.spreadsheet.SpreadsheetError: for a spreadsheet that cannot be
        converted (its findings name the cells).
    """
    if upload.rdf is not None:
        return [Source(name=name, data=upload.data, format=upload.rdf, filename=upload.filename)]
    with tempfile.TemporaryDirectory(prefix="ikgraph-upload-") as tmp:
        stem = re.sub(r"[^\w.-]+", "_", Path(upload.filename).stem) or "contribution"
        path = Path(tmp) / f"{stem}{upload.sheet}"
        path.write_bytes(upload.data)
        try:
            converted = spreadsheet.to_sources([path], get_store())
        except SourceError as exc:
            raise SourceError(upload.filename, _clean(str(exc), str(path)) or "") from None
        except spreadsheet.SpreadsheetError as exc:
            for f in exc.findings:
                for attr in ("source", "location", "detail", "message_de", "message_en"):
                    setattr(f, attr, _clean(getattr(f, attr), tmp))
            raise
    for source in converted:
        source.name = name
        source.filename = upload.filename
    return converted


# --- the report ---------------------------------------------------------------


def language() -> str:
    """``lang=``, else the best of ``Accept-Language``; German by default."""
    asked = request.args.get("lang", "").lower()
    if asked in ("de", "en"):
        return asked
    return request.accept_languages.best_match(["de", "en"], default="de") or "de"


def _rows(report: Report, lang: str) -> list[dict[str, Any]]:
    words = _WORDS[lang]
    return [
        {
            "severity": f.severity,
            "severity_label": words.get(f.severity, f.severity),
            "location": f.location,
            "source": f.source,
            "focus": report.shorten(f.focus) if f.focus else "",
            "focus_iri": f.focus,
            "focus_href": local_href(f.focus) if f.focus.startswith("http") else None,
            "focus_label": f.focus_label,
            "path": report.shorten(f.path) or "",
            "value": f.value,
            "message": f.message(lang),
            "detail": f.detail,
        }
        for f in report.findings
    ]


def answer(
    report: Report | None,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    summary: str = "",
) -> Response:
    """The report in the negotiated format (JSON if nothing offered fits).

    :param extra: members added to the JSON answer (graphs written, versions).
    :param summary: a line for the text and HTML answers (what was written).
    """
    report = report if report is not None else Report()
    lang = language()
    fmt = choose(
        REPORT_FORMATS,
        accept=request.headers.get("Accept"),
        requested=request.args.getlist("format"),
    )
    fmt = fmt or REPORT_FORMATS[0]
    if fmt.key == "text":
        body = report.to_text(lang) + (f"\n{summary}" if summary else "") + "\n"
    elif fmt.key == "ttl":
        body = report.to_turtle()
    elif fmt is HTML:
        body = render_template(
            "validation_report.html",
            report=report,
            rows=_rows(report, lang),
            lang=lang,
            summary=summary,
            base=current_app.config["BASE_IRI"],
        )
    else:
        body = json.dumps(
            json.loads(report.to_json(lang)) | (extra or {}), ensure_ascii=False, indent=2
        )
    response = Response(body, status=status, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    response.headers["Content-Language"] = lang
    return response


def error(status: int, message: str) -> Response:
    return Response(
        message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8"
    )


@bp.errorhandler(UploadError)
def _upload_error(exc: UploadError) -> Response:
    return error(exc.status, str(exc))


@bp.route("/validate", methods=["GET", "POST"])
def validate() -> Response:
    """Validate the posted contribution; GET shows the upload form."""
    if request.method == "GET":
        return _form()
    upload = read_upload()
    asked = request.args.get("graph", "")
    name = slugify(asked.rstrip("/").rsplit("/", 1)[-1]) or upload.stem or "contribution"
    try:
        sources = to_sources(upload, name=name)
        result = ingest(get_store(), sources, contributor="validate", dry_run=True)
    except SourceError as exc:
        return error(400, f"cannot parse the contribution: {exc}")
    except spreadsheet.SpreadsheetError as exc:
        return answer(exc.report())
    return answer(result.report)


def _form() -> Response:
    html = render_template(
        "validation_report.html",
        report=None,
        rows=[],
        lang=language(),
        summary="",
        base=current_app.config["BASE_IRI"],
    )
    response = Response(html, content_type=HTML.content_type)
    response.vary.add("Accept-Language")
    return response
