"""Settings: one declared table, read from ``IKGRAPH_*`` environment variables.

Every setting has a name, a default, a type and a help text. ``ikgraph settings``
prints the table and a test keeps it in step with the README. Defaults live in
code; the environment overrides them; an explicit mapping (tests, the app
factory's ``config``) overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_BASE_IRI = "https://w3id.org/ikg/"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("BASE_IRI", DEFAULT_BASE_IRI, "Base IRI of all resources, graphs and terms."),
    Setting(
        "PUBLIC_URL",
        "",
        "Public URL of the service that stands for BASE_IRI; empty: the URL of each request.",
    ),
    Setting(
        "STORE",
        "oxigraph:var/store",
        "Store to use: oxigraph:PATH (on disk), memory: (in memory) or "
        "sparql:QUERY_URL[,UPDATE_URL] (a remote SPARQL 1.1 store).",
    ),
    Setting("DATA_DIR", "data", "Folder whose files `ikgraph build` loads, one graph per file."),
    Setting("CONTRIBUTOR", "maintainer", "Contributor recorded in provenance for CLI loads."),
    Setting("HOST", "127.0.0.1", "Address `ikgraph serve` listens on."),
    Setting("PORT", 5000, "Port `ikgraph serve` listens on.", int),
    Setting("THREADS", 8, "Worker threads of the WSGI server.", int),
    Setting(
        "QUERY_TIMEOUT",
        30.0,
        "Longest a SPARQL query may run, in seconds; a request may lower it (timeout=).",
        float,
    ),
    Setting(
        "MAX_ROWS",
        10000,
        "Most result rows (or triples) a query answer carries; the rest is cut and marked.",
        int,
    ),
    Setting("MAX_BODY_BYTES", 10 * 1024 * 1024, "Largest request body accepted, in bytes.", int),
    Setting(
        "CACHE_BYTES",
        64 * 1024 * 1024,
        "Memory for cached query answers, in bytes (least recently used go first); 0: no cache.",
        int,
    ),
    Setting("QUERIES_DIR", "queries", "Folder of the curated SPARQL queries (.rq) and examples."),
    Setting(
        "REMOTE_USER",
        "",
        "User for a sparql: store that needs one (HTTP digest or basic authentication, as the "
        "server asks; Virtuoso: its /sparql-auth endpoint).",
    ),
    Setting("REMOTE_PASSWORD", "", "Password of REMOTE_USER."),
    Setting(
        "REMOTE_TIMEOUT",
        60.0,
        "Longest wait, in seconds, for a sparql: store to connect or to answer; then the store "
        "counts as unavailable (the service answers 503).",
        float,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _convert(setting: Setting, value: Any) -> Any:
    if setting.type is str or isinstance(value, setting.type):
        return value
    try:
        return setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"setting IKGRAPH_{setting.name}: {value!r} is not a valid {setting.type.__name__}"
        ) from exc


def load(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return all settings: defaults, then ``IKGRAPH_*`` variables, then ``overrides``.

    :raises ValueError: if a value cannot be converted to its declared type; the
        message names the setting.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if f"IKGRAPH_{setting.name}" in env:
            value = env[f"IKGRAPH_{setting.name}"]
        values[setting.name] = _convert(setting, value)
    for name, value in (overrides or {}).items():
        key = name.removeprefix("IKGRAPH_")
        values[key] = _convert(_BY_NAME[key], value) if key in _BY_NAME else value
    if not values["BASE_IRI"].endswith("/"):
        values["BASE_IRI"] += "/"
    return values


def markdown_table() -> str:
    """The settings as the Markdown table the README carries."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `IKGRAPH_{s.name}` | `{s.default}` | {s.help} |")
    return "\n".join(rows)
