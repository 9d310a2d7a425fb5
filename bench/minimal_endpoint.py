"""The smallest useful Flask + pyoxigraph SPARQL endpoint, as a yardstick.

GET /sparql?query=… answers SELECT/ASK in SPARQL JSON and CONSTRUCT/DESCRIBE
in Turtle, over the union of all named graphs. No limits, no cache, no
negotiation: what the framework and the engine cost, nothing else. Served by
waitress with the same thread count as ``ikgraph serve``::

    python bench/minimal_endpoint.py STORE_PATH --port 5002 --threads 8
"""

import argparse

import pyoxigraph as ox
from flask import Flask, Response, request
from waitress import serve


def create_app(store: ox.Store) -> Flask:
    app = Flask(__name__)

    @app.get("/sparql")
    def sparql() -> Response:
        result = store.query(request.args["query"], use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            body = ox.serialize(result, format=ox.RdfFormat.TURTLE)
            return Response(body, content_type="text/turtle")
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, content_type="application/sparql-results+json")

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", help="path of an Oxigraph store")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    serve(create_app(ox.Store(args.store)), host=args.host, port=args.port, threads=args.threads)
