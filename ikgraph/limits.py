"""Limits on what one request may cost or reach: time, rows, bytes, rate, hosts.

Each limit is a setting (``IKGRAPH_QUERY_TIMEOUT``, ``IKGRAPH_MAX_ROWS``,
``IKGRAPH_MAX_BODY_BYTES``, ``IKGRAPH_RATE_LIMIT_*``, ``IKGRAPH_SERVICE_ALLOWLIST``
…). A request may lower a limit (``timeout=``, ``max-rows=``) but never raise
it, and every error a limit causes names the setting, so an operator knows
what to change and a user knows what was hit.

The time limit is a :class:`Deadline`. In the server's own process it is
checked between rows, which is the only place Python regains control from
Oxigraph: a single long step (an aggregate, a sort) is noticed when it
returns. With query workers (:mod:`ikgraph.workers`) the server waits for a
worker no longer than :meth:`Deadline.remaining` and kills it past the
deadline, so the work really stops; answers arrive already cut at the row
limit, and :func:`cut` passes them through.

Per-client request rates are counted with the ``limits`` library (:func:`init_rate_limits`);
a client over the limit gets ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

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

    def remaining(self) -> float:
        """Seconds left (negative once the time is up)."""
        return self.ends - time.monotonic()

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
) -> tuple[Iterable[T], bool]:
    """At most ``rows`` items of ``run()``, and whether there were more; the items
    are a list when the whole answer is in memory.

    Whether an answer is cut must be known before its first byte is sent (it
    is a response header). An answer that was cut already (a query worker's,
    with a ``truncated`` flag) is passed through, timed. Otherwise up to
    ``read_ahead`` (:data:`READ_AHEAD`) items are read and kept; an answer that
    ends or passes ``rows`` within them is served from them. A larger answer is
    counted without keeping items until ``rows + 1``, then ``run()`` is called
    again and streamed. Every item pulled is timed.

    :raises QueryTimeout: if the deadline passes while reading ahead or counting.
    """
    read_ahead = READ_AHEAD if read_ahead is None else read_ahead
    first = run()
    if isinstance(getattr(first, "truncated", None), bool):
        return timed(first, limit), first.truncated
    items = timed(first, limit)
    head = list(itertools.islice(items, min(rows, read_ahead) + 1))
    if len(head) > rows:
        return head[:rows], True  # whole, in memory: a list
    if len(head) <= read_ahead:
        return head, False
    seen = len(head) + sum(1 for _ in itertools.islice(items, rows + 1 - len(head)))
    return itertools.islice(timed(run(), limit), rows), seen > rows


def body_too_large(max_bytes: int) -> str:
    """The message of a 413 answer."""
    return (
        f"request body too large: the limit is IKGRAPH_MAX_BODY_BYTES ({max_bytes} bytes); "
        "send a shorter query or ask the operator to raise the setting"
    )


# --- outbound requests -----------------------------------------------------------------------

_SKIP = (
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|#[^\n\r]*"
)
_IRI = r'<[^<>"{}|^`\\\x00-\x20]*>'
_SERVICE_TOKENS = re.compile(f"{_SKIP}|{_IRI}|(?<![\\w:?$])(SERVICE)\\b", re.I | re.S)
_SERVICE_TARGET = re.compile(rf"(?:\s|#[^\n\r]*)*(?:SILENT\b(?:\s|#[^\n\r]*)*)?({_IRI})?", re.I)
_ABSOLUTE = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:")


@functools.lru_cache(maxsize=8)
def allowlist(value: str) -> frozenset[str]:
    """The IRIs of ``IKGRAPH_SERVICE_ALLOWLIST`` (separated by commas or white space)."""
    return frozenset(part for part in re.split(r"[\s,]+", value or "") if part)


def check_services(text: str, allowed: frozenset[str]) -> None:
    """Refuse a query that calls a ``SERVICE`` not on the allow-list.

    A federated query makes the engine send HTTP requests to the IRI it names,
    so only endpoints on ``IKGRAPH_SERVICE_ALLOWLIST`` (empty by default) may be
    called, each named by a full IRI (not a variable, a prefixed name or a
    relative IRI). Strings and comments are skipped.

    :raises LimitError: (400) naming the setting.
    """
    if "service" not in text.lower():
        return
    for match in _SERVICE_TOKENS.finditer(text):
        if match.group(1) is None:
            continue
        target = _SERVICE_TARGET.match(text, match.end()).group(1)
        if target is None or not _ABSOLUTE.match(target):
            raise LimitError(
                "SERVICE (federated query) must name its endpoint by a full IRI that is on "
                "IKGRAPH_SERVICE_ALLOWLIST" + _allowed_text(allowed),
                setting="SERVICE_ALLOWLIST",
            )
        if target[1:-1] not in allowed:
            raise LimitError(
                f"SERVICE {target} is not allowed on this endpoint: it is not on "
                "IKGRAPH_SERVICE_ALLOWLIST" + _allowed_text(allowed),
                setting="SERVICE_ALLOWLIST",
            )


def _allowed_text(allowed: frozenset[str]) -> str:
    if not allowed:
        return " (empty: no SERVICE calls)"
    return " (" + ", ".join(f"<{iri}>" for iri in sorted(allowed)) + ")"


# --- request rates ---------------------------------------------------------------------------

#: Blueprints (by name) whose requests count against each rate setting.
RATE_LIMITED = {
    "RATE_LIMIT_QUERY": ("sparql", "queries", "graphs"),
    "RATE_LIMIT_WRITE": ("contrib", "update", "graph_store", "validate"),
}


def init_rate_limits(app: Any) -> Any:
    """Count requests per client address and answer ``429 Too Many Requests`` with
    ``Retry-After`` past ``IKGRAPH_RATE_LIMIT_QUERY`` (queries) or
    ``IKGRAPH_RATE_LIMIT_WRITE`` (writes and validation); an empty setting turns
    its limit off.

    The counting is the `limits <https://limits.readthedocs.io/>`_ library's
    (the engine of Flask-Limiter: its rate notation, fixed windows, in memory),
    checked before the requests of the limited blueprints only, so that a
    request nothing limits pays nothing for it. The blueprints of one setting
    share one count per client. Returns the limiter, or None with no limit set.
    """
    from flask import Response, request
    from limits import parse_many
    from limits.storage import MemoryStorage
    from limits.strategies import FixedWindowRateLimiter

    rates = {}
    for setting in RATE_LIMITED:
        value = str(app.config.get(setting) or "").strip()
        if not value:
            continue
        try:
            rates[setting] = parse_many(value)
        except ValueError:
            raise ValueError(
                f"setting IKGRAPH_{setting}: {value!r} is not a rate such as 60/minute"
            ) from None
    if not rates:
        return None
    limiter = FixedWindowRateLimiter(MemoryStorage())

    def check(setting: str) -> Callable[[], Response | None]:
        def before_request() -> Response | None:
            client = request.remote_addr or "unknown"
            for item in rates[setting]:
                if limiter.hit(item, "ikgraph", setting, client):
                    continue
                reset, _ = limiter.get_window_stats(item, "ikgraph", setting, client)
                return Response(
                    f"too many requests: the limit is {item} per client "
                    f"(IKGRAPH_{setting}); try again after the time in Retry-After\n",
                    status=429,
                    headers={"Retry-After": str(max(1, math.ceil(reset - time.time())))},
                    content_type="text/plain; charset=utf-8",
                )
            return None

        return before_request

    for setting in rates:
        for name in RATE_LIMITED[setting]:
            # hooks are kept by blueprint name: one registered later is limited alike
            app.before_request_funcs.setdefault(name, []).append(check(setting))
    return limiter


# --- nesting ---------------------------------------------------------------------------------

#: Deepest nesting of brackets (``{ ( [``) a query may have. Oxigraph's parser
#: recurses with the nesting and overflows its stack at a few thousand levels,
#: which ends the process; real queries stay far below this.
MAX_DEPTH = 128

_BRACKETS = re.compile(f"{_SKIP}|{_IRI}|[^{{}}()\\[\\]]", re.S)


def check_depth(text: str) -> None:
    """Refuse a query whose brackets nest deeper than :data:`MAX_DEPTH` (outside
    strings, IRIs and comments).

    :raises LimitError: (400).
    """
    if sum(map(text.count, "{([")) <= MAX_DEPTH:
        return
    depth = deepest = 0
    for char in _BRACKETS.sub("", text):
        depth += 1 if char in "{([" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise LimitError(
            f"the query nests brackets {deepest} levels deep; at most {MAX_DEPTH} are allowed",
            setting="",
        )
