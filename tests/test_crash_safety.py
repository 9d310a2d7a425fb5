"""A load killed with SIGKILL leaves the previous graph intact and the store openable."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time

import pytest
from cli_helpers import IKGRAPH, ROOT, run

BASE = "https://w3id.org/ikg/"
GRAPH = f"{BASE}graph/bulk-contribution"


def _contribution(version: str, count: int) -> str:
    """A made-up contribution of ``count`` projects, every label marked with ``version``."""
    lines = [
        "# Made-up example data for the crash-safety test; not real.",
        "@prefix ikg: <https://w3id.org/ikg/ontology#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix measure: <https://w3id.org/ikg/id/measure/> .",
        "@prefix field: <https://w3id.org/ikg/id/field/> .",
        "@prefix org: <https://w3id.org/ikg/id/organisation/> .",
    ]
    for i in range(count):
        label = f'"Beispielprojekt {i} ({version})"'
        lines.append(
            f"measure:beispiel-{i} a ikg:Project ; skos:prefLabel {label}@de, {label}@en ; "
            f"rdfs:label {label}@de ; "
            "ikg:responsibleOrganisation org:landkreis-06434 ; "
            f"dcterms:subject field:{i % 7 + 1} ; ikg:fundedBy measure:wir ; "
            f"dcterms:source <https://example.org/beispiel/{i}> ."
        )
    return "\n".join(lines) + "\n"


def _graph_state(store) -> tuple[int, set[str], int | None]:
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    q = f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ ?s {label} ?l }} }}"
    labels = run("query", q, "--format", "csv", store=store, check=True).stdout.splitlines()[1:]
    versions = {label.rsplit("(", 1)[-1].rstrip(")") for label in labels}
    n = run(
        "query",
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}",
        "--format",
        "csv",
        store=store,
        check=True,
    ).stdout.splitlines()[1]
    meta = run(
        "query",
        f"SELECT ?n WHERE {{ GRAPH <{BASE}graph/meta> {{ <{GRAPH}> "
        f"<{BASE}ontology#tripleCount> ?n }} }}",
        "--format",
        "csv",
        store=store,
        check=True,
    ).stdout.splitlines()[1:]
    return int(n), versions, int(meta[0]) if meta else None


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    run("build", store=path, check=True)
    return path


def test_sigkill_during_write_keeps_old_or_new_graph(store, tmp_path):
    count = 600
    old = tmp_path / "old" / "bulk-contribution.ttl"
    new = tmp_path / "new" / "bulk-contribution.ttl"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text(_contribution("alt", count), encoding="utf-8")
    new.write_text(_contribution("neu", count), encoding="utf-8")
    run("load", str(old), store=store, check=True)
    n_old, versions, meta_n = _graph_state(store)
    assert versions == {"alt"} and meta_n == n_old

    rng = random.Random(20151119)
    killed_midway = 0
    for attempt in range(4):
        snapshot = tmp_path / f"attempt-{attempt}"
        shutil.copytree(store, snapshot)
        proc = subprocess.Popen(
            [IKGRAPH, "--store", f"oxigraph:{snapshot}", "load", str(new)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "IKGRAPH_CONTRIBUTOR": "test-suite"},
        )
        for line in proc.stderr:
            if line.startswith("valid: writing"):
                break
        time.sleep(rng.uniform(0, 0.15))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stderr.close()
        if proc.returncode == -signal.SIGKILL:
            killed_midway += 1
        n, versions, meta_n = _graph_state(snapshot)
        assert versions in ({"alt"}, {"neu"}), versions
        assert n == n_old
        assert meta_n == n, "the provenance must describe the graph that is there"
    assert killed_midway > 0, "no load was interrupted; the test proved nothing"
