"""``GET /metrics``: Prometheus text (prometheus-client), for the addresses in
AUTHGATE_METRICS_ALLOW only (403 ``forbidden`` elsewhere).

Measured per request by :class:`RequestMetrics` (an ASGI middleware): requests by
route template, method and status, and their latency. Counted where they happen:
answers by error code (failed logins by reason, lockouts, refresh reuse), hash
durations, mail failures. Read at scrape time: the hashing queue, the revocation
list's size, the mail queue's depth (as the sender last saw it), database and Redis
health.

Under ``authgate serve --workers N`` (``PROMETHEUS_MULTIPROC_DIR`` set) counters and
histograms are summed over the workers from prometheus-client's files; the gauges
read at scrape time are the answering worker's, labelled with its ``pid``.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.core.config_values import parse_networks
from authgate.core.errors import Forbidden
from authgate.web.methods import api_operations

if TYPE_CHECKING:
    from authgate.web.gate import AuthGate

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Where an error answer leaves its code for the request's metrics.
ERROR_SCOPE_KEY = "authgate.error"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_HASH_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.5)


class RouteNames:
    """The route template of a path (``/plans/{plan_id}``), or ``other``: labels stay
    few whatever paths clients send."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._literal = {p for p in paths if "{" not in p}
        self._templated = [(compile_path(p)[0], p) for p in paths if "{" in p]
        self._seen: dict[str, str] = {}

    def of(self, path: str) -> str:
        if path in self._literal:
            return path
        known = self._seen.get(path)
        if known is not None:
            return known
        name = next((t for pattern, t in self._templated if pattern.match(path)), "other")
        if len(self._seen) < 10_000:  # ids in paths: remember a bounded number
            self._seen[path] = name
        return name


class Metrics:
    """The metrics of one app, in a registry of its own."""

    def __init__(self, gate: AuthGate) -> None:
        self.gate = gate
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "authgate_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "authgate_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "authgate_errors",
            "Error answers by code: failed logins by reason (invalid_credentials, "
            "mfa_invalid, passkey_invalid, account_disabled), lockouts "
            "(too_many_attempts), refresh reuse (refresh_reused), …",
            ["code"],
            registry=self.registry,
        )
        self.hash_seconds = Histogram(
            "authgate_password_hash_duration_seconds",
            "Time of one password hash or verification on a hashing thread.",
            buckets=_HASH_BUCKETS,
            registry=self.registry,
        )
        self.mail_failures = Counter(
            "authgate_mail_failures",
            "Mail delivery attempts that failed (each retry counts).",
            registry=self.registry,
        )
        self.registry.register(_StateCollector(gate))
        self.attached = False

    def attach(self) -> None:
        """Hook into the running service (its hashing threads and mail sender), once
        it has started: at the first request (or :meth:`attach` from a lifespan)."""
        runtime = self.gate.runtime
        try:
            service = runtime.service
        except RuntimeError:  # not started yet
            return
        service.passwords.on_hash = self.hash_seconds.observe
        if runtime.mail_sender is not None:
            runtime.mail_sender.on_failure = self.mail_failures.inc
        self.attached = True

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROCESS_ENV):
            combined = CollectorRegistry()
            MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
            combined.register(_StateCollector(self.gate, per_process=True))
            return generate_latest(combined)
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read when scraped."""

    def __init__(self, gate: AuthGate, *, per_process: bool = False) -> None:
        self.gate = gate
        self.labels = {"pid": str(os.getpid())} if per_process else {}

    def collect(self) -> Iterator[Metric]:
        runtime = self.gate.runtime
        try:
            service = runtime.service
        except RuntimeError:  # not started
            return
        names = list(self.labels)
        values = list(self.labels.values())

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(name, text, labels=names)
            family.add_metric(values, value)
            return family

        yield gauge(
            "authgate_password_hash_pending",
            "Password hashes waiting for a hashing thread or running.",
            service.passwords.pending,
        )
        yield gauge(
            "authgate_revocation_entries",
            "Entries in this process's revocation list (tokens, sessions, user cutoffs).",
            runtime.revocations.size(),
        )
        sender = runtime.mail_sender
        if sender is not None:
            yield gauge("authgate_mail_queue_depth", "Mails and requests waiting.", sender.depth)
        yield gauge(
            "authgate_database_up",
            "1 while the database answers.",
            0 if runtime.db.outage.is_down else 1,
        )
        if runtime.settings.redis_url is not None:
            try:
                runtime.revocations.check()
                redis_up = 1
            except Exception:
                redis_up = 0
            yield gauge(
                "authgate_redis_up", "1 while Redis (the revocation channel) is live.", redis_up
            )


class RequestMetrics:
    """Counts and times every request (outermost middleware)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes_of: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.routes_of = routes_of
        self._names: RouteNames | None = None
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.metrics.attached:
            self.metrics.attach()
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            key = (self._route(scope), scope["method"], status)
            children = self._children.get(key)
            if children is None:  # labels() costs a lock and a lookup: once per key
                route, method, _ = key
                children = (
                    self.metrics.requests.labels(route, method, str(status)),
                    self.metrics.latency.labels(route),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            code = scope.get(ERROR_SCOPE_KEY)
            if code is not None:
                self.metrics.errors.labels(code).inc()

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return path
        if self._names is None:  # once: every route is registered by the first request
            self._names = RouteNames({path for path, _, _ in api_operations(self.routes_of)})
        return self._names.of(scope["path"])


def metrics_route(gate: AuthGate, metrics: Metrics) -> Callable[[Request], Any]:
    """``GET /metrics`` for the allowed addresses."""
    networks = parse_networks(gate.settings.metrics_allow)  # checked by Settings

    async def read_metrics(request: Request) -> Response:
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            raise Forbidden("no client address") from None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not any(address in network for network in networks):
            raise Forbidden("address not in AUTHGATE_METRICS_ALLOW")
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return read_metrics
