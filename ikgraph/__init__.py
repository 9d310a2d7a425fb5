"""ikgraph: the Hessian integration plan as a linked-data knowledge graph.

Importing the package does nothing; see :func:`ikgraph.app.create_app` for the
service and :mod:`ikgraph.cli` for the command line.
"""

__version__ = "0.1.0"
