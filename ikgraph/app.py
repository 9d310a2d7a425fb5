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

from ikgraph import limits, settings
from ikgraph.cache import ResultCache
from ikgraph.store import Store, open_store
from ikgraph.views import Services


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the service.

    :param config: settings by name (``{"STORE": "memory:"}``), and optionally
        ``STORE_OBJECT``, an open :class:`~ikgraph.store.Store` to serve.
    :raises ikgraph.store.StoreError: if the store cannot be opened.
    :raises ValueError: if a setting has a value of the wrong type (the
        message names it).
    """
    overrides = dict(config or {})
    given: Store | None = overrides.pop("STORE_OBJECT", None)
    values = settings.load(overrides)

    app = Flask(__name__)
    app.config.from_mapping(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_BODY_BYTES"]

    store = given if given is not None else open_store(values["STORE"], base=values["BASE_IRI"])
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

    from ikgraph.views import sparql, ui

    app.register_blueprint(sparql.bp)
    app.register_blueprint(ui.bp)
    return app
