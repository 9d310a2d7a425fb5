"""The Flask application factory.

``create_app(config)`` layers the settings (defaults in code, then
``IKGRAPH_*`` environment variables, then ``config``), opens the store named
by ``STORE`` and registers one blueprint per concern. Nothing happens at
import. The app owns a store it opened and closes it when the app is
garbage-collected or the interpreter exits; a store passed in as
``config["STORE_OBJECT"]`` stays the caller's to close.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import RequestEntityTooLarge

from ikgraph import limits, settings, workers
from ikgraph.cache import ResultCache
from ikgraph.store import Store, StoreError, StoreUnavailable, open_store
from ikgraph.views import Services


def _open_store(app: Flask, values: Mapping[str, Any]) -> Store:
    """The configured store; a remote one that does not answer yet is opened all the
    same, and the service answers 503 until it is back."""
    spec, base = values["STORE"], values["BASE_IRI"]
    try:
        return open_store(spec, base=base, settings=values)
    except StoreUnavailable as exc:
        app.logger.warning("%s; answering 503 until it is back", exc)
        return open_store(spec, base=base, settings=values, check=False)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the service.

    :param config: settings by name (``{"STORE": "memory:"}``), and optionally
        ``STORE_OBJECT``, an open :class:`~ikgraph.store.Store` to serve.
    :raises ikgraph.store.StoreError: if the store cannot be opened (a remote store
        that is only unavailable is opened: the service answers 503 until it is back).
    :raises ValueError: if a setting has a value of the wrong type (the
        message names it).
    """
    overrides = dict(config or {})
    given: Store | None = overrides.pop("STORE_OBJECT", None)
    values = settings.load(overrides)

    app = Flask(__name__)
    app.config.from_mapping(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_BODY_BYTES"]

    store = given if given is not None else _open_store(app, values)
    app.extensions["ikgraph"] = Services(
        store=store, cache=ResultCache(values["CACHE_BYTES"]), owns_store=given is None
    )
    if given is None:
        weakref.finalize(app, store.close)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> Response:
        return Response(
            limits.body_too_large(values["MAX_BODY_BYTES"]) + "\n",
            status=413,
            content_type="text/plain; charset=utf-8",
        )

    from ikgraph.views import catalog, contrib, queries, resources, sparql, targets, ui, validate

    app.register_blueprint(sparql.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(validate.bp)
    app.register_blueprint(targets.bp)
    app.register_blueprint(queries.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(catalog.bp)
    contrib.init_app(app)  # writes only when IKGRAPH_TOKENS_FILE is set

    def _store_unavailable(exc: StoreUnavailable) -> Response:
        return Response(f"{exc}\n", status=503, content_type="text/plain; charset=utf-8")

    def _store_failed(exc: StoreError) -> Response:  # a remote store refused or cut an answer
        return Response(f"{exc}\n", status=502, content_type="text/plain; charset=utf-8")

    app.register_error_handler(StoreUnavailable, _store_unavailable)
    app.register_error_handler(StoreError, _store_failed)
    workers.init_app(app, store, enabled=given is None or "QUERY_WORKERS" in overrides)
    limits.init_rate_limits(app)
    return app
