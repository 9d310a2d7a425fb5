"""Limits on what one request may cost: query time, result rows, body bytes.

Each limit is a setting (``IKGRAPH_QUERY_TIMEOUT``, ``IKGRAPH_MAX_ROWS``,
``IKGRAPH_MAX_BODY_BYTES``). A request may lower a limit (``timeout=``,
``max-rows=``) but never raise it, and every error a limit causes names the
setting, so an operator knows what to change and a user knows what was hit.

The time limit is enforced here by a :class:`Deadline` that the code pulling
results checks between rows. On the embedded engine that is the only place
Python regains control: a single step that takes long inside Oxigraph (an
aggregate, a sort) is noticed when it returns. Moving queries into worker
processes that can be killed only has to change :func:`deadline` and
:class:`Deadline`; callers stay as they are.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Rows read ahead (and kept) before an answer starts, to learn whether it is
#: cut. Answers larger than this are counted in a first pass and streamed in a
#: second, so memory stays bounded by this number, not by ``MAX_ROWS``.
READ_AHEAD = 1000

#: The response header that says whether an answer was cut at the row limit.
TRUNCATED_HEADER = "X-Ikgraph-Truncated"


class LimitError(Exception):
    """A limit stopped the request. ``status`` is the HTTP status to answer."""

    status = 400

    def __init__(self, message: str, *, setting: str):
        super().__init__(message)
        self.setting = setting


class QueryTimeout(LimitError):
    """The query ran longer than its time limit."""

    status = 503


def _seconds(value: float) -> str:
    return f"{value:g} s"


def lowered(configured: float, requested: str | None, *, param: str, setting: str) -> float:
    """The limit for one request: ``requested`` if it is lower than ``configured``.

    A request may lower a limit but not raise it: a larger value is quietly
    capped at the setting.

    :raises LimitError: (400) if ``requested`` is not a positive number; the
        message names the parameter and the setting.
    """
    if requested is None or requested.strip() == "":
        return configured
    try:
        value = float(requested)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise LimitError(
            f"{param}={requested!r} is not a positive number "
            f"(it may lower IKGRAPH_{setting}, which is {configured:g})",
            setting=setting,
        )
    return min(value, configured)


class Deadline:
    """The moment a query must be done by; :meth:`check` raises past it."""

    def __init__(self, seconds: float, *, configured: float):
        self.seconds = seconds
        self.configured = configured
        self.started = time.monotonic()
        self.ends = self.started + seconds

    @property
    def message(self) -> str:
        if self.seconds >= self.configured:
            return f"query exceeded IKGRAPH_QUERY_TIMEOUT ({_seconds(self.configured)})"
        return (
            f"query exceeded its time limit of {_seconds(self.seconds)} set by timeout= "
            f"(IKGRAPH_QUERY_TIMEOUT is {_seconds(self.configured)})"
        )

    def expired(self) -> bool:
        return time.monotonic() > self.ends

    def check(self) -> None:
        """:raises QueryTimeout: (503) once the time is up; the message names the setting."""
        if time.monotonic() > self.ends:
            raise QueryTimeout(self.message, setting="QUERY_TIMEOUT")


def deadline(configured: float, requested: str | None = None) -> Deadline:
    """Start the clock for one query: ``IKGRAPH_QUERY_TIMEOUT``, lowered by ``timeout=``.

    :raises LimitError: (400) for a ``timeout=`` that is not a positive number.
    """
    seconds = lowered(configured, requested, param="timeout", setting="QUERY_TIMEOUT")
    return Deadline(seconds, configured=configured)


def max_rows(configured: int, requested: str | None = None) -> int:
    """``IKGRAPH_MAX_ROWS``, lowered by ``max-rows=``.

    :raises LimitError: (400) for a ``max-rows=`` that is not a positive number.
    """
    return int(lowered(float(configured), requested, param="max-rows", setting="MAX_ROWS"))


def timed(rows: Iterable[T], limit: Deadline) -> Iterator[T]:
    """Yield ``rows``, checking the deadline after each one is produced."""
    for row in rows:
        limit.check()
        yield row


def cut(
    run: Callable[[], Iterable[T]], *, rows: int, limit: Deadline, read_ahead: int | None = None
) -> tuple[Iterator[T], bool]:
    """At most ``rows`` items of ``run()``, and whether there were more.

    Whether an answer is cut must be known before its first byte is sent (it
    is a response header). Up to ``read_ahead`` (:data:`READ_AHEAD`) items are read and kept; an
    answer that ends or passes ``rows`` within them is served from them. A
    larger answer is counted without keeping items until ``rows + 1``, then
    ``run()`` is called again and streamed. Every item pulled is timed.

    :raises QueryTimeout: if the deadline passes while reading ahead or counting.
    """
    read_ahead = READ_AHEAD if read_ahead is None else read_ahead
    items = timed(run(), limit)
    head = list(itertools.islice(items, min(rows, read_ahead) + 1))
    if len(head) > rows:
        return iter(head[:rows]), True
    if len(head) <= read_ahead:
        return iter(head), False
    seen = len(head) + sum(1 for _ in itertools.islice(items, rows + 1 - len(head)))
    return itertools.islice(timed(run(), limit), rows), seen > rows


def body_too_large(max_bytes: int) -> str:
    """The message of a 413 answer."""
    return (
        f"request body too large: the limit is IKGRAPH_MAX_BODY_BYTES ({max_bytes} bytes); "
        "send a shorter query or ask the operator to raise the setting"
    )
