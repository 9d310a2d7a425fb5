"""Full dumps of the dataset, written again whenever the data changes.

Four files, all made from the same store version:

- ``ikgraph.nq.gz``: every named graph (ontology and ``graph/meta`` included)
  as `N-Quads <https://www.w3.org/TR/n-quads/>`_, gzip-compressed;
- ``ikgraph.trig``: the same as `TriG <https://www.w3.org/TR/trig/>`_;
- ``ikgraph.ttl`` and ``ikgraph.jsonld``: the union of all graphs (the default
  graph the SPARQL endpoint answers from) as Turtle and JSON-LD; a triple that
  two graphs state appears once.

So the number of quads in the first two is the sum of the graphs' triples, and
the number of triples in the last two is the number of distinct triples of the
union; VoID (:mod:`ikgraph.void`) states both (``void:subset`` and the dataset's
``void:triples``).

Files are written under ``{folder}/{version}/`` (``store.version()``), each to a
temporary name first and renamed when complete; a ``manifest.json`` written last
records sizes, SHA-256 checksums and statement counts. A new version gets a new
folder, so a dump is never stale; the folders of older versions are removed. A
lock file per version lets one process write while others (workers of the same
service) wait and then read what it wrote.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ikgraph.serialize import graph, prefixes
from ikgraph.store import Store


@dataclass(frozen=True)
class DumpFormat:
    """One dump file.

    :param file_type: the code in the EU file-type list
        (``http://publications.europa.eu/resource/authority/file-type/…``).
    :param quads: a dataset format (graphs kept) or the union as triples.
    """

    name: str
    key: str
    media_type: str
    file_type: str
    title_de: str
    title_en: str
    quads: bool
    gzip: bool = False


DUMP_FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat(
        "ikgraph.nq.gz",
        "nq",
        "application/n-quads",
        "RDF_N_QUADS",
        "Gesamtabzug mit benannten Graphen (N-Quads, gzip)",
        "Full dump with named graphs (N-Quads, gzip)",
        quads=True,
        gzip=True,
    ),
    DumpFormat(
        "ikgraph.trig",
        "trig",
        "application/trig",
        "RDF_TRIG",
        "Gesamtabzug mit benannten Graphen (TriG)",
        "Full dump with named graphs (TriG)",
        quads=True,
    ),
    DumpFormat(
        "ikgraph.ttl",
        "ttl",
        "text/turtle",
        "RDF_TURTLE",
        "Gesamtabzug als ein Graph (Turtle)",
        "Full dump as one graph (Turtle)",
        quads=False,
    ),
    DumpFormat(
        "ikgraph.jsonld",
        "jsonld",
        "application/ld+json",
        "JSON_LD",
        "Gesamtabzug als ein Graph (JSON-LD)",
        "Full dump as one graph (JSON-LD)",
        quads=False,
    ),
)
BY_NAME = {f.name: f for f in DUMP_FORMATS}
#: The media type a gzip-compressed dump is served and described with.
GZIP = "application/gzip"
_MANIFEST = "manifest.json"
_OLD_FOLDERS_AFTER = 3600.0


@dataclass(frozen=True)
class Dump:
    """A written dump file: where it is and what a catalog says about it."""

    name: str
    path: Path
    size: int
    sha256: str
    statements: int
    modified: datetime

    @property
    def format(self) -> DumpFormat:
        return BY_NAME[self.name]


class _Hashing:
    """A write-only file that counts and hashes what passes through it."""

    def __init__(self, raw: IO[bytes]):
        self.raw, self.sha = raw, hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _counted(triples: Iterable[ox.Triple], counter: list[int]) -> Iterator[ox.Triple]:
    for triple in triples:
        counter[0] += 1
        yield triple


def _count_quads(store: Store) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(next(iter(rows))["n"].value)


def write_dump(store: Store, fmt: DumpFormat, target: Path) -> Dump:
    """Write one dump of ``store`` to ``target`` (through a temporary file)."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    counter = [0]
    try:
        with open(partial, "wb") as raw:
            out = _Hashing(raw)
            sink = gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) if fmt.gzip else out
            if fmt.quads:
                store.dump(sink, ox.RdfFormat.N_QUADS if fmt.key == "nq" else ox.RdfFormat.TRIG)
                counter[0] = _count_quads(store)
            else:
                triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
                for chunk in graph(
                    fmt.key, _counted(triples, counter), prefixes=prefixes(store.base)
                ):
                    sink.write(chunk)
            if fmt.gzip:
                sink.close()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Dump(fmt.name, target, out.size, out.sha.hexdigest(), counter[0], datetime.now(UTC))


class Dumps:
    """The dumps of one store, kept under ``folder``, one subfolder per dataset version."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._current: tuple[str, dict[str, Dump]] | None = None
        #: a store that was never written through ingest has the version "empty";
        #: its dumps are this instance's own, never shared with another process
        self._unversioned = f"unversioned-{uuid.uuid4().hex[:12]}"
        self._written: set[Path] = set()

    def current(self, store: Store) -> dict[str, Dump]:
        """The dumps of the store's current version, written first if needed.

        :raises OSError: if the folder cannot be written.
        """
        for _ in range(3):
            version = store.version()
            with self._lock:
                if self._current and self._current[0] == version and self._complete():
                    return self._current[1]
                with self._exclusive(version):  # one writer, also across processes
                    dumps = self._read(version) or self._write(store, version)
                if store.version() == version:
                    self._current = (version, dumps)
                    self._prune(version)
                    return dumps
        return dumps

    @contextmanager
    def _exclusive(self, version: str) -> Iterator[None]:
        """Hold the lock file of ``version``: other processes on the same folder wait."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f".{self._dir(version).name}.lock", "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def get(self, store: Store, name: str) -> Dump | None:
        return self.current(store).get(name)

    def _dir(self, version: str) -> Path:
        return self.folder / (self._unversioned if version == "empty" else version)

    def _complete(self) -> bool:
        return self._current is not None and all(d.path.exists() for d in self._current[1].values())

    def _read(self, version: str) -> dict[str, Dump] | None:
        """Dumps a previous run wrote for this version, if complete."""
        manifest = self._dir(version) / _MANIFEST
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8"))
            dumps = {
                e["name"]: Dump(
                    e["name"],
                    manifest.parent / e["name"],
                    e["size"],
                    e["sha256"],
                    e["statements"],
                    datetime.fromisoformat(e["modified"]),
                )
                for e in entries
            }
        except (OSError, ValueError, KeyError):
            return None
        if set(dumps) != set(BY_NAME) or not all(
            d.path.is_file() and d.path.stat().st_size == d.size for d in dumps.values()
        ):
            return None
        return dumps

    def _write(self, store: Store, version: str) -> dict[str, Dump]:
        folder = self._dir(version)
        folder.mkdir(parents=True, exist_ok=True)
        dumps = {f.name: write_dump(store, f, folder / f.name) for f in DUMP_FORMATS}
        entries = [
            {**asdict(d), "path": None, "modified": d.modified.isoformat()} for d in dumps.values()
        ]
        partial = folder / f".{_MANIFEST}.part"
        partial.write_text(json.dumps(entries, indent=1), encoding="utf-8")
        os.replace(partial, folder / _MANIFEST)
        return dumps

    def _prune(self, version: str) -> None:
        """Remove the folders of other versions: those this instance wrote at once, others
        (left by earlier runs or other stores) when they are an hour old."""
        keep = self._dir(version)
        self._written.add(keep)
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path == keep or not path.is_dir():
                if path.suffix == ".lock" and path.name != f".{keep.name}.lock":
                    path.unlink(missing_ok=True)
                continue
            try:
                old = time.time() - path.stat().st_mtime > _OLD_FOLDERS_AFTER
            except OSError:
                continue
            if old or path in self._written:
                shutil.rmtree(path, ignore_errors=True)
                self._written.discard(path)
