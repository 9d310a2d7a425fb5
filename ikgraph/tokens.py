"""Who may write which graphs: contributors and their bearer tokens.

``IKGRAPH_TOKENS_FILE`` names a JSON file, one entry per contributor::

    {"kreis-offenbach": {"sha256": "<64 hex digits>", "graphs": ["kreis-offenbach*"]}}

Only the SHA-256 of each token is stored (``ikgraph token add`` prints the
token once); a presented token is hashed and compared with every stored hash
in constant time (:func:`hmac.compare_digest`). ``graphs`` are shell-style
patterns (:mod:`fnmatch`) matched against a graph's name, the part of its IRI
after ``{base}graph/``; ``*`` grants every graph. No pattern grants the
metadata graph (``meta``): ikgraph writes it alone. Tokens travel as
``Authorization: Bearer TOKEN`` (`RFC 6750 <https://www.rfc-editor.org/rfc/rfc6750>`_).

The file is read again when it changes, so tokens can be added or removed
while the service runs.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ikgraph.iris import meta_graph

_HEX = frozenset("0123456789abcdef")


class TokenFileError(ValueError):
    """The tokens file cannot be read or is malformed; the message names it."""


@dataclass(frozen=True)
class Contributor:
    """A contributor and the graph name patterns it may write."""

    name: str
    graphs: tuple[str, ...]

    def may_write(self, graph: str, *, base: str) -> bool:
        """Whether this contributor may write ``graph`` (an IRI under ``{base}graph/``)."""
        prefix = f"{base}graph/"
        if graph == meta_graph(base) or not graph.startswith(prefix):
            return False
        name = graph[len(prefix) :]
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.graphs)


def digest(token: str) -> str:
    """The SHA-256 of a token, as stored in the tokens file."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def read(path: Path | str) -> dict[str, dict]:
    """The entries of a tokens file (none if it does not exist).

    :raises TokenFileError: if it is not a JSON object of well-formed entries.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        entries = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise TokenFileError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(entries, dict):
        raise TokenFileError(f"{path}: expected an object of contributors")
    for name, entry in entries.items():
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        graphs = entry.get("graphs") if isinstance(entry, dict) else None
        if not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= _HEX):
            raise TokenFileError(f"{path}: {name!r} needs a sha256 of 64 lowercase hex digits")
        if not (isinstance(graphs, list) and all(isinstance(g, str) for g in graphs)):
            raise TokenFileError(f"{path}: {name!r} needs graphs, a list of name patterns")
    return entries


def _write(path: Path | str, entries: dict[str, dict]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp: readable by the owner only
        json.dump(entries, out, ensure_ascii=False, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, path)


def add(path: Path | str, name: str, graphs: list[str]) -> str:
    """Give ``name`` a fresh token for ``graphs`` (replacing any it had); return the token.

    :raises TokenFileError: if the file is malformed or ``graphs`` is empty.
    """
    if not name.strip() or not graphs:
        raise TokenFileError("a contributor needs a name and at least one graph pattern")
    entries = read(path)
    token = secrets.token_urlsafe(32)
    entries[name] = {"sha256": digest(token), "graphs": list(graphs)}
    _write(path, entries)
    return token


def remove(path: Path | str, name: str) -> bool:
    """Remove ``name`` and its token; False if it was not there."""
    entries = read(path)
    if name not in entries:
        return False
    del entries[name]
    _write(path, entries)
    return True


class Tokens:
    """The contributors of a tokens file, re-read when the file changes."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: list[tuple[str, Contributor]] = []

    def _current(self) -> list[tuple[str, Contributor]]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        with self._lock:
            if stamp != self._stamp:
                self._entries = [
                    (entry["sha256"], Contributor(name, tuple(entry["graphs"])))
                    for name, entry in read(self.path).items()
                ]
                self._stamp = stamp
            return self._entries

    def contributors(self) -> list[Contributor]:
        return [c for _sha, c in self._current()]

    def authenticate(self, token: str) -> Contributor | None:
        """The contributor whose token this is, or None. Compares every hash in constant time."""
        presented = digest(token)
        found = None
        for sha, contributor in self._current():
            if hmac.compare_digest(sha, presented):
                found = contributor
        return found
