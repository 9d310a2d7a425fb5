"""rdflib-endpoint (FastAPI over rdflib's SPARQL engine) on a data file, under uvicorn.

Loads the file into an rdflib ``Dataset`` whose default graph is the union of
the named graphs (rdflib-endpoint's own default) and serves it at ``/sparql``
with one uvicorn worker, as ``rdflib-endpoint serve`` does::

    python bench/rdflib_endpoint_server.py bench/data/synthetic-1000-s42.trig --port 5003
"""

import argparse
import logging
import sys
import time

import rdflib
import uvicorn
from rdflib_endpoint import SparqlEndpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="an RDF file (TriG, N-Quads, Turtle …)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5003)
    args = parser.parse_args()
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(args.data, format="trig" if args.data.endswith(".trig") else None)
    seconds = time.perf_counter() - started
    print(f"loaded {len(dataset)} triples in {seconds:.1f} s", file=sys.stderr, flush=True)
    logging.getLogger("rdflib").setLevel(logging.ERROR)
    app = SparqlEndpoint(graph=dataset, path="/sparql", title="bench", cors_enabled=False)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
