"""The server killed with SIGKILL during writes, 20 times: the store stays whole.

``ikgraph serve`` runs on an on-disk store; a contributor replaces a graph
through the Graph Store Protocol (``PUT /graph-store`` with a bearer token)
and the server is killed at a random moment of that request, then restarted.
After every restart the store opens, the graph holds either its old or its new
version (never a mix, never nothing), and the metadata graph's triple count of
every graph agrees with the graph.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from cli_helpers import IKGRAPH, ROOT, run
from test_crash_safety import _contribution

from ikgraph import tokens

BASE = "https://w3id.org/ikg/"
GRAPH = f"{BASE}graph/bulk-contribution"
ROUNDS = 20
PROJECTS = 60
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
COUNTS = f"""SELECT ?g ?n ?meta WHERE {{
  {{ SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g }}
  OPTIONAL {{ GRAPH <{BASE}graph/meta> {{ ?g <{BASE}ontology#tripleCount> ?meta }} }}
}}"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``ikgraph serve`` on a store, as a subprocess that can be killed."""

    def __init__(self, store: Path, token_file: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "IKGRAPH_TOKENS_FILE": str(token_file),
            "IKGRAPH_RATE_LIMIT_WRITE": "",
            "IKGRAPH_RATE_LIMIT_QUERY": "",
            "IKGRAPH_QUERY_WORKERS": "1",
        }
        cmd = [IKGRAPH, "--store", f"oxigraph:{store}", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._stderr: list[bytes] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                log = b"".join(self._stderr).decode(errors="replace")[-1500:]
                pytest.fail(f"the server did not start: {log}")
            try:
                requests.get(f"{self.url}/sparql", params={"query": "ASK {}"}, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the server did not answer within 30 s")

    def _drain(self) -> None:
        with self.process.stderr:
            for line in self.process.stderr:
                self._stderr.append(line)

    def query(self, text: str) -> list[dict]:
        response = requests.get(
            f"{self.url}/sparql", params={"query": text, "format": "json"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]["bindings"]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)


def _state(server: Server) -> set[str]:
    """The versions the graph holds, after checking the metadata of every graph."""
    for row in server.query(COUNTS):
        if row["g"]["value"] != f"{BASE}graph/meta":
            assert "meta" in row, f"{row['g']['value']} has no triple count in the metadata"
            assert row["meta"]["value"] == row["n"]["value"], row
    labels = server.query(f"SELECT ?l WHERE {{ GRAPH <{GRAPH}> {{ ?s {LABEL} ?l }} }}")
    assert len(labels) == PROJECTS
    return {row["l"]["value"].rsplit("(", 1)[-1].rstrip(")") for row in labels}


def _put(url: str, token: str, body: bytes, outcome: list) -> None:
    try:
        response = requests.put(
            f"{url}/graph-store",
            params={"graph": GRAPH},
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"},
            timeout=60,
        )
        outcome.append(response.status_code)
    except requests.RequestException:
        outcome.append("cut")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("server-crash") / "store"
    run("build", store=path, check=True)
    return path


def test_sigkill_of_the_server_during_writes_keeps_every_graph_whole(built, tmp_path):
    token_file = tmp_path / "tokens.json"
    token = tokens.add(token_file, "test-suite", ["bulk-*"])
    bodies = {v: _contribution(v, PROJECTS).encode() for v in [f"v{n}" for n in range(ROUNDS + 1)]}

    server = Server(built, token_file)
    started = time.monotonic()
    first: list = []
    _put(server.url, token, bodies["v0"], first)
    write_seconds = time.monotonic() - started
    print(f"one write takes {write_seconds:.2f} s")
    assert first == [201] or first == [200] or first == [204], first
    assert _state(server) == {"v0"}

    rng = random.Random(20150319)
    current, interrupted, outcomes = "v0", 0, []
    for n in range(1, ROUNDS + 1):
        outcome: list = []
        writer = threading.Thread(target=_put, args=(server.url, token, bodies[f"v{n}"], outcome))
        writer.start()
        time.sleep(rng.uniform(0, 1.2 * write_seconds))
        server.kill()
        writer.join(timeout=60)
        interrupted += outcome == ["cut"]
        outcomes.append(outcome[0])
        server = Server(built, token_file)  # the store opens
        versions = _state(server)
        assert versions in ({current}, {f"v{n}"}), (n, versions, outcome)
        if outcome != ["cut"]:
            assert versions == {f"v{n}"}, "an answered write is in the store"
        current = versions.pop()
    server.kill()
    assert interrupted > 0, f"no write was cut off; the test proved nothing: {outcomes}"
