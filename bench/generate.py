"""Synthetic integration-plan graphs for the benchmarks.

Writes a TriG file with made-up measures (programmes and projects) of every
level, the organisations behind them (state bodies, districts, municipalities,
civil-society organisations), targets, indicators and indicator observations,
in the terms of docs/model.md. Every label says that it is synthetic, and the
file header says that the whole file is made up. The seven fields of action
are written too (as synthetic copies), so that the graph stands alone.

Sizes scale with ``--measures``: about 40 triples per measure, so 1,000 /
10,000 / 100,000 measures give about 40 k / 400 k / 4 M triples. One named
graph per synthetic source: one per district (its municipalities,
organisations and the measures they lead), one for the state
(``synthetic-land``), one for indicators and targets and one for the
reference concepts, all under ``https://w3id.org/ikg/graph/synthetic-…``.

The output depends only on ``--measures`` and ``--seed``::

    .venv/bin/python bench/generate.py --measures 10000 --seed 42
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BASE = "https://w3id.org/ikg/"
GRAPH = BASE + "graph/synthetic-"
GEO = "http://dcat-ap.de/def/politicalGeocoding/"
SOURCE = "https://example.org/ikg-synthetic/"
DATA_DIR = Path(__file__).resolve().parent / "data"

PREFIXES = {
    "ikg": BASE + "ontology#",
    "field": BASE + "id/field/",
    "orgn": BASE + "id/organisation/",
    "measure": BASE + "id/measure/",
    "target": BASE + "id/target/",
    "indicator": BASE + "id/indicator/",
    "obs": BASE + "id/observation/",
    "status": BASE + "id/concept/status/",
    "kind": BASE + "id/concept/kind/",
    "sector": BASE + "id/concept/sector/",
    "amount": BASE + "id/concept/amount/",
    "group": BASE + "id/concept/group/",
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "http://schema.org/",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmxd": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmxm": "http://purl.org/linked-data/sdmx/2009/measure#",
    "cv": "http://data.europa.eu/m8g/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

FIELDS = [
    ("Sprache und Bildung", "Language and education"),
    ("Wirtschaft und Arbeitsmarkt", "Economy and labour market"),
    (
        "Gesundheit, Pflege, Familie und Gleichberechtigung",
        "Health, care, family and equality",
    ),
    (
        "Gesellschaftliche und politische Partizipation, Sport, Wohnen und Freizeit",
        "Social and political participation, sport, housing and leisure",
    ),
    ("Religion, Kultur und Medien", "Religion, culture and media"),
    (
        "Interkulturelle Öffnung, Diversity, Antidiskriminierung",
        "Intercultural opening, diversity, anti-discrimination",
    ),
    ("Zuwanderung und Flüchtlinge", "Immigration and refugees"),
]

# (German, English, field of action) for measure labels.
THEMES = [
    ("Sprachcafé", "language café", 1),
    ("Deutschkurs für Eltern", "German course for parents", 1),
    ("Lesepatenschaft", "reading mentorship", 1),
    ("Hausaufgabenhilfe", "homework support", 1),
    ("Berufsorientierung", "vocational orientation", 2),
    ("Anerkennungsberatung", "recognition counselling", 2),
    ("Ausbildungslotsen", "apprenticeship guides", 2),
    ("Gründungsberatung", "start-up counselling", 2),
    ("Gesundheitslotsen", "health guides", 3),
    ("Elternmentoring", "parent mentoring", 3),
    ("Pflegeberatung", "care counselling", 3),
    ("Frauentreff", "women's meeting point", 3),
    ("Integrationsbeirat", "integration council", 4),
    ("Sport für alle", "sport for all", 4),
    ("Nachbarschaftshilfe", "neighbourhood help", 4),
    ("Wohnraumberatung", "housing counselling", 4),
    ("Interreligiöser Dialog", "interreligious dialogue", 5),
    ("Kulturwerkstatt", "culture workshop", 5),
    ("Medienprojekt", "media project", 5),
    ("Diversity-Training", "diversity training", 6),
    ("Antidiskriminierungsberatung", "anti-discrimination counselling", 6),
    ("Interkulturelle Verwaltung", "intercultural administration", 6),
    ("Erstorientierung", "initial orientation", 7),
    ("Flüchtlingsbegleitung", "refugee support", 7),
    ("Willkommenslotsen", "welcome guides", 7),
]

SYLLABLES_A = ["Alt", "Bad", "Berg", "Eich", "Fels", "Grün", "Hain", "Lind", "Nieder", "Ober"]
SYLLABLES_B = ["au", "bach", "born", "burg", "dorf", "feld", "hausen", "heim", "rode", "stadt"]
CSO_KINDS = [
    ("Verein", "verein"),
    ("Migrantenorganisation", "migrantenorganisation"),
    ("Wohlfahrtsverband", "wohlfahrtsverband"),
    ("Sportverein", "sportverein"),
    ("Religionsgemeinschaft", "religionsgemeinschaft"),
    ("Stiftung", "stiftung"),
]
MINISTRIES = [
    ("Ministerium für Soziales und Integration", "Ministry of Social Affairs and Integration"),
    ("Kultusministerium", "Ministry of Education"),
    ("Wirtschaftsministerium", "Ministry of Economic Affairs"),
    ("Innenministerium", "Ministry of the Interior"),
    ("Justizministerium", "Ministry of Justice"),
    ("Wissenschaftsministerium", "Ministry of Science"),
    ("Finanzministerium", "Ministry of Finance"),
    ("Staatskanzlei", "State Chancellery"),
]
GROUPS = ["mit-migrationshintergrund", "ohne-migrationshintergrund", "gesamt"]
YEARS = list(range(2015, 2025))
N_DISTRICTS = 26
N_CITIES = 5  # district-free cities among the districts
OBS_AREAS = 5  # districts observed per indicator


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def de(text: str) -> str:
    return f'"{esc(text)}"@de'


def en(text: str) -> str:
    return f'"{esc(text)}"@en'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^xsd:{datatype}'


def block(graph: str, subject: str, props: list[tuple[str, str | list[str]]]) -> str:
    """One TriG block: ``<graph> { subject p o ; … . }``."""
    parts = []
    for pred, obj in props:
        objs = obj if isinstance(obj, list) else [obj]
        if objs:
            parts.append(f"{pred} {' , '.join(objs)}")
    body = " ;\n    ".join(parts)
    return f"<{GRAPH}{graph}> {{\n  {subject} {body} .\n}}\n"


@dataclass
class Org:
    iri: str  # prefixed name
    kind: str  # state, district, municipality, cso
    district: int  # index of the district, -1 for state bodies
    name: str
    spatial: str = ""
    graph: str = ""
    children: list[str] = field(default_factory=list)


@dataclass
class World:
    measures: int
    rng: random.Random
    districts: list[Org] = field(default_factory=list)
    municipalities: list[Org] = field(default_factory=list)
    csos: list[Org] = field(default_factory=list)
    state: list[Org] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    @property
    def n_programmes(self) -> int:
        return max(10, self.measures // 50)

    @property
    def n_municipalities(self) -> int:
        return max(40, self.measures // 20)

    @property
    def n_csos(self) -> int:
        return max(30, self.measures // 10)

    @property
    def n_indicators(self) -> int:
        return max(10, self.measures // 100)

    @property
    def n_targets(self) -> int:
        return max(20, self.measures // 20)


def place_name(i: int) -> str:
    a = SYLLABLES_A[i % len(SYLLABLES_A)]
    b = SYLLABLES_B[(i // len(SYLLABLES_A)) % len(SYLLABLES_B)]
    n = i // (len(SYLLABLES_A) * len(SYLLABLES_B))
    return f"{a}{b}" + (f" {n + 1}" if n else "")


def reference_blocks() -> Iterator[str]:
    g = "reference"
    yield block(
        g,
        "field:scheme",
        [
            ("a", "skos:ConceptScheme"),
            (
                "skos:prefLabel",
                [
                    de("Handlungsfelder des Integrationsplans (synthetische Kopie)"),
                    en("Fields of action of the integration plan (synthetic copy)"),
                ],
            ),
            ("skos:hasTopConcept", [f"field:{i}" for i in range(1, 8)]),
        ],
    )
    for i, (label_de, label_en) in enumerate(FIELDS, start=1):
        yield block(
            g,
            f"field:{i}",
            [
                ("a", ["ikg:FieldOfAction", "skos:Concept"]),
                (
                    "skos:prefLabel",
                    [de(f"{label_de} (synthetische Kopie)"), en(f"{label_en} (synthetic copy)")],
                ),
                ("skos:notation", f'"{i}"'),
                ("skos:inScheme", "field:scheme"),
                ("skos:topConceptOf", "field:scheme"),
            ],
        )
    for slug, label in [
        ("geplant", "geplant"),
        ("laufend", "laufend"),
        ("abgeschlossen", "abgeschlossen"),
    ]:
        yield block(
            g,
            f"status:{slug}",
            [("a", "skos:Concept"), ("skos:prefLabel", de(f"{label} (synthetisch)"))],
        )
    for slug in ("gesamt", "bewilligt"):  # the amount types of budget()
        yield block(
            g,
            f"amount:{slug}",
            [("a", "skos:Concept"), ("skos:prefLabel", de(f"{slug} (synthetisch)"))],
        )


def organisation_blocks(world: World) -> Iterator[str]:
    rng = world.rng
    # State bodies: the Land, ministries, departments, units (org:subOrganizationOf).
    land = Org("orgn:synthetic-land", "state", -1, "Land (synthetisch)", graph="land")
    world.state.append(land)
    yield block(
        "land",
        land.iri,
        [
            ("a", ["ikg:StateBody", "cv:PublicOrganisation", "org:FormalOrganization"]),
            ("skos:prefLabel", [de("Land (synthetisch)"), en("State (synthetic)")]),
            ("dcterms:spatial", f"<{GEO}stateKey/06>"),
        ],
    )
    for m, (name_de, name_en) in enumerate(MINISTRIES):
        ministry = Org(f"orgn:synthetic-ministerium-{m}", "state", -1, name_de, graph="land")
        world.state.append(ministry)
        yield block(
            "land",
            ministry.iri,
            [
                ("a", ["ikg:StateBody", "cv:PublicOrganisation", "org:FormalOrganization"]),
                (
                    "skos:prefLabel",
                    [de(f"{name_de} (synthetisch)"), en(f"{name_en} (synthetic)")],
                ),
                ("org:subOrganizationOf", land.iri),
            ],
        )
        for a in range(3):
            dept = Org(f"{ministry.iri}-abteilung-{a}", "state", -1, "", graph="land")
            world.state.append(dept)
            yield block(
                "land",
                dept.iri,
                [
                    ("a", ["ikg:StateBody", "org:OrganizationalUnit"]),
                    (
                        "skos:prefLabel",
                        [
                            de(f"Abteilung {a + 1}, {name_de} (synthetisch)"),
                            en(f"Department {a + 1}, {name_en} (synthetic)"),
                        ],
                    ),
                    ("org:subOrganizationOf", ministry.iri),
                ],
            )
            for r in range(3):
                unit = Org(f"{dept.iri}-referat-{r}", "state", -1, "", graph="land")
                world.state.append(unit)
                yield block(
                    "land",
                    unit.iri,
                    [
                        ("a", ["ikg:StateBody", "org:OrganizationalUnit"]),
                        (
                            "skos:prefLabel",
                            [
                                de(f"Referat {a + 1}{r + 1}, {name_de} (synthetisch)"),
                                en(f"Unit {a + 1}{r + 1}, {name_en} (synthetic)"),
                            ],
                        ),
                        ("org:subOrganizationOf", dept.iri),
                    ],
                )

    # Districts: made-up keys 069xx (no real Hessian district has them).
    for d in range(N_DISTRICTS):
        key = f"069{d + 10:02d}"
        city = d < N_CITIES
        name = place_name(d * 7 + 3)
        label = f"{'Stadt' if city else 'Landkreis'} {name} (synthetisch)"
        slug = f"synthetic-{'stadt' if city else 'landkreis'}-{key}"
        org = Org(
            f"orgn:{slug}",
            "district",
            d,
            f"{'Stadt' if city else 'Landkreis'} {name}",
            spatial=f"<{GEO}districtKey/{key}>",
            graph=f"district-{key}",
        )
        world.districts.append(org)
        props: list[tuple[str, str | list[str]]] = [
            ("a", ["ikg:District", "cv:PublicOrganisation", "org:FormalOrganization"]),
            ("skos:prefLabel", [de(label), en(label.replace("synthetisch", "synthetic"))]),
            ("ikg:districtKey", f'"{key}"'),
            ("org:classification", "kind:kreisfreie-stadt" if city else "kind:landkreis"),
            ("dcterms:spatial", org.spatial),
            ("dcterms:source", f"<{SOURCE}district>"),
        ]
        if city:
            props.append(("ikg:ags", f'"{key}000"'))
        yield block(org.graph, org.iri, props)

    for i in range(world.n_municipalities):
        d = N_CITIES + i % (N_DISTRICTS - N_CITIES)
        district = world.districts[d]
        ags = f"{district.iri[-5:]}{i // (N_DISTRICTS - N_CITIES) + 1:03d}"
        name = place_name(i + 100)
        org = Org(
            f"orgn:synthetic-gemeinde-{ags}",
            "municipality",
            d,
            f"Gemeinde {name}",
            spatial=f"<{GEO}municipalityKey/{ags}>",
            graph=district.graph,
        )
        world.municipalities.append(org)
        yield block(
            org.graph,
            org.iri,
            [
                ("a", ["ikg:Municipality", "cv:PublicOrganisation", "org:FormalOrganization"]),
                (
                    "skos:prefLabel",
                    [de(f"Gemeinde {name} (synthetisch)"), en(f"Municipality {name} (synthetic)")],
                ),
                ("ikg:ags", f'"{ags}"'),
                ("ikg:inDistrict", district.iri),
                ("dcterms:spatial", org.spatial),
                ("dcterms:source", f"<{SOURCE}municipality>"),
            ],
        )

    for i in range(world.n_csos):
        d = rng.randrange(N_DISTRICTS)
        district = world.districts[d]
        kind_de, kind_slug = CSO_KINDS[i % len(CSO_KINDS)]
        name = place_name(rng.randrange(400))
        org = Org(
            f"orgn:synthetic-zivilgesellschaft-{i:06d}",
            "cso",
            d,
            f"{kind_de} {name}",
            spatial=district.spatial,
            graph=district.graph,
        )
        world.csos.append(org)
        yield block(
            org.graph,
            org.iri,
            [
                ("a", ["ikg:CivilSocietyOrganisation", "org:FormalOrganization"]),
                (
                    "skos:prefLabel",
                    [
                        de(f"{kind_de} {name} {i} (synthetisch)"),
                        en(f"{kind_de} {name} {i} (synthetic)"),
                    ],
                ),
                ("org:classification", f"sector:{kind_slug}"),
                ("dcterms:spatial", org.spatial),
            ],
        )


def indicator_blocks(world: World) -> Iterator[str]:
    rng = world.rng
    g = "indikatoren"
    yield block(
        g,
        "indicator:dataset",
        [
            ("a", "qb:DataSet"),
            (
                "rdfs:label",
                [de("Indikatorwerte (synthetisch)"), en("Indicator values (synthetic)")],
            ),
        ],
    )
    for k in range(world.n_indicators):
        slug = f"synthetic-indikator-{k:04d}"
        unit = "%" if k % 3 else "Personen"
        yield block(
            g,
            f"indicator:{slug}",
            [
                ("a", ["ikg:Indicator", "qb:MeasureProperty", "skos:Concept"]),
                (
                    "skos:prefLabel",
                    [de(f"Indikator {k} (synthetisch)"), en(f"Indicator {k} (synthetic)")],
                ),
                ("skos:definition", de(f"Erfundener Indikator Nummer {k} für Benchmarks.")),
                ("ikg:unit", f'"{unit}"'),
                ("dcterms:source", f"<{SOURCE}indicator>"),
            ],
        )
        # OBS_AREAS districts × 10 years × 3 population groups = 150 observations.
        for a in range(OBS_AREAS):
            district = world.districts[(k + a * 5) % N_DISTRICTS]
            key = district.iri[-5:]
            level = rng.uniform(5, 60)
            for year in YEARS:
                for group in GROUPS:
                    value = round(level + (year - 2015) * rng.uniform(-0.5, 1.5), 2)
                    yield block(
                        g,
                        f"obs:{slug}-{key}-{year}-{group}",
                        [
                            ("a", "qb:Observation"),
                            ("qb:dataSet", "indicator:dataset"),
                            ("ikg:indicator", f"indicator:{slug}"),
                            ("sdmxd:refArea", district.spatial),
                            ("ikg:refYear", typed(year, "gYear")),
                            ("ikg:populationGroup", f"group:{group}"),
                            ("sdmxm:obsValue", typed(value, "decimal")),
                            ("ikg:unit", f'"{unit}"'),
                            ("dcterms:source", f"<{SOURCE}observation>"),
                        ],
                    )
    for t in range(world.n_targets):
        slug = f"synthetic-ziel-{t:05d}"
        world.targets.append(f"target:{slug}")
        k = t % world.n_indicators
        fld = t % 7 + 1
        baseline = round(rng.uniform(5, 50), 1)
        yield block(
            g,
            f"target:{slug}",
            [
                ("a", ["ikg:Target", "skos:Concept"]),
                (
                    "skos:prefLabel",
                    [de(f"Ziel {t} (synthetisch)"), en(f"Target {t} (synthetic)")],
                ),
                ("ikg:indicator", f"indicator:synthetic-indikator-{k:04d}"),
                ("ikg:baselineValue", typed(baseline, "decimal")),
                ("ikg:baselineYear", typed(2015 + t % 3, "gYear")),
                ("ikg:targetValue", typed(round(baseline * 1.2, 1), "decimal")),
                ("ikg:unit", '"%"' if k % 3 else '"Personen"'),
                ("ikg:deadline", typed(f"{2025 + t % 6}-12-31", "date")),
                ("dcterms:subject", f"field:{fld}"),
                ("dcterms:source", f"<{SOURCE}target>"),
            ],
        )


def period(rng: random.Random) -> tuple[list[tuple[str, str | list[str]]], str]:
    start = rng.choice([*YEARS[2:], 2025, 2026])
    end = start + rng.randint(1, 4)
    if rng.random() < 0.7:
        dates = [
            ("schema:startDate", typed(f"{start}-{rng.randint(1, 12):02d}-01", "date")),
            ("schema:endDate", typed(f"{end}-12-31", "date")),
        ]
    else:
        dates = [
            ("schema:startDate", typed(start, "gYear")),
            ("schema:endDate", typed(end, "gYear")),
        ]
    status = "abgeschlossen" if end < 2025 else ("laufend" if start <= 2025 else "geplant")
    return dates, status


def budget(rng: random.Random, year: int, kind: str) -> str:
    value = rng.randrange(5, 5000) * 1000
    return (
        f"[ a schema:MonetaryAmount ; schema:value {typed(f'{value}.00', 'decimal')} ; "
        f'schema:currency "EUR" ; ikg:budgetYear {typed(year, "gYear")} ; '
        f"ikg:amountType amount:{kind} ]"
    )


def measure_blocks(world: World) -> Iterator[str]:
    rng = world.rng
    n_prog = world.n_programmes
    ministries = [o for o in world.state if o.iri.count("-") == 2]  # synthetic-ministerium-N
    departments = [o for o in world.state if "abteilung" in o.iri and "referat" not in o.iri]
    units = [o for o in world.state if "referat" in o.iri]
    by_district: list[list[Org]] = [[] for _ in range(N_DISTRICTS)]
    for cso in world.csos:
        by_district[cso.district].append(cso)

    for j in range(n_prog):
        slug = f"synthetic-programm-{j:04d}"
        iri = f"measure:{slug}"
        world.programmes.append(iri)
        theme_de, theme_en, fld = THEMES[j % len(THEMES)]
        owner = rng.choice(ministries if j < 5 else departments)
        dates, status = period(rng)
        labels = [
            de(f"Landesprogramm {theme_de} {j} (synthetisch)"),
            en(f"State programme {theme_en} {j} (synthetic)"),
        ]
        props: list[tuple[str, str | list[str]]] = [
            ("a", ["ikg:Programme", "ikg:Measure"]),
            ("skos:prefLabel", labels),
            ("rdfs:label", labels),
            (
                "dcterms:description",
                [
                    de(f"Erfundenes Landesprogramm zum Thema {theme_de}; synthetische Daten."),
                    en(f"Made-up state programme on {theme_en}; synthetic data."),
                ],
            ),
            ("ikg:responsibleOrganisation", owner.iri),
            ("schema:funder", world.state[0].iri),
            ("dcterms:subject", f"field:{fld}"),
            *dates,
            ("ikg:budget", budget(rng, 2020 + j % 5, "gesamt")),
            ("dcterms:spatial", f"<{GEO}stateKey/06>"),
            ("ikg:status", f"status:{status}"),
            ("ikg:contributesTo", rng.sample(world.targets, 2)),
            ("dcterms:source", f"<{SOURCE}programme>"),
        ]
        if j >= 5:  # programme tree: 5 roots, four sub-programmes each, and so on
            props.append(("dcterms:isPartOf", world.programmes[(j - 5) // 4]))
        yield block("land", iri, props)

    for i in range(world.measures - n_prog):
        slug = f"synthetic-projekt-{i:06d}"
        theme_de, theme_en, fld = THEMES[rng.randrange(len(THEMES))]
        roll = rng.random()
        if roll < 0.10:
            owner = rng.choice(units)
        elif roll < 0.20:
            owner = rng.choice(world.districts)
        elif roll < 0.65:
            owner = rng.choice(world.municipalities)
        else:
            owner = rng.choice(world.csos)
        if owner.kind == "state":
            graph, place, spatial = "land", "Land", f"<{GEO}stateKey/06>"
            local = world.csos
        else:
            graph, place, spatial = owner.graph, owner.name, owner.spatial
            local = by_district[owner.district] or world.csos
        partners = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            pool = local if rng.random() < 0.8 else world.municipalities
            partner = rng.choice(pool).iri
            if partner != owner.iri and partner not in partners:
                partners.append(partner)
        fields = [f"field:{fld}"]
        if rng.random() < 0.4:
            other = f"field:{rng.randint(1, 7)}"
            if other not in fields:
                fields.append(other)
        dates, status = period(rng)
        start_year = int(dates[0][1][1:5])
        labels = [
            de(f"{theme_de} {place} {i} (synthetisch)"),
            en(f"{theme_en} {place} {i} (synthetic)"),
        ]
        props = [
            ("a", ["ikg:Project", "ikg:Measure"]),
            ("skos:prefLabel", labels),
            ("rdfs:label", labels),
            (
                "dcterms:description",
                [
                    de(f"Erfundenes Projekt: {theme_de} in {place}; synthetische Daten."),
                    en(f"Made-up project: {theme_en} in {place}; synthetic data."),
                ],
            ),
            ("ikg:responsibleOrganisation", owner.iri),
            ("ikg:partner", partners),
            ("dcterms:subject", fields),
            *dates,
            ("ikg:budget", budget(rng, start_year, "bewilligt")),
            ("dcterms:spatial", spatial),
            ("ikg:status", f"status:{status}"),
            ("dcterms:source", f"<{SOURCE}project>"),
        ]
        if rng.random() < 0.7:
            programme = rng.choice(world.programmes)
            props.append(("dcterms:isPartOf", programme))
            if rng.random() < 0.8:
                props.append(("ikg:fundedBy", programme))
        elif rng.random() < 0.3:
            props.append(("ikg:fundedBy", rng.choice(world.programmes)))
        if rng.random() < 0.6:
            props.append(("ikg:contributesTo", rng.choice(world.targets)))
        yield block(graph, f"measure:{slug}", props)


def header(measures: int, seed: int) -> str:
    lines = [
        "# SYNTHETIC DATA. Everything in this file is made up for benchmarks:",
        "# the organisations, districts, municipalities, measures, budgets, targets",
        "# and indicator values do not exist. District keys 069xx are not real.",
        f"# Generated by bench/generate.py --measures {measures} --seed {seed}.",
    ]
    lines += [f"@prefix {p}: <{iri}> ." for p, iri in PREFIXES.items()]
    return "\n".join(lines) + "\n\n"


def generate(measures: int, seed: int, out: Path) -> Path:
    """Write the synthetic graph to ``out`` and return it."""
    world = World(measures, random.Random(seed))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(header(measures, seed))
        for gen in (
            reference_blocks(),
            organisation_blocks(world),
            indicator_blocks(world),
            measure_blocks(world),
        ):
            buf: list[str] = []
            for text in gen:
                buf.append(text)
                if len(buf) >= 5000:
                    f.write("".join(buf))
                    buf.clear()
            f.write("".join(buf))
    tmp.replace(out)
    return out


def data_path(measures: int, seed: int = 42) -> Path:
    return DATA_DIR / f"synthetic-{measures}-s{seed}.trig"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measures", type=int, default=1000, help="number of measures")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, help="output file (default bench/data/…)")
    args = parser.parse_args(argv)
    out = args.out or data_path(args.measures, args.seed)
    t0 = time.perf_counter()
    generate(args.measures, args.seed, out)
    size = out.stat().st_size / 1e6
    print(f"{out}: {size:.1f} MB in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
