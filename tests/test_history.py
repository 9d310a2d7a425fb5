"""Versions of graphs: history, diff and rollback (CLI and service), and concurrent writers.

The contributions are the made-up project of ``test_contrib.py`` in two
versions; the published reference data is ``tiny.trig``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading

import pyoxigraph as ox
import pytest
import requests
from cli_helpers import FIXTURES, IKGRAPH, ROOT, run
from test_contrib import BASE, PROJECT, G, bearer, project, put

from ikgraph import history, tokens
from ikgraph.ingest import ingest
from ikgraph.sources import Source
from ikgraph.store import OxigraphStore

V1 = project("Lesepaten (Beispiel)")
V2 = project("Lesepatenschaften (Beispiel)")
LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


def german_label(store) -> list[str]:
    rows = store.query(f'SELECT ?l WHERE {{ <{PROJECT}> <{LABEL}> ?l FILTER(lang(?l) = "de") }}')
    return [row["l"].value for row in rows]


def meta_sha(store) -> list[str]:
    """The checksum the metadata graph records for the graph's current source."""
    rows = store.query(
        f"SELECT ?sha WHERE {{ GRAPH <{BASE}graph/meta> {{ <{G}> <{BASE}ontology#sha256> ?sha }} }}"
    )
    return [row["sha"].value for row in rows]


# --- the command line ---------------------------------------------------------------


@pytest.fixture
def disk(tmp_path):
    """A store on disk with the reference data, and two versions of one contribution."""
    path = tmp_path / "store"
    run("load", "--bulk", str(FIXTURES / "tiny.trig"), store=path, check=True)
    for name, body in (("a", V1), ("b", V2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "kreis-lesepaten.ttl").write_bytes(body)
    return path


def test_history_diff_and_rollback_on_the_command_line(disk, tmp_path):
    run("load", str(tmp_path / "a" / "kreis-lesepaten.ttl"), store=disk, check=True)
    run("load", str(tmp_path / "b" / "kreis-lesepaten.ttl"), store=disk, check=True)
    shown = run("history", "kreis-lesepaten", store=disk, check=True).stdout.splitlines()
    assert shown[0] == f"<{G}>"
    assert "   1 " in shown[1] and "+8 -0" in shown[1] and "kreis-lesepaten.ttl" in shown[1]
    assert "   2 " in shown[2] and "+1 -1" in shown[2] and "test-suite" in shown[2]
    versions = json.loads(run("history", G, "--format", "json", store=disk, check=True).stdout)
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["sha256"] == hashlib.sha256(V2).hexdigest()

    changed = run("diff", "kreis-lesepaten", "1", "2", store=disk, check=True)
    assert changed.stdout.splitlines() == [
        f'- <{PROJECT}> <{LABEL}> "Lesepaten (Beispiel)"@de .',
        f'+ <{PROJECT}> <{LABEL}> "Lesepatenschaften (Beispiel)"@de .',
    ]
    assert "1 removed, 1 added" in changed.stderr

    back = run("rollback", "kreis-lesepaten", "1", store=disk)
    assert back.returncode == 0, back.stderr
    assert "version 3" in back.stdout
    assert run("diff", "kreis-lesepaten", "1", "3", store=disk, check=True).stdout == ""
    out = run("export", "--format", "nq", store=disk, check=True).stdout
    assert "Lesepaten (Beispiel)" in out and "Lesepatenschaften" not in out  # no old versions
    assert (disk.parent / "store-history").is_dir()

    unknown = run("rollback", "kreis-lesepaten", "9", store=disk)
    assert unknown.returncode == 2 and "no version 9" in unknown.stderr


def test_token_add_prints_the_token_once_and_stores_its_hash(tmp_path):
    path = tmp_path / "tokens.json"
    env = {"IKGRAPH_TOKENS_FILE": str(path)}
    made = run("token", "add", "kreis-hochtaunus", "--graphs", "kreis-*", "hochtaunus-*", env=env)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    entries = tokens.read(path)
    assert entries["kreis-hochtaunus"] == {
        "sha256": tokens.digest(secret),
        "graphs": ["kreis-*", "hochtaunus-*"],
    }
    assert secret not in path.read_text()
    listed = run("token", "list", env=env, check=True).stdout
    assert listed == "kreis-hochtaunus\tkreis-* hochtaunus-*\n"
    assert run("token", "add", "x", "--graphs", "y").returncode == 2  # no tokens file set


# --- in the store and through the service ------------------------------------------------


def test_a_graph_written_another_way_is_kept_as_a_version_before_it_is_replaced(store):
    old = [
        ox.Quad(
            ox.NamedNode(PROJECT),
            ox.NamedNode(LABEL),
            ox.Literal("Alt", language="de"),
            ox.NamedNode(G),
        )
    ]
    store.replace_graphs({G: old})  # as `load --bulk` does: no version recorded
    result = ingest(store, [Source("kreis-lesepaten", V1, ox.RdfFormat.TURTLE)], contributor="k")
    assert result.accepted and result.versions == {G: 2}
    first, second = history.versions(store, G)
    assert (first.triples, first.added) == (1, None)
    assert (second.added, second.removed) == (8, 1)
    removed, _added = history.diff(store, G, 1, 2)
    assert removed == [f'<{PROJECT}> <{LABEL}> "Alt"@de .']


def test_blank_nodes_do_not_make_a_diff():
    budget = '<a:m> <a:budget> [ <a:value> "1" ; <a:year> "2024" ] , [ <a:value> "2" ] .'
    first = history.canonical(ox.parse(budget.encode(), format=ox.RdfFormat.TURTLE))
    second = history.canonical(ox.parse(budget.encode(), format=ox.RdfFormat.TURTLE))
    assert first == second and len(first) == 5


def test_history_page_and_version_content(make_app, tmp_path):
    path = tmp_path / "tokens.json"
    token = tokens.add(path, "kreis-hochtaunus", ["kreis-*"])
    client = make_app(TOKENS_FILE=str(path), RATE_LIMIT_WRITE="").test_client()
    assert put(client, V1, token).status_code == 201
    assert put(client, V2, token).status_code == 200
    page = client.get("/history/kreis-lesepaten", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "kreis-hochtaunus" in html and "+1" in html and "−1" in html
    assert 'rel="alternate"' in page.headers["Link"]
    data = client.get("/history/kreis-lesepaten").get_json()
    assert data["graph"] == G and [v["number"] for v in data["versions"]] == [1, 2]
    old = client.get(data["versions"][0]["href"], headers={"Accept": "text/turtle"})
    assert old.status_code == 200 and b"Lesepaten (Beispiel)" in old.data
    assert client.get("/history/kreis-lesepaten/7").status_code == 404
    assert client.get("/history/nichts").status_code == 404


# --- concurrent writers --------------------------------------------------------------------


def test_two_threads_putting_at_once_leave_one_version_whole(make_app, serve, store, tmp_path):
    path = tmp_path / "tokens.json"
    token = tokens.add(path, "kreis-hochtaunus", ["kreis-*"])
    url = serve(make_app(TOKENS_FILE=str(path), RATE_LIMIT_WRITE=""))
    bodies = {
        "Lesepaten (Beispiel)": V1,
        "Lesepatenschaften (Beispiel)": V2,
    }
    for _ in range(10):
        start = threading.Barrier(2)
        codes: list[int] = []

        def write(body: bytes, start=start, codes=codes) -> None:
            start.wait()
            answer = requests.put(
                f"{url}/graph-store",
                params={"graph": G},
                data=body,
                headers={"Content-Type": "text/turtle", **bearer(token)},
                timeout=60,
            )
            codes.append(answer.status_code)

        threads = [threading.Thread(target=write, args=(b,)) for b in bodies.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) in ([200, 200], [200, 201]), codes
        [label] = german_label(store)
        winner = bodies[label]
        got = store.dump(None, ox.RdfFormat.N_TRIPLES, graph=G)
        expected = ox.serialize(
            ox.parse(winner, format=ox.RdfFormat.TURTLE, base_iri=f"{BASE}id/"),
            format=ox.RdfFormat.N_TRIPLES,
        )
        assert sorted(got.splitlines()) == sorted(expected.splitlines())
        assert meta_sha(store) == [hashlib.sha256(winner).hexdigest()]
        newest = history.versions(store, G)[-1]
        assert newest.sha256 == hashlib.sha256(winner).hexdigest()
    assert [v.number for v in history.versions(store, G)] == list(range(1, 21))


def test_two_threads_merging_at_once_never_mix(make_app, serve, store, tmp_path):
    path = tmp_path / "tokens.json"
    token = tokens.add(path, "kreis-hochtaunus", ["kreis-*"])
    url = serve(make_app(TOKENS_FILE=str(path), RATE_LIMIT_WRITE=""))
    assert (
        requests.put(
            f"{url}/graph-store",
            params={"graph": G},
            data=V1,
            headers={"Content-Type": "text/turtle", **bearer(token)},
            timeout=60,
        ).status_code
        == 201
    )
    alt = "http://www.w3.org/2004/02/skos/core#altLabel"
    for round_ in range(5):
        start = threading.Barrier(2)
        codes: dict[str, int] = {}

        def merge(name: str, start=start, codes=codes) -> None:
            start.wait()
            answer = requests.post(
                f"{url}/graph-store",
                params={"graph": G},
                data=f'<{PROJECT}> <{alt}> "{name}"@de .\n'.encode(),
                headers={"Content-Type": "application/n-triples", **bearer(token)},
                timeout=60,
            )
            codes[name] = answer.status_code

        names = [f"a{round_}", f"b{round_}"]
        threads = [threading.Thread(target=merge, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(codes.values()) <= {200, 409} and 200 in codes.values(), codes
        present = {
            row["l"].value for row in store.query(f"SELECT ?l WHERE {{ <{PROJECT}> <{alt}> ?l }}")
        }
        for name, code in codes.items():
            assert (name in present) == (code == 200)


def test_two_processes_loading_at_once_leave_one_version_whole(disk, tmp_path):
    bodies = {"Lesepaten (Beispiel)": V1, "Lesepatenschaften (Beispiel)": V2}
    for _ in range(2):
        procs = [
            subprocess.Popen(
                [
                    IKGRAPH,
                    "--store",
                    f"oxigraph:{disk}",
                    "load",
                    str(tmp_path / n / "kreis-lesepaten.ttl"),
                ],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in ("a", "b")
        ]
        outcomes = [(p.communicate(timeout=120)[1], p.returncode) for p in procs]
        assert any(code == 0 for _err, code in outcomes), outcomes
        for err, code in outcomes:  # a second process cannot open the store: refused whole
            assert code == 0 or (code == 2 and "another ikgraph process" in err), err
        store = OxigraphStore(disk, base=BASE)
        try:
            [label] = german_label(store)
            sha = hashlib.sha256(bodies[label]).hexdigest()
            assert meta_sha(store) == [sha]
            assert history.versions(store, G)[-1].sha256 == sha
        finally:
            store.close()
