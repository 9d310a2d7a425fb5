"""The ``ikgraph`` command line (click).

Exit codes: 0 success (or: the data conforms), 1 the data has violations,
2 usage error, unreadable or unparsable input, or an unavailable store.
Every command uses the store named by ``--store`` / ``IKGRAPH_STORE``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
import pyoxigraph as ox

from ikgraph import history, spreadsheet, tokens
from ikgraph import settings as settings_mod
from ikgraph.ingest import IngestResult, ingest
from ikgraph.model import DATA_DIR, ONTOLOGY_DIR
from ikgraph.sources import Source, SourceError, from_path
from ikgraph.store import Store, StoreError, open_store

EXPORT_FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
_DATASET_FORMATS = {"nq", "trig"}


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"ikgraph: {message}", err=True)
    sys.exit(code)


class Context:
    def __init__(self, store_spec: str | None, base: str | None):
        overrides = {k: v for k, v in {"STORE": store_spec, "BASE_IRI": base}.items() if v}
        try:
            self.settings = settings_mod.load(overrides)
        except ValueError as exc:
            _fail(str(exc))
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = open_store(
                    self.settings["STORE"], base=self.settings["BASE_IRI"], settings=self.settings
                )
            except StoreError as exc:
                _fail(str(exc))
            if self.settings["HISTORY_DIR"]:
                history.attach(self._store, self.settings["HISTORY_DIR"])
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class _Group(click.Group):
    """Commands whose store fails midway (a remote store went down) exit 2 with the message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            _fail(str(exc))


@click.group(cls=_Group)
@click.option("--store", "store_spec", help="Store to use (overrides IKGRAPH_STORE).")
@click.option("--base", help="Base IRI (overrides IKGRAPH_BASE_IRI).")
@click.version_option(package_name="ikgraph")
@click.pass_context
def main(ctx: click.Context, store_spec: str | None, base: str | None) -> None:
    """ikgraph: the Hessian integration plan as a linked-data knowledge graph."""
    obj = Context(store_spec, base)
    ctx.obj = obj
    ctx.call_on_close(obj.close)


def _read_sources(paths: tuple[str, ...], *, lang: str = "de", fmt: str = "") -> list[Source]:
    """RDF files as they are; spreadsheets converted, references resolved in the store.

    A spreadsheet that cannot be converted ends the command with its report
    (exit 1): on stdout in ``fmt`` for ``validate``, on stderr for ``load``.
    """
    files = spreadsheet.expand_paths(Path(p) for p in paths)
    if not files:
        _fail("no RDF files or spreadsheets found in " + ", ".join(paths))
    try:
        read = {f: from_path(f) for f in files if not spreadsheet.handles(f)}
        sheets = [f for f in files if spreadsheet.handles(f)]
        if sheets:
            store = click.get_current_context().find_object(Context).store
            converted = spreadsheet.to_sources(sheets, store, also=list(read.values()))
            read.update(zip(sheets, converted, strict=True))
        return [read[f] for f in files]
    except SourceError as exc:
        _fail(str(exc))
    except spreadsheet.SpreadsheetError as exc:
        report = exc.report()
        if fmt:
            _echo_report(report, fmt, lang)
            sys.exit(1)
        click.echo(report.to_text(lang), err=True)
        _fail("nothing was loaded: the spreadsheet has errors (see the report above)", 1)
    return []


def _run_ingest(obj: Context, sources: list[Source], *, dry_run: bool) -> IngestResult:
    try:
        return ingest(
            obj.store,
            sources,
            contributor=obj.settings["CONTRIBUTOR"],
            dry_run=dry_run,
            on_validated=lambda n: click.echo(f"valid: writing {n} triples …", err=True),
        )
    except SourceError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


def _report_written(result: IngestResult, lang: str) -> None:
    if result.report.findings:
        click.echo(result.report.to_text(lang), err=True)
    if not result.accepted:
        _fail("nothing was loaded: the data has violations (see the report above)", 1)
    for graph, count in sorted(result.graphs.items()):
        click.echo(f"loaded {count:>7} triples into <{graph}>")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option(
    "--bulk",
    is_flag=True,
    help="Load large trusted dumps (N-Quads, TriG, Turtle, N-Triples; millions of triples) "
    "fast, WITHOUT SHACL validation: for restores and exports you trust. Each graph is "
    "still replaced at once; progress goes to stderr.",
)
@click.pass_obj
def load(obj: Context, paths: tuple[str, ...], lang: str, bulk: bool) -> None:
    """Validate files (or folders of files) and load each into its own named graph.

    All files are validated together; if any has a violation nothing is loaded.
    """
    if bulk:
        from ikgraph.bulk import bulk_load

        try:
            done = bulk_load(
                obj.store,
                [Path(p) for p in paths],
                contributor=obj.settings["CONTRIBUTOR"],
            )
        except SourceError as exc:
            _fail(str(exc))
        for graph, count in sorted(done.graphs.items()):
            click.echo(f"loaded {count:>7} triples into <{graph}>")
        return
    result = _run_ingest(obj, _read_sources(paths, lang=lang), dry_run=False)
    _report_written(result, lang)


@main.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), help="Folder of data files.")
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing if the store already holds graphs.")
@click.pass_obj
def build(obj: Context, data_dir: str | None, lang: str, if_empty: bool) -> None:
    """Load the ontology and every file of the data folder (validated), replacing their graphs."""
    if if_empty and obj.store.graphs():
        click.echo(f"{obj.settings['STORE']} already holds data; not rebuilding", err=True)
        return
    folder = Path(data_dir or obj.settings["DATA_DIR"])
    if not folder.is_absolute() and not folder.exists():
        folder = DATA_DIR
    ontology = _read_sources((str(ONTOLOGY_DIR),))
    for source in ontology:  # the ontology's graph is {base}graph/ontology
        source.name = "ontology" if len(ontology) == 1 else f"ontology-{source.name}"
    sources = ontology + _read_sources((str(folder),))
    click.echo(f"building the store {obj.settings['STORE']} from {folder} …", err=True)
    result = _run_ingest(obj, sources, dry_run=False)
    _report_written(result, lang)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "turtle"]),
    default="text",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option(
    "--no-store",
    is_flag=True,
    help="Do not look up references in the store; check them within the given files only.",
)
@click.pass_obj
def validate(obj: Context, paths: tuple[str, ...], fmt: str, lang: str, no_store: bool) -> None:
    """Validate files against the shapes without changing anything.

    References to published resources are checked against the store.
    Exit 0: conforms (warnings allowed); 1: violations; 2: unreadable input.
    """
    if no_store:
        obj.settings["STORE"] = "memory:"
    sources = _read_sources(paths, lang=lang, fmt=fmt)
    result = _run_ingest(obj, sources, dry_run=True)
    report = result.report
    _echo_report(report, fmt, lang)
    sys.exit(0 if report.conforms else 1)


def _echo_report(report, fmt: str, lang: str) -> None:
    if fmt == "json":
        click.echo(report.to_json(lang))
    elif fmt == "turtle":
        click.echo(report.to_turtle())
    else:
        click.echo(report.to_text(lang))


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    help="File (xlsx) or folder (csv) to write; default ikgraph-vorlage.xlsx or ikgraph-vorlage/.",
)
@click.pass_obj
def template(obj: Context, fmt: str, output: str | None) -> None:
    """Write an empty contribution template, with instructions and drop-down lists.

    The lists (fields of action, status, sectors, districts …) come from the
    store when it holds the published data, else from ontology/ and data/.
    """
    path = Path(output or ("ikgraph-vorlage.xlsx" if fmt == "xlsx" else "ikgraph-vorlage"))
    scheme, _, where = obj.settings["STORE"].partition(":")
    store = None
    if scheme != "oxigraph" or Path(where).exists():
        try:
            store = open_store(
                obj.settings["STORE"], base=obj.settings["BASE_IRI"], settings=obj.settings
            )
        except StoreError as exc:
            click.echo(f"ikgraph: {exc}; using the lists in data/", err=True)
    try:
        written = spreadsheet.write_template(path, fmt=fmt, store=store)
    except FileExistsError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    finally:
        if store is not None:
            store.close()
    for file in written:
        click.echo(f"wrote {file}", err=True)


def _cell(term) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def _named_query(
    obj: Context, named: str | None, params: tuple[str, ...], list_queries: bool
) -> tuple[str, dict]:
    """The text and bound parameters of a curated query (``--named``), or the list (``--list``)."""
    from ikgraph import querycatalog
    from ikgraph.model import ROOT

    folder = Path(obj.settings["QUERIES_DIR"])
    if not folder.is_absolute() and not folder.is_dir():
        folder = ROOT / "queries"
    catalog = querycatalog.load(folder, base=obj.settings["BASE_IRI"])
    for problem in catalog.errors.values():
        click.echo(f"ikgraph: left out: {problem}", err=True)
    if list_queries:
        for q in catalog:
            args = " ".join(
                f"{p.name}={p.type_text}" + ("" if p.required else "?") for p in q.parameters
            )
            click.echo(f"{q.name}\t{q.title('en')}\t{args}")
        sys.exit(0)
    found = catalog.get(named or "")
    if found is None:
        _fail(f"no query named {named!r}; `ikgraph query --list` lists them")
    values: dict[str, list[str]] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            _fail(f"--param {item!r}: write NAME=VALUE")
        values.setdefault(key, []).append(value)
    try:
        return found.text, found.bind(values, store=obj.store)
    except querycatalog.ParameterError as exc:
        _fail(str(exc))
    raise AssertionError("unreachable")


@main.command()
@click.argument("sparql", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option("--named", help="Run the curated query NAME of the catalogue (queries/).")
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter of --named."
)
@click.option("--list", "list_queries", is_flag=True, help="List the curated queries.")
@click.pass_obj
def query(
    obj: Context,
    sparql: str | None,
    fmt: str,
    named: str | None,
    params: tuple[str, ...],
    list_queries: bool,
) -> None:
    """Run a SPARQL query (text, or @FILE) on the store; the default graph is the union.

    With --named NAME run a curated query instead, its parameters given as --param NAME=VALUE.
    """
    substitutions = None
    if named or list_queries:
        if sparql is not None:
            _fail("give either a SPARQL query or --named/--list, not both")
        sparql, substitutions = _named_query(obj, named, params, list_queries)
    elif sparql is None or params:
        _fail("give a SPARQL query, or --named NAME (with --param NAME=VALUE), or --list")
    elif sparql.startswith("@"):
        try:
            sparql = Path(sparql[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            _fail(f"{sparql[1:]}: {exc.strerror}")
    try:
        result = obj.store.query(sparql, substitutions=substitutions)
    except SyntaxError as exc:
        _fail(f"malformed query: {exc}")
    if isinstance(result, ox.QueryBoolean):
        click.echo(
            json.dumps({"boolean": bool(result)}) if fmt == "json" else str(bool(result)).lower()
        )
        return
    if isinstance(result, ox.QueryTriples):
        out = result.serialize(format=ox.RdfFormat.TURTLE)
        click.echo(out.decode("utf-8") if out else "")
        return
    variables = [v.value for v in result.variables]
    if fmt == "json":
        click.echo(result.serialize(format=ox.QueryResultsFormat.JSON).decode("utf-8"))
        return
    rows = [[_cell(sol[v]) for v in variables] for sol in result]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
        return
    widths = [min(60, max([len(v)] + [len(r[i]) for r in rows])) for i, v in enumerate(variables)]
    click.echo("  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)))
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c[:w].ljust(w) for c, w in zip(r, widths, strict=True)))
    click.echo(f"({len(rows)} rows)", err=True)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), default="trig", show_default=True
)
@click.option("--graph", help="Export one named graph only (graph formats).")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@click.pass_obj
def export(obj: Context, fmt: str, graph: str | None, output: str | None) -> None:
    """Export the dataset (N-Quads, TriG) or the union of all graphs (ttl, nt, jsonld)."""
    store = obj.store
    rdf_format = EXPORT_FORMATS[fmt]
    if graph is not None:
        data = store.dump(
            None, rdf_format if fmt not in _DATASET_FORMATS else ox.RdfFormat.TURTLE, graph=graph
        )
    elif fmt in _DATASET_FORMATS:
        data = store.dump(None, rdf_format)
    else:
        triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        data = triples.serialize(format=rdf_format)
    data = data or b""
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {len(data)} bytes to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


@main.command()
@click.pass_obj
def stats(obj: Context) -> None:
    """Triples per named graph and entities per class."""
    store = obj.store
    click.echo("graph\ttriples")
    total = 0
    for row in store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    ):
        total += int(row["n"].value)
        click.echo(f"{row['g'].value}\t{row['n'].value}")
    click.echo(f"(total)\t{total}")
    click.echo("\nclass\tentities")
    for row in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c"
    ):
        click.echo(f"{row['c'].value}\t{row['n'].value}")


@main.command("settings")
@click.option("--markdown", is_flag=True, help="Print the defaults as the README's Markdown table.")
@click.pass_obj
def show_settings(obj: Context, markdown: bool) -> None:
    """Print every setting: environment variable, current value, default and help."""
    if markdown:
        click.echo(settings_mod.markdown_table())
        return
    for setting in settings_mod.SETTINGS:
        click.echo(f"IKGRAPH_{setting.name}={setting.shown(obj.settings[setting.name])}")
        click.echo(f"    {setting.help} (default: {setting.default!r})")


@main.command()
@click.option("--host", help="Address to listen on (IKGRAPH_HOST).")
@click.option("--port", type=int, help="Port (IKGRAPH_PORT).")
@click.option("--threads", type=int, help="Worker threads (IKGRAPH_THREADS).")
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the graph over HTTP with a production WSGI server."""
    from ikgraph.app import create_app
    from ikgraph.server import banner, run

    cfg = dict(obj.settings)
    cfg.update({k: v for k, v in {"HOST": host, "PORT": port, "THREADS": threads}.items() if v})
    try:
        app = create_app(cfg)
    except (StoreError, ValueError) as exc:
        _fail(str(exc))
    click.echo(banner(cfg), err=True)
    run(app, host=cfg["HOST"], port=cfg["PORT"], threads=cfg["THREADS"])


@main.group()
def token() -> None:
    """Contributors' tokens for writing through the service (IKGRAPH_TOKENS_FILE)."""


def _tokens_file(obj: Context) -> Path:
    if not obj.settings["TOKENS_FILE"]:
        _fail("set IKGRAPH_TOKENS_FILE to the file that keeps the tokens (e.g. var/tokens.json)")
    return Path(obj.settings["TOKENS_FILE"])


@token.command("add")
@click.argument("name")
@click.argument("more", nargs=-1)
@click.option(
    "--graphs",
    "patterns",
    multiple=True,
    required=True,
    help="Graph names NAME may write (after {base}graph/), shell patterns: 'kreis-offenbach*'.",
)
@click.pass_obj
def token_add(obj: Context, name: str, more: tuple[str, ...], patterns: tuple[str, ...]) -> None:
    """Give NAME a fresh token for the graphs --graphs PATTERN… and print it, once.

    The file keeps only the token's SHA-256; a token NAME had before stops working.
    """
    path = _tokens_file(obj)
    try:
        secret = tokens.add(path, name, [*patterns, *more])
    except tokens.TokenFileError as exc:
        _fail(str(exc))
    click.echo(f"token of {name} for {', '.join([*patterns, *more])}; shown only now:", err=True)
    click.echo(secret)


@token.command("list")
@click.pass_obj
def token_list(obj: Context) -> None:
    """The contributors and the graphs each may write."""
    try:
        entries = tokens.read(_tokens_file(obj))
    except tokens.TokenFileError as exc:
        _fail(str(exc))
    for name, entry in sorted(entries.items()):
        click.echo(f"{name}\t{' '.join(entry['graphs'])}")


@token.command("remove")
@click.argument("name")
@click.pass_obj
def token_remove(obj: Context, name: str) -> None:
    """Withdraw NAME's token."""
    try:
        if not tokens.remove(_tokens_file(obj), name):
            _fail(f"no contributor {name!r} in {obj.settings['TOKENS_FILE']}")
    except tokens.TokenFileError as exc:
        _fail(str(exc))


@main.command("history")
@click.argument("graph")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def show_history(obj: Context, graph: str, fmt: str) -> None:
    """The versions of GRAPH (a name or an IRI): when, who, which file, what changed."""
    iri = history.graph_name(obj.settings["BASE_IRI"], graph)
    found = history.versions(obj.store, iri)
    if not found:
        _fail(f"<{iri}> has no recorded versions")
    if fmt == "json":
        from dataclasses import asdict

        click.echo(json.dumps([asdict(v) for v in found], ensure_ascii=False, indent=2))
        return
    click.echo(f"<{iri}>")
    for v in found:
        change = "removed" if v.deleted else f"+{v.added or 0} -{v.removed or 0}"
        if v.added is None and not v.deleted:
            change = "(written outside ikgraph's ingest)"
        click.echo(
            f"{v.number:>4}  {v.time or '-':<27}  {v.contributor or '-':<16}  "
            f"{v.triples:>7} triples  {change:<16}  {v.source or ''}"
        )


@main.command()
@click.argument("graph")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.pass_obj
def diff(obj: Context, graph: str, old: int, new: int) -> None:
    """The triples version NEW of GRAPH lost (-) and gained (+) against version OLD."""
    iri = history.graph_name(obj.settings["BASE_IRI"], graph)
    try:
        removed, added = history.diff(obj.store, iri, old, new)
    except history.HistoryError as exc:
        _fail(str(exc))
    for line in removed:
        click.echo(f"- {line}")
    for line in added:
        click.echo(f"+ {line}")
    click.echo(f"{len(removed)} removed, {len(added)} added", err=True)


@main.command()
@click.argument("graph")
@click.argument("number", type=int)
@click.option("--lang", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.pass_obj
def rollback(obj: Context, graph: str, number: int, lang: str) -> None:
    """Write version NUMBER of GRAPH again, as a new version (validated like any load)."""
    iri = history.graph_name(obj.settings["BASE_IRI"], graph)
    try:
        result = history.rollback(obj.store, iri, number, contributor=obj.settings["CONTRIBUTOR"])
    except (history.HistoryError, SourceError) as exc:
        _fail(str(exc))
    if isinstance(result, history.Removed):
        now = result.versions[iri]
        click.echo(f"removed <{iri}>, as it was in version {number} (now version {now})")
        return
    _report_written(result, lang)
    click.echo(f"<{iri}> is at version {number} again, as version {result.versions[iri]}")
