"""A bounded cache of query answers, and the validators (ETags) derived from it.

An answer is a function of the query text, the dataset asked for (default and
named graphs), the format, the row limit and the version of the store. That
tuple, hashed, is the cache key and the ETag, so a conditional request
(``If-None-Match``, `RFC 9110 §13.1.2
<https://www.rfc-editor.org/rfc/rfc9110#name-if-none-match>`_) is answered
``304 Not Modified`` without touching the engine. Any write changes the store
version and with it every key; the cache drops older answers the first time it
sees a new version.

ETags are weak (``W/"…"``): two evaluations of the same query on the same data
mean the same answer, but not always the same bytes (``RAND()``, fresh blank
node labels in ``CONSTRUCT`` templates).

The cache is a least-recently-used map bounded by bytes (``IKGRAPH_CACHE_BYTES``;
0 turns it off). An answer larger than an eighth of the budget is never kept,
so one large download cannot push out everything else. It is safe to use from
the threads of the WSGI server.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Answer:
    """A complete answer: its bytes, content type and extra headers."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def key(*parts: object) -> str:
    """A stable hash of the parts (strings, numbers, lists of strings, None)."""
    text = repr(parts)  # the same in every process, unlike hash()
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def etag(cache_key: str) -> str:
    """The (weak) entity tag of the answer under ``cache_key``, without quotes."""
    return f"ikg-{cache_key[:32]}"


class ResultCache:
    """Least-recently-used answers, at most ``max_bytes`` of bodies in total."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.max_entry_bytes = self.max_bytes // 8
        self._entries: OrderedDict[str, Answer] = OrderedDict()
        self._size = 0
        self._version: str | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of the bodies held."""
        return self._size

    def sync(self, version: str) -> None:
        """Drop everything if the store version changed since the last call."""
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._size = 0
                self._version = version

    def get(self, cache_key: str) -> Answer | None:
        with self._lock:
            answer = self._entries.get(cache_key)
            if answer is not None:
                self._entries.move_to_end(cache_key)
            return answer

    def put(self, cache_key: str, answer: Answer) -> bool:
        """Keep ``answer`` unless it is too large; returns whether it was kept."""
        size = len(answer.body)
        if size > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(cache_key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[cache_key] = answer
            self._size += size
            while self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)
        return True

    def tee(
        self,
        cache_key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        headers: dict[str, str],
        keep: Callable[[], bool] = lambda: True,
    ) -> Iterator[bytes]:
        """Pass ``chunks`` through and keep the whole answer if it completes.

        Nothing is kept if the stream fails or is abandoned, if it grows past
        the entry size limit, or if ``keep()`` (called at the end) says no.
        """
        parts: list[bytes] | None = [] if self.max_entry_bytes else None
        size = 0
        for chunk in chunks:
            if parts is not None:
                size += len(chunk)
                if size > self.max_entry_bytes:
                    parts = None
                else:
                    parts.append(chunk)
            yield chunk
        if parts is not None and keep():
            self.put(cache_key, Answer(b"".join(parts), content_type, dict(headers)))
