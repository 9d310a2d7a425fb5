"""The HTML side: home page, query page, server-side results, example queries, static files."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rdflib
import requests
from conftest import ROOT

from ikgraph.views.ui import load_examples, read_example

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXAMPLES = sorted((ROOT / "queries").glob("*.rq"))


class Links(HTMLParser):
    """Every href and src of a page, and the text of its textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.textareas: list[str] = []
        self._in_textarea = False

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("href", "src") and v]
        self._in_textarea = tag == "textarea"

    def handle_endtag(self, tag):
        self._in_textarea = False

    def handle_data(self, data):
        if self._in_textarea:
            self.textareas.append(data)


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def test_home_page_says_what_it_is_and_how_much_it_holds(live_server):
    response = requests.get(f"{live_server}/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.text
    assert "Hessischer Integrationsplan" in html
    assert re.search(r"<strong>64</strong> triples in\s*<strong>2</strong> named graphs", html)
    assert "https://w3id.org/ikg/graph/tiny-measures" in html
    links = parse(html).urls
    assert "/sparql" in links and "/sparql?format=ttl" in links
    assert 'rel="alternate"' in response.headers["Link"]
    assert "Die sieben Handlungsfelder" in html  # an example title from queries/


def test_query_page_for_browsers_with_prefixes_examples_and_no_external_resources(live_server):
    response = requests.get(f"{live_server}/sparql", headers={"Accept": BROWSER})
    page = parse(response.text)
    editor = "".join(page.textareas)
    for prefix in ("ikg", "org", "skos", "dcterms", "schema", "prov", "qb", "rdfs"):
        assert f"PREFIX {prefix}: <" in editor
    assert "/static/query.js" in page.urls and "/static/ikgraph.css" in page.urls
    for url in page.urls:  # links to the data's IRIs are fine; loaded resources must be local
        assert url.startswith(("/", "#")), url
    for example in EXAMPLES:
        assert f"/sparql?example={example.stem}" in page.urls
    assert response.headers["Vary"] == "Accept"
    for static in ("query.js", "ikgraph.css"):
        asset = requests.get(f"{live_server}/static/{static}")
        assert asset.status_code == 200
        assert not re.search(r"https?://(?!www\.w3\.org/)", asset.text), static


def test_example_link_fills_the_editor(live_server):
    response = requests.get(
        f"{live_server}/sparql?example=organisationen", headers={"Accept": BROWSER}
    )
    editor = "".join(parse(response.text).textareas)
    assert editor == (ROOT / "queries" / "organisationen.rq").read_text(encoding="utf-8")


def test_form_without_javascript_gets_an_html_table(live_server):
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?thing ?label WHERE { ?thing skos:prefLabel ?label ; "
        "<https://w3id.org/ikg/ontology#partner> ?partner }"
    )
    response = requests.get(f"{live_server}/sparql", params={"query": query, "format": "html"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.text
    assert "Sprachkurs für Mütter (Beispiel)" in html and 'lang="de"' in html
    assert 'href="/id/measure/sprachkurs-muetter"' in html  # IRIs under the base link locally
    assert "res:measure/sprachkurs-muetter" in html
    downloads = [u for u in parse(html).urls if "query=" in u]
    assert {re.search(r"format=(\w+)", u).group(1) for u in downloads} == {
        "json",
        "xml",
        "csv",
        "tsv",
    }
    assert "".join(parse(html).textareas) == query  # the query stays editable


def test_html_table_for_graphs_and_booleans(live_server):
    construct = "CONSTRUCT WHERE { ?s <http://schema.org/startDate> ?o }"
    html = requests.get(f"{live_server}/sparql", params={"query": construct, "format": "html"}).text
    assert '<th scope="col">predicate</th>' in html
    assert "^^xsd:date" in html and 'href="http://schema.org/startDate"' in html
    downloads = {re.search(r"format=(\w+)", u).group(1) for u in parse(html).urls if "query=" in u}
    assert downloads == {"ttl", "nt", "jsonld", "rdf", "nq", "trig"}
    ask = requests.get(f"{live_server}/sparql", params={"query": "ASK {}", "format": "html"}).text
    assert '<p class="boolean">true</p>' in ask


def test_html_results_mark_a_cut_answer(make_app, serve):
    url = serve(make_app(MAX_ROWS=2))
    html = requests.get(
        f"{url}/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o }"},
        headers={"Accept": BROWSER},
    ).text
    assert html.count("<tr><td>") == 2
    assert "IKGRAPH_MAX_ROWS" in html


def test_requests_the_page_script_sends_are_answered_in_json(live_server):
    """query.js POSTs a form with this Accept header and reads JSON or JSON-LD."""
    accept = {"Accept": "application/sparql-results+json, application/ld+json;q=0.9"}
    select = requests.post(
        f"{live_server}/sparql",
        data={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
        headers=accept,
    )
    assert select.headers["Content-Type"].startswith("application/sparql-results+json")
    construct = requests.post(
        f"{live_server}/sparql", data={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers=accept
    )
    assert construct.headers["Content-Type"].startswith("application/ld+json")
    assert isinstance(construct.json(), list) and construct.json()[0]["@id"]
    error = requests.post(f"{live_server}/sparql", data={"query": "SELECT"}, headers=accept)
    assert error.status_code == 400 and error.headers["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_query_has_a_header_and_answers(live_server, path: Path):
    example = read_example(path)
    assert example.title != path.stem and example.title_en and example.description
    response = requests.get(f"{live_server}/sparql", params={"query": example.query})
    assert response.status_code == 200, response.text
    # The answers on the published data are checked query by query in test_queries.py;
    # on the tiny fixture some queries rightly find nothing, so only the form is checked.
    if response.headers["Content-Type"].startswith("application/sparql-results+json"):
        answer = response.json()
        assert "boolean" in answer or isinstance(answer["results"]["bindings"], list)
    else:
        rdflib.Graph().parse(data=response.text, format="turtle")


def test_examples_are_read_from_the_configured_folder(tmp_path):
    (tmp_path / "b.rq").write_text("# title: Zwei\n# title@en: Two\nASK {}\n", encoding="utf-8")
    (tmp_path / "a.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    first, second = load_examples(tmp_path)
    assert (first.name, first.title, first.title_en, first.description) == ("a", "a", "a", "")
    assert (second.title, second.title_en) == ("Zwei", "Two")
    assert load_examples(tmp_path / "absent") == []


def test_a_missing_queries_folder_leaves_the_page_working(make_app, tmp_path):
    client = make_app(QUERIES_DIR=str(tmp_path / "none")).test_client()
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and b"<textarea" in response.data
    assert client.get("/").status_code == 200


def test_home_counts_follow_writes(client, store):
    assert b"<strong>64</strong> triples" in client.get("/").data
    store.replace_graphs({"https://w3id.org/ikg/graph/tiny-measures": []})
    page = client.get("/").data  # 30 reference triples and the version recorded in graph/meta
    assert b"<strong>31</strong> triples" in page
    assert b"tiny-measures" not in page


# A DOM just large enough for query.js: elements, attributes, children, listeners.
FAKE_DOM = r"""
const fs = require("fs");
const [scriptPath, endpoint, query] = process.argv.slice(1);
class El {
  constructor(tag) {
    Object.assign(this, { tag: tag, attrs: {}, children: [], listeners: {}, dataset: {} });
  }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  append(...c) { this.children.push(...c); }
  replaceChildren(...c) { this.children = [...c]; }
  addEventListener(type, f) { this.listeners[type] = f; }
  all(tag) {
    const els = this.children.filter((c) => typeof c !== "string");
    return els.flatMap((c) => [...(c.tag === tag ? [c] : []), ...c.all(tag)]);
  }
  get text() { return this.children.map((c) => typeof c === "string" ? c : c.text).join(""); }
}
const main = new El("main");
main.dataset = { endpoint: endpoint, base: "https://w3id.org/ikg/", root: "" };
const form = new El("form");
const textarea = Object.assign(new El("textarea"), { value: query });
form.elements = { query: textarea, format: { value: "html" } };
const results = new El("section");
const settings = {
  examples: {},
  prefixes: { res: "https://w3id.org/ikg/id/" },
  resultFormats: ["json", "csv"],
  graphFormats: ["ttl"],
};
const data = { textContent: JSON.stringify(settings) };
globalThis.document = {
  querySelector: (s) => (s.startsWith("main") ? main : null),
  querySelectorAll: () => [],
  getElementById: (id) => ({ "query-form": form, "ikgraph-data": data, results: results })[id],
  createElement: (tag) => new El(tag),
};
eval(fs.readFileSync(scriptPath, "utf8"));
form.listeners.submit({ preventDefault() {} });
const started = Date.now();
(function wait() {
  const ends = (p) => p.attrs.class === "error" || p.attrs.class === "boolean";
  const done = results.all("table").length || results.all("p").some(ends);
  if (!done && Date.now() - started < 5000) return setTimeout(wait, 20);
  console.log(JSON.stringify({
    rows: results.all("tbody").flatMap((b) => b.all("tr")).length,
    links: results.all("a").map((a) => a.attrs.href),
    text: results.text,
  }));
})();
"""


def run_page_script(live_server: str, query: str) -> dict:
    import json
    import subprocess

    script = ROOT / "ikgraph" / "static" / "query.js"
    proc = subprocess.run(
        ["node", "-e", FAKE_DOM, str(script), f"{live_server}/sparql", query],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return json.loads(proc.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_page_script_runs_a_select_by_fetch_and_links_iris_locally(live_server):
    query = (
        "SELECT ?thing ?label WHERE { ?thing <http://www.w3.org/2004/02/skos/core#prefLabel> ?label"
        ' FILTER(lang(?label) = "de") }'
    )
    page = run_page_script(live_server, query)
    assert page["rows"] == 9
    assert "/id/measure/sprachkurs-muetter" in page["links"]
    assert "Sprachkurs für Mütter (Beispiel)" in page["text"] and "@de" in page["text"]
    downloads = [link for link in page["links"] if "format=" in link]
    assert {link.rsplit("format=", 1)[1] for link in downloads} == {"json", "csv"}


@needs_node
def test_page_script_shows_graphs_booleans_and_errors(live_server):
    graph = run_page_script(live_server, "CONSTRUCT WHERE { ?s <http://schema.org/startDate> ?o }")
    assert graph["rows"] == 3 and "3 triples" in graph["text"]
    assert (
        "2023-05-15" in graph["text"] and "^^http://www.w3.org/2001/XMLSchema#date" in graph["text"]
    )
    assert "true" in run_page_script(live_server, "ASK {}")["text"]
    error = run_page_script(live_server, "SELECT nonsense")
    assert "400" in error["text"] and "malformed query" in error["text"]
