"""The shapes have teeth.

A small valid fixture (``fixtures/shapes/valid.ttl``, one of each kind of
thing) conforms without a single finding. Every constraint of
``shapes/ikg.shapes.ttl`` then gets an invalid variant of that fixture, made
by dropping, adding or replacing a triple or two, which must yield exactly the
one expected result: severity, focus node, ``sh:resultPath``, source shape and
constraint component, with messages in German and English. A last test checks
that the table covers every (shape, constraint component) pair of the shapes.

Validation is called exactly as the service calls it (see
``ikgraph.validation``), with the ontology merged into the data graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "fixtures" / "shapes" / "valid.ttl"
SHAPES_NS = "https://w3id.org/ikg/shapes#"

# The fixture's own prefixes, so that the table below reads like the fixture.
_LINES = VALID.read_text(encoding="utf-8").splitlines()
HEADER = "".join(line + "\n" for line in _LINES if line.startswith("@prefix"))
PREFIXES = dict(re.findall(r"@prefix\s+([\w-]*):\s+<([^>]+)>", HEADER))


def iri(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def curie(node) -> str | None:
    if node is None:
        return None
    text = str(node)
    if text.startswith(SHAPES_NS):
        return text[len(SHAPES_NS) :]
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


def turtle(snippet: str) -> Graph:
    return Graph().parse(data=f"{HEADER}{snippet} .", format="turtle")


# --- variants ---------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """Drop ``"s p"`` / ``"s p o"``, replace all values of ``put``'s (s, p), add Turtle."""

    drop: str = ""
    put: str = ""
    add: str = ""

    def apply(self, valid: Graph) -> Graph:
        data = Graph()
        for triple in valid:
            data.add(triple)
        if self.drop:
            subject, predicate, *rest = self.drop.split(maxsplit=2)
            if rest:
                for triple in turtle(self.drop):
                    data.remove(triple)
            else:
                data.remove((iri(subject), RDF.type if predicate == "a" else iri(predicate), None))
        if self.put:
            new = turtle(self.put)
            for s, p, _ in new:
                data.remove((s, p, None))
            data += new
        if self.add:
            data += turtle(self.add)
        return data


def drop(pattern: str) -> Edit:
    return Edit(drop=pattern)


def put(triples: str) -> Edit:
    return Edit(put=triples)


def add(triples: str) -> Edit:
    return Edit(add=triples)


@dataclass(frozen=True)
class Case:
    shape: str
    component: str
    edit: Edit
    focus: str
    path: str | None
    severity: str


_FROM_EDIT = object()


def case(shape, component, edit, *, focus=None, path=_FROM_EDIT, why=None, severity="Violation"):
    """One row: the shape and component that must fire for ``edit``, and nothing else.

    The result must name the subject and predicate of the edited triple as focus node and
    path, unless ``focus`` / ``path`` say otherwise (``path=None``: a node-level result).
    """
    subject, predicate = (edit.drop or edit.put or edit.add).split()[:2]
    focus = focus or subject
    path = predicate if path is _FROM_EDIT else path
    name = f"{shape}:{component}" + (f":{why}" if why else "")
    return pytest.param(Case(shape, component, edit, focus, path, severity), id=name)


# Complete, valid resources that a variant can point to or add.
ANOTHER_PLAN = (
    'plan:anderer a ikg:IntegrationPlan ; skos:prefLabel "P"@de , "P"@en ;'
    " dcterms:hasVersion plan:integrationsplan-2017 ; dcterms:source <https://example.org/q>"
)
ANOTHER_INGEST = 'ex:ingest2 a ikg:Ingest ; prov:startedAtTime "2025-01-02T00:00:00Z"^^xsd:dateTime'
FIELD_2 = 'fld:2 a ikg:FieldOfAction ; skos:prefLabel "F"@de , "F"@en ; skos:notation "2"'
SOURCE = "dcterms:source <https://example.org/q>"
GEO = "http://dcat-ap.de/def/politicalGeocoding"
HEX0, HEX1 = "0" * 64, "1" * 64
DATE_2024 = 'time:inXSDDate "2024-01-01"^^xsd:date'
DATE_2030 = 'time:inXSDDate "2030-01-01"^^xsd:date'

# The things of the fixture that the table breaks.
P, K, S = "msr:projekt", "msr:programm", "ses:2015-03-19"
D, M, C = "orgn:landkreis-06999", "orgn:gemeinde-06999001", "orgn:integrationskonferenz"
T, N = "tgt:mit-zahl", "tgt:ohne-zahl"
V, W, L = "plan:integrationsplan-2017", "plan:integrationsplan-2-0", "law:beispielgesetz"
OB, R = "obs:anteil-06-2024", "evt:neukonstituierung"
MB = "mem:beispielverein-integrationskonferenz"
G, B, IN, WG = "ex:graph", "ex:budget", "ex:ingest", "grp:ag-1"
PLAN, DOC, VEREIN = "plan:integrationsplan", "doc:koalitionsvertrag", "orgn:beispielverein"
K2 = "msr:teilprogramm"

# fmt: off
VIOLATIONS = [
    # shared: names, sources, identifiers
    case("prefLabel-de", "QualifiedMinCount", drop(f'{P} skos:prefLabel "Beispielprojekt"@de')),
    case("prefLabel-lang", "Datatype", add(f'{P} skos:prefLabel "ohne Sprache"')),
    case("prefLabel-lang", "UniqueLang", add(f'{P} skos:prefLabel "Zweitname"@de')),
    case("source-iri", "NodeKind", put(f'{P} dcterms:source "https://example.org/q"')),
    case("source-iri", "Pattern", put(f"{P} dcterms:source <urn:isbn:0>")),
    case("sameAs", "NodeKind", put(f'{D} schema:sameAs "Q4115189"')),
    case("ags", "Datatype", put(f'{M} ikg:ags "06999001"^^xsd:token')),
    case("ags", "MaxCount", add(f'{M} ikg:ags "06999002"')),
    case("ags", "Pattern", put(f'{M} ikg:ags "6999001"'), why="malformed AGS"),
    case("ags", "Pattern", put(f'{M} ikg:ags "07999001"'), why="AGS outside Hesse"),
    # organisations
    case("StateBody-subOrganizationOf", "Class",
         add("orgn:ministerium org:subOrganizationOf fld:1")),
    case("District-districtKey", "Datatype", put(f'{D} ikg:districtKey "06999"@de')),
    case("District-districtKey", "MinCount", drop(f"{D} ikg:districtKey")),
    case("District-districtKey", "MaxCount", add(f'{D} ikg:districtKey "06998"')),
    case("District-districtKey", "Pattern", put(f'{D} ikg:districtKey "0699"'),
         why="malformed Kreisschluessel"),
    case("District-classification", "MinCount", drop(f"{D} org:classification")),
    case("District-classification", "MaxCount",
         add(f"{D} org:classification kind:kreisfreie-stadt")),
    case("District-classification", "In", put(f"{D} org:classification kind:verein")),
    case("District-spatial", "NodeKind", put(f'{D} dcterms:spatial "{GEO}/districtKey/06999"')),
    case("District-spatial", "Pattern", put(f"{D} dcterms:spatial <{GEO}/stateKey/06>")),
    case("District-nuts", "Datatype", put(f'{D} ikg:nuts "DE799"@de')),
    case("District-nuts", "MaxCount", add(f'{D} ikg:nuts "DE798"')),
    case("District-nuts", "Pattern", put(f'{D} ikg:nuts "DEA11"')),
    case("DistrictAgsShape", "Or", add(f'{D} ikg:ags "06999000"'), path=None,
         why="AGS on a Landkreis"),
    case("Municipality-agsRequired", "MinCount", drop(f"{M} ikg:ags")),
    case("Municipality-inDistrict", "Class", put(f"{M} ikg:inDistrict orgn:ministerium")),
    case("Municipality-inDistrict", "MinCount", drop(f"{M} ikg:inDistrict")),
    case("Municipality-inDistrict", "MaxCount", add(f"{M} ikg:inDistrict orgn:stadt-06998")),
    case("Municipality-spatial", "NodeKind",
         put(f'{M} dcterms:spatial "{GEO}/municipalityKey/06999001"')),
    case("Municipality-spatial", "Pattern", put(f"{M} dcterms:spatial <{GEO}/districtKey/06999>")),
    case("CivilSocietyOrganisation-classification", "NodeKind",
         put(f'{VEREIN} org:classification "Verein"')),
    # the conference
    case("Conference-constituted", "Datatype", put(f'{C} ikg:constituted "2015"^^xsd:gYear')),
    case("Conference-constituted", "MaxCount", add(f'{C} ikg:constituted "2019-12-01"^^xsd:date')),
    case("Conference-legalBasis", "Class", put(f"{C} ikg:legalBasis {DOC}")),
    case("Reconstitution-date", "MinCount", drop(f"{R} dcterms:date")),
    case("Reconstitution-date", "MaxCount", add(f'{R} dcterms:date "2019-12-05"^^xsd:date')),
    case("Reconstitution-date", "Or", put(f'{R} dcterms:date "Dezember 2019"')),
    case("Reconstitution-resultingOrganization", "Class",
         put(f"{R} org:resultingOrganization orgn:ministerium")),
    case("Reconstitution-resultingOrganization", "MinCount",
         drop(f"{R} org:resultingOrganization")),
    case("Reconstitution-originalOrganization", "Class",
         put(f"{R} org:originalOrganization fld:1")),
    case("WorkingGroup-unitOf", "Class", put(f"{WG} org:unitOf orgn:ministerium")),
    case("WorkingGroup-unitOf", "MinCount", drop(f"{WG} org:unitOf"),
         why="working group not unit of a conference"),
    case("WorkingGroup-unitOf", "MaxCount",
         add(f"{WG} org:unitOf orgn:integrationskonferenz-2015")),
    case("WorkingGroup-purpose", "Class", put(f"{WG} org:purpose {T}")),
    case("WorkingGroup-notation", "MaxCount", add(f'{WG} skos:notation "eins"')),
    case("Membership-member", "Class", put(f"{MB} org:member fld:1")),
    case("Membership-member", "MinCount", drop(f"{MB} org:member"),
         why="membership without member"),
    case("Membership-member", "MaxCount", add(f"{MB} org:member orgn:ministerium")),
    case("Membership-organization", "MinCount", drop(f"{MB} org:organization"),
         why="membership without organisation"),
    case("Membership-organization", "MaxCount", add(f"{MB} org:organization {WG}")),
    case("Membership-organization", "Or", put(f"{MB} org:organization {VEREIN}")),
    case("Membership-role", "Class", put(f"{MB} org:role kind:verein")),
    case("Membership-role", "MaxCount",
         add(f"{MB} org:role role:vorsitz . role:vorsitz a org:Role")),
    case("Membership-memberDuring", "Class", put(f"{MB} org:memberDuring ex:irgendwann")),
    case("Membership-memberDuring", "MaxCount",
         add(f"{MB} org:memberDuring ex:z2 . ex:z2 a time:Interval")),
    case("Interval-hasBeginning", "Class", put("ex:zeitraum time:hasBeginning ex:irgendwann")),
    case("Interval-hasBeginning", "MaxCount",
         add(f"ex:zeitraum time:hasBeginning ex:b2 . ex:b2 a time:Instant ; {DATE_2024}")),
    case("Interval-hasEnd", "Class", put("ex:zeitraum time:hasEnd ex:irgendwann")),
    case("Interval-hasEnd", "MaxCount",
         add(f"ex:zeitraum time:hasEnd ex:e2 . ex:e2 a time:Instant ; {DATE_2030}")),
    case("IntervalShape", "SPARQL", put('ex:ende time:inXSDDate "2020-01-01"^^xsd:date'),
         focus="ex:zeitraum", path="time:hasEnd", why="membership ends before it begins"),
    case("Instant-inXSDDate", "Datatype", put('ex:beginn time:inXSDDate "2024"^^xsd:gYear')),
    case("Instant-inXSDDate", "Datatype", put('ex:ende time:inXSDDate "2019-02-30"^^xsd:date'),
         why="no such day, before the beginning"),
    case("Instant-inXSDDate", "MinCount", drop("ex:ende time:inXSDDate")),
    case("Instant-inXSDDate", "MaxCount", add('ex:beginn time:inXSDDate "2024-09-24"^^xsd:date')),
    case("PlenarySession-startDate", "Datatype",
         put(f'{S} schema:startDate "19.03.2015"^^xsd:date'),
         why="malformed date"),
    case("PlenarySession-startDate", "Datatype", put(f'{S} schema:startDate "2015-03-19"'),
         why="date without datatype"),
    case("PlenarySession-startDate", "MinCount", drop(f"{S} schema:startDate")),
    case("PlenarySession-startDate", "MaxCount",
         add(f'{S} schema:startDate "2015-03-18"^^xsd:date')),
    case("PlenarySession-endDate", "Datatype", put(f'{S} schema:endDate "2015-04-31"^^xsd:date'),
         why="no such day"),
    case("PlenarySession-endDate", "MaxCount", add(f'{S} schema:endDate "2015-03-20"^^xsd:date')),
    case("PlenarySession-organizer", "Class", put(f"{S} schema:organizer orgn:ministerium")),
    case("PlenarySession-organizer", "MinCount", drop(f"{S} schema:organizer")),
    case("PlenarySession-organizer", "MaxCount",
         add(f"{S} schema:organizer orgn:integrationskonferenz-2015")),
    case("PlenarySession-location", "NodeKind", put(f"{S} schema:location ex:ort")),
    case("PlenarySession-location", "MaxCount", add(f'{S} schema:location "Zweitstadt"')),
    case("PlenarySession-sessionNumber", "Datatype", put(f"{S} ikg:sessionNumber 1.0")),
    case("PlenarySession-sessionNumber", "MaxCount", add(f"{S} ikg:sessionNumber 2")),
    case("PlenarySession-sessionNumber", "MinInclusive", put(f"{S} ikg:sessionNumber 0")),
    case("PlenarySession-presented", "Or", put(f"{S} ikg:presented fld:1")),
    case("PlenarySession-about", "Class", put(f"{S} schema:about {T}")),
    case("PeriodOrderShape", "Not", put(f'{S} schema:endDate "2015-03-18"^^xsd:date'), path=None,
         why="session ends before it starts"),
    # the plan, documents, laws
    case("IntegrationPlan-hasVersion", "Class", add(f"{PLAN} dcterms:hasVersion {DOC}")),
    case("IntegrationPlan-hasVersion", "MinCount", drop(f"{PLAN} dcterms:hasVersion")),
    case("PlanVersion-isVersionOf", "Class", put(f"{V} dcterms:isVersionOf {DOC}")),
    case("PlanVersion-isVersionOf", "MinCount", drop(f"{V} dcterms:isVersionOf")),
    case("PlanVersion-isVersionOf", "MaxCount",
         add(f"{V} dcterms:isVersionOf plan:anderer . {ANOTHER_PLAN}")),
    case("PlanVersion-version", "Datatype", put(f"{V} dcat:version 1")),
    case("PlanVersion-version", "MinCount", drop(f"{V} dcat:version")),
    case("PlanVersion-version", "MaxCount", add(f'{V} dcat:version "1.0"')),
    case("PlanVersion-previousVersion", "Class", put(f"{W} dcat:previousVersion {DOC}")),
    case("PlanVersion-previousVersion", "MaxCount", add(f"{W} dcat:previousVersion {W}")),
    case("PlanVersion-dateAccepted", "MaxCount",
         add(f'{V} dcterms:dateAccepted "2017-12-05"^^xsd:date')),
    case("PlanVersion-dateAccepted", "Or", put(f'{V} dcterms:dateAccepted "2017"^^xsd:gYear')),
    case("PlanVersion-wasAttributedTo", "Class", put(f"{V} prov:wasAttributedTo fld:1")),
    case("PlanVersion-hasFieldOfAction", "Class", put(f"{V} ikg:hasFieldOfAction {T}")),
    case("PlanVersion-changeNote", "Datatype", put(f'{V} ikg:changeNote "Erste Fassung."')),
    case("PolicyDocument-date", "MaxCount", add(f'{DOC} dcterms:date "2013"^^xsd:gYear')),
    case("PolicyDocument-date", "Or", put(f'{DOC} dcterms:date "23.12.2013"')),
    case("PolicyDocument-creator", "Class", put(f"{DOC} dcterms:creator fld:1")),
    case("LegalResource-title", "NodeKind", put(f"{L} eli:title ex:titel")),
    case("LegalResource-title", "MinCount", drop(f"{L} eli:title")),
    case("LegalResource-dateDocument", "Datatype", put(f'{L} eli:date_document "2023"^^xsd:gYear')),
    case("LegalResource-dateDocument", "MinCount", drop(f"{L} eli:date_document")),
    case("LegalResource-dateDocument", "MaxCount",
         add(f'{L} eli:date_document "2023-03-23"^^xsd:date')),
    case("LegalResource-firstDateEntryInForce", "Datatype",
         put(f'{L} eli:first_date_entry_in_force "2023-04-04"')),
    case("LegalResource-firstDateEntryInForce", "MaxCount",
         add(f'{L} eli:first_date_entry_in_force "2023-04-05"^^xsd:date')),
    case("LegalResource-dateNoLongerInForce", "Datatype",
         put(f'{L} eli:date_no_longer_in_force "31.12.2030"^^xsd:date')),
    case("LegalResource-dateNoLongerInForce", "MaxCount",
         add(f'{L} eli:date_no_longer_in_force "2031-12-31"^^xsd:date')),
    case("InForceOrderShape", "Not", put(f'{L} eli:date_no_longer_in_force "2020-12-31"^^xsd:date'),
         path=None),
    # fields of action
    case("FieldOfAction-notation", "MinCount", drop("fld:1 skos:notation")),
    case("FieldOfAction-notation", "MaxCount", add('fld:1 skos:notation "eins"')),
    case("FieldOfAction-inScheme", "Class", add("fld:1 skos:inScheme ex:anderes-schema")),
    case("FieldOfAction-inScheme", "MinCount", add(f"{FIELD_2} ; {SOURCE}"), path="skos:inScheme"),
    # measures
    case("Measure-description", "Datatype",
         put(f'{P} dcterms:description "Ein erfundenes Projekt."')),
    case("Measure-responsibleOrganisation", "Class", put(f"{P} ikg:responsibleOrganisation fld:1")),
    case("Measure-responsibleOrganisation", "MinCount", drop(f"{P} ikg:responsibleOrganisation"),
         why="missing responsible organisation"),
    case("Measure-responsibleOrganisation", "MaxCount",
         add(f"{P} ikg:responsibleOrganisation {VEREIN}"),
         why="two responsible organisations"),
    case("Measure-partner", "Class", put(f"{P} ikg:partner fld:1")),
    case("Measure-subject", "MinCount", drop(f"{P} dcterms:subject")),
    case("Measure-subject", "Node", put(f"{P} dcterms:subject {T}"), why="unknown field of action"),
    case("Measure-subject", "Node",
         Edit(put=f"{P} dcterms:subject fld:2",
              add=f"{FIELD_2} ; skos:inScheme ex:s2 ; {SOURCE} . ex:s2 a skos:ConceptScheme"),
         why="field of action of another scheme"),
    case("Measure-startDate", "MaxCount", add(f'{K} schema:startDate "2015"^^xsd:gYear')),
    case("Measure-startDate", "Or", put(f'{K} schema:startDate "2014"')),
    case("Measure-startDate", "Or", put(f'{P} schema:startDate "2021-13-01"^^xsd:date'),
         why="malformed date"),
    case("Measure-endDate", "MaxCount", add(f'{K} schema:endDate "2031"^^xsd:gYear')),
    case("Measure-endDate", "Or", put(f'{P} schema:endDate "31.12.2025"')),
    case("MeasurePeriodShape", "Or", put(f'{P} schema:endDate "2025"^^xsd:gYear'), path=None,
         why="day and year"),
    case("MeasurePeriodShape", "Or", put(f'{P} schema:startDate "2021"^^xsd:gYear'), path=None,
         why="year and day"),
    case("PeriodOrderShape", "Not", put(f'{P} schema:endDate "2020-12-31"^^xsd:date'), path=None,
         why="wrong date order"),
    case("PeriodOrderShape", "Not", put(f'{K} schema:endDate "2010"^^xsd:gYear'), path=None,
         why="wrong year order"),
    case("Measure-budget", "Class", put(f"{K} ikg:budget ex:irgendwas")),
    case("Measure-spatial", "NodeKind", put(f'{P} dcterms:spatial "{GEO}/districtKey/06999"')),
    case("Measure-spatial", "Pattern",
         put(f"{P} dcterms:spatial <http://www.wikidata.org/entity/Q1>")),
    case("Measure-status", "MaxCount", add(f"{K} ikg:status status:geplant")),
    case("Measure-status", "In", put(f"{K} ikg:status status:unbekannt")),
    case("Measure-isPartOf", "Class", put(f"{P} dcterms:isPartOf {V}")),
    case("Measure-fundedBy", "Class", put(f"{P} ikg:fundedBy {P}"), why="funded by a project"),
    case("Measure-implements", "Or", put(f"{K} ikg:implements {DOC}")),
    case("Measure-contributesTo", "Class", put(f"{K} ikg:contributesTo ind:anteil")),
    case("Measure-funder", "Class", put(f"{K} schema:funder fld:1")),
    case("Programme-responsibleOrganisation", "Class",
         put(f"{K} ikg:responsibleOrganisation {VEREIN}"), why="programme of an association"),
    case("Project-isPartOf", "MaxCount", add(f"{P} dcterms:isPartOf {K2}")),
    case("MeasureKindShape", "Xone", add(f"{P} a ikg:Programme"), path=None,
         why="both programme and project"),
    case("Budget-value", "Datatype", put(f"{B} schema:value 1500000"), why="integer, not decimal"),
    case("Budget-value", "MinCount", drop(f"{B} schema:value")),
    case("Budget-value", "MaxCount", add(f"{B} schema:value 2.0")),
    case("Budget-value", "MinInclusive", put(f"{B} schema:value -1.0"), why="negative budget"),
    case("Budget-currency", "MinCount", drop(f"{B} schema:currency")),
    case("Budget-currency", "In", put(f'{B} schema:currency "USD"'), why="wrong currency"),
    case("Budget-budgetYear", "Datatype", put(f'{B} ikg:budgetYear "2017"')),
    case("Budget-budgetYear", "MaxCount", add(f'{B} ikg:budgetYear "2018"^^xsd:gYear')),
    case("Budget-amountType", "Class", put(f"{B} ikg:amountType kind:landkreis")),
    case("Budget-amountType", "MaxCount", add(f"{B} ikg:amountType role:mitglied")),
    # targets, indicators, observations
    case("Target-indicator", "Class", put(f"{T} ikg:indicator fld:1")),
    case("Target-indicator", "MinCount", drop(f"{T} ikg:indicator")),
    case("Target-indicator", "MaxCount", add(f"{T} ikg:indicator ind:kurse")),
    case("Target-unit", "Datatype", put(f'{T} ikg:unit "%"@de')),
    case("Target-unit", "MinCount", drop(f"{T} ikg:unit")),
    case("Target-unit", "MaxCount", add(f'{T} ikg:unit "Prozent"')),
    case("Target-deadline", "Or", put(f'{T} ikg:deadline "Ende 2025"'), why="neither day nor year"),
    case("Target-deadline", "Or", put(f'{T} ikg:deadline "2025-12"^^xsd:gYearMonth')),
    case("Target-deadline", "MaxCount", add(f'{T} ikg:deadline "2026"^^xsd:gYear')),
    case("Target-baselineValue", "Datatype", put(f"{T} ikg:baselineValue 23")),
    case("Target-baselineValue", "MaxCount", add(f"{T} ikg:baselineValue 24.0")),
    case("Target-baselineYear", "Datatype", put(f'{T} ikg:baselineYear "2017"')),
    case("Target-baselineYear", "MaxCount", add(f'{T} ikg:baselineYear "2018"^^xsd:gYear')),
    case("Target-targetValue", "Datatype", put(f"{T} ikg:targetValue 30")),
    case("Target-targetValue", "MaxCount", add(f"{T} ikg:targetValue 31.0")),
    case("Target-subject", "Node", put(f"{T} dcterms:subject ind:anteil")),
    case("TargetValueShape", "Xone", add(f"{N} ikg:targetValue 30.0"), path=None,
         why="numericTargetStated false but a targetValue"),
    case("TargetValueShape", "Xone", drop(f"{N} skos:scopeNote"), path=None,
         why="no number and no scopeNote"),
    case("TargetValueShape", "Xone", drop(f"{T} ikg:targetValue"), path=None,
         why="baseline without target value"),
    case("TargetValueShape", "Xone", put(f'{T} ikg:numericTargetStated "true"'), path=None,
         why="flag not a boolean"),
    case("TargetValueShape", "Xone", drop(f"{T} ikg:deadline"), path=None,
         why="target value without deadline"),
    case("TargetBaselineShape", "Xone", drop(f"{T} ikg:baselineValue"), path=None,
         why="neither baseline nor baselineStated false"),
    case("TargetBaselineShape", "Xone", add(f"{T} ikg:baselineStated false"), path=None,
         why="baseline and baselineStated false"),
    case("TargetBaselineShape", "Xone",
         put(f"{N} ikg:baselineStated false . {N} ikg:baselineValue 23.0"), path=None,
         why="baselineStated false with a baseline"),
    case("TargetBaselineShape", "Xone",
         put(f'{T} ikg:baselineStated "false" . {T} ikg:baselineValue 23.0'), path=None,
         why="baselineStated not a boolean"),
    case("Indicator-definition", "Datatype", put('ind:anteil skos:definition "Ein Anteil."')),
    case("Indicator-definition", "UniqueLang", add('ind:anteil skos:definition "Noch einer."@de')),
    case("Indicator-unit", "Datatype", put("ind:anteil ikg:unit ex:prozent")),
    case("Indicator-unit", "MinCount", drop("ind:anteil ikg:unit")),
    case("Indicator-unit", "MaxCount", add('ind:anteil ikg:unit "Prozent"')),
    case("Observation-dataSet", "Class", put(f"{OB} qb:dataSet ind:anteil")),
    case("Observation-dataSet", "MinCount", drop(f"{OB} qb:dataSet")),
    case("Observation-dataSet", "MaxCount", add(f"{OB} qb:dataSet ex:ds2 . ex:ds2 a qb:DataSet")),
    case("Observation-indicator", "Class", put(f"{OB} ikg:indicator fld:1")),
    case("Observation-indicator", "MinCount", drop(f"{OB} ikg:indicator")),
    case("Observation-indicator", "MaxCount", add(f"{OB} ikg:indicator ind:kurse")),
    case("Observation-refArea", "NodeKind",
         put(f'{OB} sdmx-dimension:refArea "{GEO}/stateKey/06"')),
    case("Observation-refArea", "MinCount", drop(f"{OB} sdmx-dimension:refArea")),
    case("Observation-refArea", "MaxCount",
         add(f"{OB} sdmx-dimension:refArea <{GEO}/districtKey/06999>")),
    case("Observation-refArea", "Pattern",
         put(f"{OB} sdmx-dimension:refArea <http://www.wikidata.org/entity/Q1199>")),
    case("Observation-refYear", "Datatype", put(f'{OB} ikg:refYear "2024"')),
    case("Observation-refYear", "MinCount", drop(f"{OB} ikg:refYear")),
    case("Observation-refYear", "MaxCount", add(f'{OB} ikg:refYear "2023"^^xsd:gYear')),
    case("Observation-populationGroup", "MinCount", drop(f"{OB} ikg:populationGroup")),
    case("Observation-populationGroup", "MaxCount",
         add(f"{OB} ikg:populationGroup group:mit-migrationshintergrund")),
    case("Observation-populationGroup", "In", put(f"{OB} ikg:populationGroup group:frauen")),
    case("Observation-obsValue", "Datatype", put(f'{OB} sdmx-measure:obsValue "38 %"')),
    case("Observation-obsValue", "MinCount", drop(f"{OB} sdmx-measure:obsValue"),
         why="observation without value"),
    case("Observation-obsValue", "MaxCount", add(f"{OB} sdmx-measure:obsValue 39.0")),
    case("Observation-unit", "Datatype", put(f'{OB} ikg:unit "%"@de')),
    case("Observation-unit", "MaxCount", add(f'{OB} ikg:unit "Prozent"')),
    # provenance
    case("Ingest-startedAtTime", "Datatype", put(f'{IN} prov:startedAtTime "2025-01-01T10:00:00"')),
    case("Ingest-startedAtTime", "MinCount", drop(f"{IN} prov:startedAtTime")),
    case("Ingest-startedAtTime", "MaxCount",
         add(f'{IN} prov:startedAtTime "2025-01-01T09:00:00Z"^^xsd:dateTime')),
    case("Ingest-endedAtTime", "Datatype", put(f'{IN} prov:endedAtTime "2025-01-01T10:00:05"')),
    case("Ingest-endedAtTime", "MaxCount",
         add(f'{IN} prov:endedAtTime "2025-01-01T10:00:06Z"^^xsd:dateTime')),
    case("IngestOrderShape", "Not",
         put(f'{IN} prov:endedAtTime "2025-01-01T09:00:00Z"^^xsd:dateTime'),
         path=None),
    case("GraphRecord-wasGeneratedBy", "Class", put(f"{G} prov:wasGeneratedBy {G}")),
    case("GraphRecord-wasGeneratedBy", "MinCount", drop(f"{G} prov:wasGeneratedBy")),
    case("GraphRecord-wasGeneratedBy", "MaxCount",
         add(f"{G} prov:wasGeneratedBy ex:ingest2 . {ANOTHER_INGEST}")),
    case("GraphRecord-sourceFile", "Datatype", put(f"{G} ikg:sourceFile <file:///beispiel.ttl>")),
    case("GraphRecord-sourceFile", "MaxCount", add(f'{G} ikg:sourceFile "anders.ttl"')),
    case("GraphRecord-sha256", "Datatype", put(f'{G} ikg:sha256 "{HEX0}"^^xsd:hexBinary')),
    case("GraphRecord-sha256", "MaxCount", add(f'{G} ikg:sha256 "{HEX1}"')),
    case("GraphRecord-sha256", "Pattern", put(f'{G} ikg:sha256 "{HEX0[:40]}"')),
    case("GraphRecord-tripleCount", "Datatype", put(f"{G} ikg:tripleCount 10.0")),
    case("GraphRecord-tripleCount", "MaxCount", add(f"{G} ikg:tripleCount 11")),
    case("GraphRecord-tripleCount", "MinInclusive", put(f"{G} ikg:tripleCount -1")),
    case("GraphRecord-conforms", "Datatype", put(f'{G} ikg:conforms "ja"')),
    case("GraphRecord-conforms", "MinCount", drop(f"{G} ikg:conforms")),
    case("GraphRecord-conforms", "MaxCount", add(f"{G} ikg:conforms false")),
    case("GraphRecord-warningCount", "Datatype", put(f"{G} ikg:warningCount 0.0")),
    case("GraphRecord-warningCount", "MinCount", drop(f"{G} ikg:warningCount")),
    case("GraphRecord-warningCount", "MaxCount", add(f"{G} ikg:warningCount 1")),
    case("GraphRecord-warningCount", "MinInclusive", put(f"{G} ikg:warningCount -1")),
]

WARNINGS = [
    case("prefLabel-en", "QualifiedMinCount", drop(f'{P} skos:prefLabel "Example project"@en'),
         why="missing English label", severity="Warning"),
    case("prefLabel-en", "QualifiedMinCount", drop(f'{D} skos:prefLabel "Example district"@en'),
         why="missing English label", severity="Warning"),
    case("source", "MinCount", drop(f"{P} dcterms:source"),
         why="missing source", severity="Warning"),
    case("source", "MinCount", drop(f"{OB} dcterms:source"),
         why="missing source", severity="Warning"),
]
# fmt: on


# --- running the validator ----------------------------------------------------


@dataclass(frozen=True)
class Finding:
    severity: str
    focus: str | None
    path: str | None
    shape: str | None
    component: str
    messages: frozenset[str]


def expect(case: Case, shapes: Graph) -> Finding:
    """The finding a case should produce, carrying the shape's German and English messages."""
    shape = URIRef(SHAPES_NS + case.shape)
    sources = [shape, *shapes.objects(shape, SH.sparql)]
    messages = frozenset(str(m) for source in sources for m in shapes.objects(source, SH.message))
    assert len(messages) == 2, case.shape
    return Finding(case.severity, case.focus, case.path, case.shape, case.component, messages)


def validate(data: Graph, shapes: Graph, ontology: Graph) -> tuple[bool, list[Finding]]:
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    findings = []
    for result in report.objects(None, SH.result):
        component = str(report.value(result, SH.sourceConstraintComponent))
        findings.append(
            Finding(
                severity=curie(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                focus=curie(report.value(result, SH.focusNode)),
                path=curie(report.value(result, SH.resultPath)),
                shape=curie(report.value(result, SH.sourceShape)),
                component=component.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
                messages=frozenset(str(m) for m in report.objects(result, SH.resultMessage)),
            )
        )
    return conforms, sorted(findings, key=repr)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ROOT / "shapes" / "ikg.shapes.ttl", format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "ikg.ttl", format="turtle")


@pytest.fixture(scope="module")
def valid() -> Graph:
    return Graph().parse(VALID, format="turtle")


def test_valid_fixture_conforms_without_any_finding(valid, shapes, ontology):
    conforms, findings = validate(valid, shapes, ontology)
    assert findings == []
    assert conforms is True


@pytest.mark.parametrize("case", VIOLATIONS)
def test_invalid_variant_yields_exactly_the_expected_violation(case, valid, shapes, ontology):
    conforms, findings = validate(case.edit.apply(valid), shapes, ontology)
    assert findings == [expect(case, shapes)]
    assert conforms is False


@pytest.mark.parametrize("case", WARNINGS)
def test_poor_variant_yields_a_warning_and_still_conforms(case, valid, shapes, ontology):
    conforms, findings = validate(case.edit.apply(valid), shapes, ontology)
    assert findings == [expect(case, shapes)]
    assert conforms is True


def test_references_need_only_the_types_of_published_resources(shapes, ontology):
    """As in the ingest: a contribution plus the types (and schemes) of what it points to.

    ``sh:class org:Organization`` accepts an ``ikg:District`` through the ontology's
    rdfs:subClassOf chain, which the validator merges into the data graph.
    """
    contribution = turtle(
        f'{P} a ikg:Project ; skos:prefLabel "Projekt"@de , "Project"@en ; {SOURCE} ;'
        f" ikg:responsibleOrganisation {D} ; ikg:partner {VEREIN} ; dcterms:subject fld:1 ;"
        f" ikg:fundedBy {K} ; ikg:contributesTo {T}"
    )
    published = turtle(
        f"{D} a ikg:District . {VEREIN} a ikg:CivilSocietyOrganisation . {K} a ikg:Programme ."
        f" {T} a ikg:Target . fld:1 a ikg:FieldOfAction ; skos:inScheme fld:scheme"
    )
    _conforms, findings = validate(contribution + published, shapes, ontology)
    assert [f for f in findings if f.focus == P] == []


# --- the table covers the shapes ----------------------------------------------

PARAMETERS = {
    SH["class"]: "Class",
    SH.datatype: "Datatype",
    SH.nodeKind: "NodeKind",
    SH.minCount: "MinCount",
    SH.maxCount: "MaxCount",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.pattern: "Pattern",
    SH.languageIn: "LanguageIn",
    SH.uniqueLang: "UniqueLang",
    SH["in"]: "In",
    SH.hasValue: "HasValue",
    SH["not"]: "Not",
    SH["and"]: "And",
    SH["or"]: "Or",
    SH.xone: "Xone",
    SH.node: "Node",
    SH.qualifiedMinCount: "QualifiedMinCount",
    SH.qualifiedMaxCount: "QualifiedMaxCount",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
    SH.closed: "Closed",
    SH.sparql: "SPARQL",
}


def test_every_constraint_of_the_shapes_has_a_case(shapes):
    """Every (named shape, constraint component) pair is exercised by the tables above."""
    nested = set(shapes.objects(None, SH.node))
    declared = {
        (curie(shape), name)
        for shape in set(shapes.subjects())
        if isinstance(shape, URIRef) and str(shape).startswith(SHAPES_NS) and shape not in nested
        for parameter, name in PARAMETERS.items()
        if (shape, parameter, None) in shapes
    }
    covered = {(p.values[0].shape, p.values[0].component) for p in VIOLATIONS + WARNINGS}
    assert sorted(declared - covered) == []
    assert sorted(covered - declared) == []
