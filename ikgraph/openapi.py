"""The OpenAPI 3.1 description of the query API, generated from the catalogue.

`OpenAPI 3.1 <https://spec.openapis.org/oas/v3.1.0>`_: one path per curated
query (``/api/queries/{name}``), its parameters with the JSON Schema type,
format, enum, default and example its ``.rq`` header declares, and the media
types it answers in. Nothing here knows Flask: the service passes the
catalogue, its URL and the formats it offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from typing import Any

from ikgraph.negotiation import Format
from ikgraph.querycatalog import MAX_VALUE_CHARS, Catalog, NamedQuery, Parameter

#: JSON Schema of a parameter by catalogue type.
_SCHEMAS: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "format": "iri", "pattern": "^https?://", "maxLength": 2048},
    "string": {"type": "string", "maxLength": MAX_VALUE_CHARS},
    "integer": {"type": "integer", "minimum": -(10**18) + 1, "maximum": 10**18 - 1},
    "date": {"type": "string", "format": "date"},
    "language": {"type": "string", "pattern": "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"},
}

_TYPE_NOTES = {
    "iri": "An absolute http(s) IRI.",
    "string": "Text, matched as an xsd:string literal.",
    "integer": "An integer, bound as xsd:integer.",
    "date": "A date YYYY-MM-DD, bound as xsd:date.",
    "language": "A BCP 47 language tag such as de or en-GB.",
}

_CELL = {"type": ["string", "number", "integer", "boolean", "null"]}

_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["status", "error"],
            "properties": {
                "status": {"type": "integer"},
                "error": {"type": "string"},
                "parameter": {"type": "string", "description": "The parameter at fault."},
            },
        },
        "SparqlResults": {
            "description": "SPARQL 1.1 Query Results JSON "
            "(https://www.w3.org/TR/sparql11-results-json/), with a truncated flag.",
            "type": "object",
            "required": ["head"],
            "properties": {
                "head": {"type": "object"},
                "results": {"type": "object"},
                "boolean": {"type": "boolean"},
                "truncated": {"type": "boolean"},
            },
        },
        "Parameter": {
            "type": "object",
            "required": ["name", "type", "required"],
            "properties": {
                "name": {"type": "string"},
                "type": {
                    "type": "string",
                    "enum": ["iri", "string", "integer", "date", "language"],
                },
                "class": {"type": "string"},
                "required": {"type": "boolean"},
                "default": {"type": "string"},
                "example": {"type": "string"},
                "enum": {"type": "array", "items": {"type": "string"}},
                "description": {"type": "string"},
            },
        },
        "Query": {
            "type": "object",
            "required": ["name", "title", "form", "parameters", "url"],
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "object", "additionalProperties": {"type": "string"}},
                "description": {"type": "object", "additionalProperties": {"type": "string"}},
                "form": {"type": "string", "enum": ["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"]},
                "variables": {"type": "array", "items": {"type": "string"}},
                "parameters": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Parameter"},
                },
                "query": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "editor": {"type": "string", "format": "uri"},
            },
        },
    },
    "parameters": {
        "timeout": {
            "name": "timeout",
            "in": "query",
            "required": False,
            "description": "Lower the time limit (seconds); it cannot be raised above "
            "IKGRAPH_QUERY_TIMEOUT.",
            "schema": {"type": "number", "exclusiveMinimum": 0},
        },
        "maxRows": {
            "name": "max-rows",
            "in": "query",
            "required": False,
            "description": "Lower the row limit; it cannot be raised above IKGRAPH_MAX_ROWS.",
            "schema": {"type": "integer", "minimum": 1},
        },
    },
    "headers": {
        "Truncated": {
            "description": "true if the answer was cut at the row limit (IKGRAPH_MAX_ROWS).",
            "schema": {"type": "string", "enum": ["true", "false"]},
        }
    },
    "responses": {
        "BadRequest": {
            "description": "A parameter is unknown, missing or of the wrong type (the answer "
            "names it), or a limit parameter is not a positive number.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "NotAcceptable": {
            "description": "No offered format fits the Accept header or format=.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
        "Unavailable": {
            "description": "The query ran past its time limit, or the store is unavailable.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    },
}


def parameter_schema(param: Parameter) -> dict[str, Any]:
    """The JSON Schema of one parameter."""
    schema = dict(_SCHEMAS[param.type])
    if param.enum:
        schema["enum"] = list(param.enum)
    if param.default is not None:
        schema["default"] = int(param.default) if param.type == "integer" else param.default
    return schema


def _parameter(param: Parameter) -> dict[str, Any]:
    notes = [param.description, _TYPE_NOTES[param.type]]
    if param.cls:
        notes.append(f"It must name a resource of class <{param.cls}> (else 400).")
    if not param.required and param.default is None:
        notes.append("Empty or absent: no restriction.")
    out: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": " ".join(n for n in notes if n),
        "schema": parameter_schema(param),
    }
    if param.example is not None:
        out["example"] = int(param.example) if param.type == "integer" else param.example
    return out


def _content(query: NamedQuery, formats: Sequence[Format]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for fmt in formats:
        if fmt.media_type == "application/json" and query.form == "SELECT":
            row = {"type": "object", "properties": {v: _CELL for v in query.variables}}
            schema: dict[str, Any] = {"type": "array", "items": row}
        elif fmt.media_type == "application/json":
            schema = {"type": "object", "properties": {"boolean": {"type": "boolean"}}}
        elif fmt.media_type == "application/sparql-results+json":
            schema = {"$ref": "#/components/schemas/SparqlResults"}
        elif fmt.media_type == "application/ld+json":
            schema = {"type": "array", "items": {"type": "object"}}
        else:
            schema = {"type": "string"}
        content[fmt.media_type] = {"schema": schema}
    return content


def operation(query: NamedQuery, formats: Sequence[Format]) -> dict[str, Any]:
    """The ``get`` operation of one query's path."""
    description = "\n\n".join(
        d for d in (query.description("en"), query.description("de"), _form_note(query)) if d
    )
    format_param = {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "Answer format; overrides the Accept header.",
        "schema": {"type": "string", "enum": [f.key for f in formats]},
    }
    return {
        "operationId": "run_" + query.name.replace("-", "_"),
        "tags": ["queries"],
        "summary": query.title("en"),
        "description": description,
        "parameters": [
            *(_parameter(p) for p in query.parameters),
            format_param,
            {"$ref": "#/components/parameters/timeout"},
            {"$ref": "#/components/parameters/maxRows"},
        ],
        "responses": {
            "200": {
                "description": f"The answer ({query.title('en')}).",
                "headers": {"X-Ikgraph-Truncated": {"$ref": "#/components/headers/Truncated"}},
                "content": _content(query, formats),
            },
            "400": {"$ref": "#/components/responses/BadRequest"},
            "406": {"$ref": "#/components/responses/NotAcceptable"},
            "503": {"$ref": "#/components/responses/Unavailable"},
        },
    }


def _form_note(query: NamedQuery) -> str:
    if query.form in ("CONSTRUCT", "DESCRIBE"):
        return "Answers an RDF graph (a CONSTRUCT query)."
    names = ", ".join(query.variables)
    return f"Answers one row per solution with the columns {names}." if names else ""


def _version() -> str:
    try:
        return metadata.version("ikgraph")
    except metadata.PackageNotFoundError:
        return "0"


def document(
    catalog: Catalog,
    *,
    server_url: str,
    select_formats: Sequence[Format],
    graph_formats: Sequence[Format],
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the query API.

    :param server_url: where the service is reached (``http://127.0.0.1:5000``).
    :param select_formats: formats of SELECT and ASK answers, in order of preference.
    :param graph_formats: formats of CONSTRUCT and DESCRIBE answers.
    """
    paths: dict[str, Any] = {
        "/api/queries": {
            "get": {
                "operationId": "list_queries",
                "tags": ["catalogue"],
                "summary": "The curated queries with their parameters",
                "responses": {
                    "200": {
                        "description": "Every query of the catalogue.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["queries"],
                                    "properties": {
                                        "queries": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Query"},
                                        }
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "tags": ["catalogue"],
                "summary": "This OpenAPI description",
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }
    for query in catalog:
        graph = query.form in ("CONSTRUCT", "DESCRIBE")
        formats = graph_formats if graph else select_formats
        paths[f"/api/queries/{query.name}"] = {"get": operation(query, formats)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ikgraph query API",
            "version": _version(),
            "summary": "Curated SPARQL queries on the Hessian integration plan, as a REST API.",
            "description": (
                "Each path runs one curated SPARQL query of the catalogue (queries/*.rq) with "
                "typed parameters. Parameters are bound as RDF terms, never pasted into the "
                "query. An optional parameter left empty means no restriction. Answers follow "
                "the Accept header or format=; application/json gives an array of objects "
                "(numbers as numbers, IRIs as strings), application/sparql-results+json the "
                "SPARQL JSON results. The SPARQL endpoint /sparql answers any other question."
            ),
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "tags": [
            {"name": "queries", "description": "The curated queries."},
            {"name": "catalogue", "description": "What the API offers."},
        ],
        "paths": paths,
        "components": _COMPONENTS,
    }
