"""The service's blueprints, one per concern, and the helpers they share.

Views reach the store and the answer cache through :func:`get_store` and
:func:`get_cache`; they never import a backend. :func:`public_url` and
:func:`local_href` map between the base IRI and this service's URL space
(``{base}id/measure/x`` ↔ ``/id/measure/x``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request

from ikgraph.cache import ResultCache
from ikgraph.store import Store


@dataclass
class Services:
    """What the app owns and the views use, kept in ``app.extensions["ikgraph"]``."""

    store: Store
    cache: ResultCache
    owns_store: bool = True


def services() -> Services:
    return current_app.extensions["ikgraph"]


def get_store() -> Store:
    """The store of the current app."""
    return services().store


def get_cache() -> ResultCache:
    """The answer cache of the current app."""
    return services().cache


def public_url(path: str) -> str:
    """The absolute URL of ``path`` (``/sparql``) as clients should see it.

    ``IKGRAPH_PUBLIC_URL`` if set, else the URL of the current request.
    """
    root = current_app.config.get("PUBLIC_URL") or request.host_url + request.script_root.lstrip(
        "/"
    )
    return root.rstrip("/") + "/" + path.lstrip("/")


def local_href(iri: str) -> str:
    """A link for ``iri``: IRIs under the base go to this service's pages."""
    base = current_app.config["BASE_IRI"]
    if iri.startswith(base):
        return request.script_root + "/" + iri[len(base) :]
    return iri
