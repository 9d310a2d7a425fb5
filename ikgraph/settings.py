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
    #: never printed in clear: ``ikgraph settings`` shows only whether it is set
    secret: bool = False

    def shown(self, value: Any) -> str:
        """``value`` as ``ikgraph settings`` prints it."""
        if self.secret:
            return "********" if value else ""
        return str(value)


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
    Setting("REMOTE_PASSWORD", "", "Password of REMOTE_USER.", secret=True),
    Setting(
        "REMOTE_TIMEOUT",
        60.0,
        "Longest wait, in seconds, for a sparql: store to connect or to answer; then the store "
        "counts as unavailable (the service answers 503).",
        float,
    ),
    Setting(
        "TOKENS_FILE",
        "",
        "JSON file of the contributors who may write, with the SHA-256 of their bearer token and "
        "the graphs they may write (`ikgraph token add`); empty: the service is read-only "
        "(no /update, no PUT/POST/DELETE on /graph-store).",
    ),
    Setting(
        "HISTORY_DIR",
        "",
        "Folder that keeps the content of every version of every graph; empty: beside an "
        "oxigraph:PATH store (PATH-history), in memory for memory:, var/history for sparql:.",
    ),
    Setting(
        "QUERY_WORKERS",
        4,
        "Worker processes that evaluate SPARQL queries of the endpoint, killed when a query "
        "passes its time or memory limit; 0: evaluate in the server process (no hard limits).",
        int,
    ),
    Setting(
        "QUERY_MEMORY_MB",
        1024,
        "Memory a query worker may take for one query beyond holding the store, in MB; a query "
        "that needs more is stopped (503); 0: no cap.",
        int,
    ),
    Setting(
        "WORKER_MEMORY_QUADS",
        250_000,
        "An on-disk store of at most this many quads is copied into the memory of each query "
        "worker (queries several times faster, memory per worker); a larger one is read from "
        "an on-disk checkpoint; 0: always from disk.",
        int,
    ),
    Setting(
        "SERVICE_ALLOWLIST",
        "",
        "SPARQL endpoints (full IRIs, separated by commas) that SERVICE in a query may call; "
        "empty: none, queries make no outbound requests.",
    ),
    Setting(
        "RATE_LIMIT_QUERY",
        "300/minute",
        "Queries a client (IP address) may send to /sparql and /api/queries, as rates "
        "(60/minute;1000/day); past it: 429 with Retry-After; empty: no limit.",
    ),
    Setting(
        "RATE_LIMIT_WRITE",
        "10/minute",
        "Writes and validations a client may send (/update, /graph-store, /validate); empty: no "
        "limit.",
    ),
    Setting(
        "CHANNEL_TIMEOUT",
        30.0,
        "Seconds a connection may stay silent (a slow or stalled client) before the server "
        "closes it.",
        float,
    ),
    Setting(
        "CLEANUP_INTERVAL",
        10.0,
        "Seconds between the server's checks for connections past CHANNEL_TIMEOUT.",
        float,
    ),
    Setting(
        "MAX_HEADER_BYTES",
        65536,
        "Largest request line and headers accepted, in bytes; larger: 431.",
        int,
    ),
    Setting(
        "CONNECTION_LIMIT",
        100,
        "Most client connections the server keeps open at once; more wait to be accepted.",
        int,
    ),
    Setting(
        "PUBLISHER_NAME",
        "Projekt ikgraph – Hessischer Integrationsplan als Wissensgraph",
        "Publisher of the dataset in the DCAT-AP.de catalog (foaf:name) and its contact point.",
    ),
    Setting("PUBLISHER_URL", "", "Home page of the publisher (foaf:homepage); empty: none."),
    Setting(
        "CONTACT_EMAIL",
        "",
        "E-mail address of the catalog's contact point (vcard:hasEmail); empty: none.",
    ),
    Setting(
        "CONTACT_URL",
        "",
        "Contact web page of the catalog's contact point (vcard:hasURL); empty: the service's "
        "home page.",
    ),
    Setting(
        "LICENSE",
        "http://dcat-ap.de/def/licenses/cc-by/4.0",
        "Licence of the data: an IRI of the DCAT-AP.de licence list (dcat-ap.de/def/licenses, "
        "no trailing slash), stated in the catalog and in VoID.",
    ),
    Setting(
        "LICENSE_ATTRIBUTION",
        "ikgraph: Hessischer Integrationsplan als Wissensgraph (Quellen je Aussage in "
        "dcterms:source)",
        "Attribution text the licence asks for (dcatde:licenseAttributionByText).",
    ),
    Setting(
        "DUMPS_DIR",
        "var/dumps",
        "Folder for the dumps of /dumps/, one subfolder per dataset version, written when the "
        "data changes; older versions are removed.",
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
