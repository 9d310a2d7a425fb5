/* The query page: run queries by fetch and show the answer as a table.
   Without this script the form still works (GET /sparql?format=html). */
"use strict";

(function () {
  const main = document.querySelector("main[data-endpoint]");
  const form = document.getElementById("query-form");
  const dataNode = document.getElementById("ikgraph-data");
  if (!main || !form || !dataNode) return;

  const endpoint = main.dataset.endpoint;
  const base = main.dataset.base;
  const root = main.dataset.root || "";
  const data = JSON.parse(dataNode.textContent);
  const textarea = form.elements.query;
  const results = document.getElementById("results");
  const XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";
  const RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

  function el(name, attrs, ...children) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null && value !== "") node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  /* IRIs under the base link to this service's pages (/id/...). */
  function href(iri) {
    return iri.startsWith(base) ? root + "/" + iri.slice(base.length) : iri;
  }

  function short(iri) {
    for (const [prefix, ns] of Object.entries(data.prefixes)) {
      if (iri.startsWith(ns) && /^[A-Za-z_][\w./-]*$/.test(iri.slice(ns.length))) {
        return prefix + ":" + iri.slice(ns.length);
      }
    }
    return iri;
  }

  /* One cell for a SPARQL JSON term ({type, value, xml:lang, datatype}). */
  function cell(term) {
    if (!term) return el("td");
    if (term.type === "uri") {
      return el("td", {}, el("a", { href: href(term.value), title: term.value }, short(term.value)));
    }
    if (term.type === "bnode") return el("td", {}, "_:" + term.value);
    if (term.type === "triple") {
      const v = term.value;
      return el("td", {}, "<< " + [v.subject, v.predicate, v.object].map((t) => t.value).join(" ") + " >>");
    }
    const lang = term["xml:lang"];
    const note = lang ? "@" + lang : term.datatype && term.datatype !== XSD_STRING ? "^^" + short(term.datatype) : "";
    return el("td", {}, el("span", { lang: lang }, term.value), note ? " " : null, note ? el("small", { class: "note" }, note) : null);
  }

  function table(names, rows) {
    const head = el("tr", {}, ...names.map((n) => el("th", { scope: "col" }, n)));
    const body = el("tbody");
    for (const row of rows) body.append(el("tr", {}, ...row.map(cell)));
    return el("table", { class: "results" }, el("thead", {}, head), body);
  }

  /* Expanded JSON-LD (a flat array of node objects) as subject/predicate/object rows. */
  function jsonldRows(nodes) {
    const node = (id) => (id.startsWith("_:") ? { type: "bnode", value: id.slice(2) } : { type: "uri", value: id });
    const rows = [];
    for (const item of nodes) {
      const subject = node(item["@id"]);
      for (const [key, values] of Object.entries(item)) {
        if (key === "@id") continue;
        for (const value of values) {
          if (key === "@type") rows.push([subject, { type: "uri", value: RDF_TYPE }, node(value)]);
          else if ("@id" in value) rows.push([subject, { type: "uri", value: key }, node(value["@id"])]);
          else {
            rows.push([subject, { type: "uri", value: key },
              { type: "literal", value: String(value["@value"]), "xml:lang": value["@language"], datatype: value["@type"] }]);
          }
        }
      }
    }
    return rows;
  }

  function downloads(query, graph) {
    const keys = graph ? data.graphFormats : data.resultFormats;
    const links = keys.map((key) => el("a", { href: endpoint + "?" + new URLSearchParams({ query: query, format: key }) }, key));
    const p = el("p", { class: "downloads" }, "Download: ");
    links.forEach((link, i) => p.append(link, i < links.length - 1 ? " · " : ""));
    return p;
  }

  async function run(query) {
    results.replaceChildren(el("p", { class: "summary" }, "Running…"));
    const started = performance.now();
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
          Accept: "application/sparql-results+json, application/ld+json;q=0.9",
        },
        body: new URLSearchParams({ query: query }),
      });
    } catch (err) {
      results.replaceChildren(el("p", { class: "error" }, "The endpoint could not be reached: " + err));
      return;
    }
    if (!response.ok) {
      const text = await response.text();
      results.replaceChildren(el("p", { class: "error" }, response.status + " " + response.statusText + "\n" + text));
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    const truncated = response.headers.get("X-Ikgraph-Truncated") === "true";
    const answer = await response.json();
    const ms = Math.round(performance.now() - started);
    const graph = type.startsWith("application/ld+json");
    const parts = [el("h2", {}, "Answer")];
    let count = 0;
    if (graph) {
      const rows = jsonldRows(answer);
      count = rows.length;
      parts.push(table(["subject", "predicate", "object"], rows));
    } else if ("boolean" in answer) {
      parts.push(el("p", { class: "boolean" }, String(answer.boolean)));
    } else {
      const names = answer.head.vars;
      const rows = answer.results.bindings.map((b) => names.map((n) => b[n]));
      count = rows.length;
      parts.push(table(names, rows));
    }
    parts.splice(1, 0, el("p", { class: "summary" }, count + (graph ? " triples" : " rows") + " in " + ms + " ms"));
    if (truncated) {
      parts.push(el("p", { class: "truncated" }, "The answer was cut at the row limit (IKGRAPH_MAX_ROWS); add a LIMIT or narrow the query."));
    }
    parts.push(downloads(query, graph));
    results.replaceChildren(...parts);
  }

  form.addEventListener("submit", (event) => {
    if (form.elements.format.value !== "html") return; /* a download: let the browser follow */
    event.preventDefault();
    run(textarea.value);
  });

  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  for (const link of document.querySelectorAll("a[data-example]")) {
    link.addEventListener("click", (event) => {
      const example = data.examples[link.dataset.example];
      if (!example) return;
      event.preventDefault();
      textarea.value = example.query;
      history.replaceState(null, "", link.href);
      textarea.focus();
    });
  }
})();
