"""The DCAT-AP.de 3.0 catalog of the knowledge graph, for open-data portals.

`DCAT-AP.de 3.0 <https://www.dcat-ap.de/def/dcatde/3.0/spec/>`_ (on `DCAT-AP 3.0
<https://semiceu.github.io/DCAT-AP/releases/3.0.0/>`_) is what GovData and the
Hessian portal harvest. The catalog holds one ``dcat:Dataset`` (the graph), one
``dcat:Distribution`` per dump (:mod:`ikgraph.dumps`) with size and SHA-256,
one for the SPARQL endpoint, and the endpoint as a ``dcat:DataService``.

Publisher, contact and licence come from the settings (``PUBLISHER_NAME``,
``CONTACT_EMAIL`` …); dates, the temporal coverage and the keywords (the
fields of action) from the data (:func:`facts`). Coded values use the
vocabularies DCAT-AP.de requires: licences from ``http://dcat-ap.de/def/licenses/``,
themes, languages, file types, frequency, access rights and availability from
the EU authority tables, media types as IANA IRIs, political geocoding for Hesse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import pyoxigraph as ox

from ikgraph.dumps import GZIP, Dump
from ikgraph.iris import RDF_TYPE, XSD, ikg, meta_graph, ontology_graph
from ikgraph.store import Store

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
DCATDE = "http://dcat-ap.de/def/dcatde/"
DCATAP = "http://data.europa.eu/r5r/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPDX = "http://spdx.org/rdf/terms#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
HESSE = "http://dcat-ap.de/def/politicalGeocoding/stateKey/06"
STATE_LEVEL = "http://dcat-ap.de/def/politicalGeocoding/Level/state"

PREFIXES = {
    "dcat": DCAT,
    "dcterms": DCT,
    "dcatde": DCATDE,
    "dcatap": DCATAP,
    "foaf": FOAF,
    "vcard": VCARD,
    "spdx": SPDX,
    "xsd": XSD,
}

TITLE = {
    "de": "Hessischer Integrationsplan als Wissensgraph",
    "en": "The Hessian integration plan as a knowledge graph",
}
DESCRIPTION = {
    "de": "Die Hessische Integrationskonferenz mit ihren Arbeitsgruppen und Mitgliedschaften, "
    "die sieben Handlungsfelder des Hessischen Integrationsplans, Maßnahmen von Land, Kommunen "
    "und Zivilgesellschaft mit ihren ebenenübergreifenden Verbindungen, messbare Ziele, "
    "Indikatoren und Beobachtungen als Linked Data (RDF), jede Aussage mit Quelle, jeder "
    "Beitrag mit Herkunftsangaben; abrufbar als Abzug und über einen SPARQL-Endpunkt.",
    "en": "The Hessian Integration Conference with its working groups and memberships, the "
    "seven fields of action of the Hessian integration plan, measures of the state, the "
    "municipalities and civil society with their links across levels, measurable targets, "
    "indicators and observations as linked data (RDF), every statement with its source and "
    "every contribution with its provenance; available as dumps and through a SPARQL endpoint.",
}
_DATES = (
    "http://schema.org/startDate",
    "http://schema.org/endDate",
    "ikg:deadline",
    "ikg:refYear",
)


@dataclass
class Facts:
    """What the catalog takes from the data."""

    modified: datetime | None = None
    issued: datetime | None = None
    start: date | None = None
    end: date | None = None
    fields: list[ox.Literal] = field(default_factory=list)


def _span(term: ox.Literal) -> tuple[date, date] | None:
    """The first and last day an ``xsd:date``, ``gYearMonth`` or ``gYear`` stands for."""
    text = term.value.strip()
    try:
        if term.datatype.value == XSD + "date":
            day = date.fromisoformat(text[:10])
            return day, day
        if term.datatype.value == XSD + "gYearMonth":
            year, month = int(text[:4]), int(text[5:7])
            following = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), date.fromordinal(following.toordinal() - 1)
        if term.datatype.value == XSD + "gYear":
            year = int(text[:4])
            return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None
    return None


def facts(store: Store) -> Facts:
    """Dates (of the contributions and of what the data is about) and the fields of action."""
    base = store.base
    found = Facts()
    meta = ox.NamedNode(meta_graph(base))
    rows = store.query(
        "SELECT ?meta (MIN(?t) AS ?first) (MAX(?t) AS ?last) WHERE { GRAPH ?meta { "
        "?g <http://www.w3.org/ns/prov#generatedAtTime> ?t } } GROUP BY ?meta",
        substitutions={"meta": meta},
    )
    for row in rows:
        found.issued = datetime.fromisoformat(row["first"].value)
        found.modified = datetime.fromisoformat(row["last"].value)
    props = " ".join(f"<{ikg(base, p[4:]) if p.startswith('ikg:') else p}>" for p in _DATES)
    rows = store.query(
        f"SELECT DISTINCT ?meta ?onto ?d WHERE {{ VALUES ?p {{ {props} }} GRAPH ?g {{ ?s ?p ?d }} "
        "FILTER(isLiteral(?d) && ?g != ?meta && ?g != ?onto) }",
        substitutions={"meta": meta, "onto": ox.NamedNode(ontology_graph(base))},
    )
    spans = [s for s in (_span(r["d"]) for r in rows) if s is not None]
    if spans:
        found.start = min(s[0] for s in spans)
        found.end = max(s[1] for s in spans)
    rows = store.query(
        f"SELECT ?f ?n ?l WHERE {{ ?f a <{ikg(base, 'FieldOfAction')}> ; <{SKOS}prefLabel> ?l "
        f"OPTIONAL {{ ?f <{SKOS}notation> ?n }} }} ORDER BY ?n ?f"
    )
    found.fields = [r["l"] for r in rows]
    return found


@dataclass(frozen=True)
class Publication:
    """Who publishes, under which licence, and where the service is.

    :param root: the public URL of the service (``IKGRAPH_PUBLIC_URL`` or the
        request's), ending in ``/``.
    """

    base: str
    root: str
    publisher_name: str
    publisher_url: str
    contact_email: str
    contact_url: str
    license: str
    attribution: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, object], *, root: str) -> Publication:
        return cls(
            base=str(settings["BASE_IRI"]),
            root=root,
            publisher_name=str(settings["PUBLISHER_NAME"]),
            publisher_url=str(settings["PUBLISHER_URL"]),
            contact_email=str(settings["CONTACT_EMAIL"]),
            contact_url=str(settings["CONTACT_URL"]),
            license=str(settings["LICENSE"]),
            attribution=str(settings["LICENSE_ATTRIBUTION"]),
        )

    def url(self, path: str) -> str:
        return self.root + path.lstrip("/")


def iris(base: str) -> dict[str, str]:
    """The IRIs the catalog mints: all in ``{base}catalog``, which the service serves."""
    catalog = f"{base}catalog"
    return {
        "catalog": catalog,
        "dataset": f"{catalog}#dataset",
        "service": f"{catalog}#sparql",
        "publisher": f"{catalog}#publisher",
        "sparql-distribution": f"{catalog}#distribution-sparql",
    }


def catalog(pub: Publication, data: Facts, dumps: Iterable[Dump]) -> list[ox.Triple]:
    """The catalog's triples."""
    ids = iris(pub.base)
    triples: list[ox.Triple] = []
    node = {k: ox.NamedNode(v) for k, v in ids.items()}

    def add(s, p: str, o) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def texts(s, p: str, by_lang: Mapping[str, str]) -> None:
        for lang, text in by_lang.items():
            add(s, p, ox.Literal(text, language=lang))

    def typed(value: object, dtype: str) -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(XSD + dtype))

    def licensed(s) -> None:
        add(s, DCT + "license", iri(pub.license))

    modified = typed(data.modified.isoformat(), "dateTime") if data.modified else None
    cat, ds, service, publisher = (
        node["catalog"],
        node["dataset"],
        node["service"],
        node["publisher"],
    )

    add(cat, RDF_TYPE, iri(DCAT + "Catalog"))
    texts(cat, DCT + "title", TITLE)
    texts(cat, DCT + "description", DESCRIPTION)
    add(cat, DCT + "publisher", publisher)
    add(cat, FOAF + "homepage", iri(pub.url("/")))
    add(cat, DCT + "language", iri(EU + "language/DEU"))
    add(cat, DCT + "language", iri(EU + "language/ENG"))
    add(cat, DCAT + "themeTaxonomy", iri(EU + "data-theme"))
    add(cat, DCT + "spatial", iri(HESSE))
    licensed(cat)
    if modified is not None:
        add(cat, DCT + "modified", modified)
    add(cat, DCAT + "dataset", ds)
    add(cat, DCAT + "service", service)

    add(publisher, RDF_TYPE, iri(FOAF + "Agent"))
    add(publisher, RDF_TYPE, iri(FOAF + "Organization"))
    add(publisher, FOAF + "name", ox.Literal(pub.publisher_name))
    if pub.publisher_url:
        add(publisher, FOAF + "homepage", iri(pub.publisher_url))

    add(ds, RDF_TYPE, iri(DCAT + "Dataset"))
    texts(ds, DCT + "title", TITLE)
    texts(ds, DCT + "description", DESCRIPTION)
    add(ds, DCT + "identifier", ox.Literal(ids["dataset"]))
    add(ds, DCT + "publisher", publisher)
    contact = ox.BlankNode()
    add(ds, DCAT + "contactPoint", contact)
    add(contact, RDF_TYPE, iri(VCARD + "Kind"))
    add(contact, VCARD + "fn", ox.Literal(pub.publisher_name))
    if pub.contact_email:
        add(contact, VCARD + "hasEmail", iri("mailto:" + pub.contact_email.removeprefix("mailto:")))
    add(contact, VCARD + "hasURL", iri(pub.contact_url or pub.url("/")))
    for keyword in data.fields:
        add(ds, DCAT + "keyword", keyword)
    for theme in ("SOCI", "GOVE"):
        add(ds, DCAT + "theme", iri(EU + "data-theme/" + theme))
    add(ds, DCT + "spatial", iri(HESSE))
    add(iri(HESSE), RDF_TYPE, iri(DCT + "Location"))
    add(ds, DCATDE + "politicalGeocodingLevelURI", iri(STATE_LEVEL))
    if data.start or data.end:
        period = ox.BlankNode()
        add(ds, DCT + "temporal", period)
        add(period, RDF_TYPE, iri(DCT + "PeriodOfTime"))
        if data.start:
            add(period, DCAT + "startDate", typed(data.start.isoformat(), "date"))
        if data.end:
            add(period, DCAT + "endDate", typed(data.end.isoformat(), "date"))
    if data.issued:
        add(ds, DCT + "issued", typed(data.issued.isoformat(), "dateTime"))
    if modified is not None:
        add(ds, DCT + "modified", modified)
    add(ds, DCT + "language", iri(EU + "language/DEU"))
    add(ds, DCT + "language", iri(EU + "language/ENG"))
    add(ds, DCT + "accrualPeriodicity", iri(EU + "frequency/IRREG"))
    add(ds, DCT + "accessRights", iri(EU + "access-right/PUBLIC"))
    add(ds, DCATAP + "availability", iri(EU + "planned-availability/AVAILABLE"))
    add(ds, DCAT + "landingPage", iri(pub.url("/")))

    for dump in dumps:
        fmt = dump.format
        dist = iri(f"{ids['catalog']}#distribution-{fmt.key}")
        add(ds, DCAT + "distribution", dist)
        add(dist, RDF_TYPE, iri(DCAT + "Distribution"))
        texts(dist, DCT + "title", {"de": fmt.title_de, "en": fmt.title_en})
        add(dist, DCAT + "accessURL", iri(pub.url("/dumps/")))
        add(dist, DCAT + "downloadURL", iri(pub.url(f"/dumps/{fmt.name}")))
        add(dist, DCAT + "mediaType", iri(IANA + fmt.media_type))
        if fmt.gzip:
            add(dist, DCAT + "compressFormat", iri(IANA + GZIP))
        add(dist, DCT + "format", iri(EU + "file-type/" + fmt.file_type))
        add(dist, DCAT + "byteSize", typed(dump.size, "nonNegativeInteger"))
        checksum = ox.BlankNode()
        add(dist, SPDX + "checksum", checksum)
        add(checksum, RDF_TYPE, iri(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", iri(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", typed(dump.sha256, "hexBinary"))
        licensed(dist)
        add(dist, DCATDE + "licenseAttributionByText", ox.Literal(pub.attribution))
        add(dist, DCATAP + "availability", iri(EU + "planned-availability/AVAILABLE"))
        if modified is not None:
            add(dist, DCT + "modified", modified)
    add(iri(SPDX + "checksumAlgorithm_sha256"), RDF_TYPE, iri(SPDX + "ChecksumAlgorithm"))

    endpoint = iri(pub.url("/sparql"))
    dist = node["sparql-distribution"]
    add(ds, DCAT + "distribution", dist)
    add(dist, RDF_TYPE, iri(DCAT + "Distribution"))
    texts(dist, DCT + "title", {"de": "SPARQL-Endpunkt", "en": "SPARQL endpoint"})
    add(dist, DCAT + "accessURL", endpoint)
    add(dist, DCAT + "accessService", service)
    licensed(dist)
    add(dist, DCATDE + "licenseAttributionByText", ox.Literal(pub.attribution))

    add(service, RDF_TYPE, iri(DCAT + "DataService"))
    texts(
        service,
        DCT + "title",
        {
            "de": "SPARQL-Endpunkt des Wissensgraphen",
            "en": "SPARQL endpoint of the knowledge graph",
        },
    )
    add(service, DCAT + "endpointURL", endpoint)
    add(service, DCAT + "endpointDescription", iri(pub.url("/sparql?format=ttl")))
    add(service, DCT + "conformsTo", iri("https://www.w3.org/TR/sparql11-protocol/"))
    add(service, DCAT + "servesDataset", ds)
    add(service, DCT + "publisher", publisher)
    licensed(service)
    return triples
