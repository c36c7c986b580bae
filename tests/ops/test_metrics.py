"""``GET /metrics``: allowed addresses only, Prometheus text that prometheus_client's
own parser reads, and counters that match what the test did."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import bearer, login, register


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(app: Any, client: tuple[str, int] = ("127.0.0.1", 5000)) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get("/metrics")


async def test_counters_follow_what_happened(app_factory: Any) -> None:
    app, _ = await app_factory(limit_login_account="3 per 15 minutes")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        await register(http, "alice@example.com")
        tokens = await login(http, "alice@example.com")
        for _ in range(4):  # three wrong, then locked out
            await http.post(
                "/auth/login", json={"email": "alice@example.com", "password": "wrong password"}
            )
        first = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert first.status_code == 200
        reused = await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert reused.json()["code"] == "refresh_reused"
        await http.get("/plans/12345", headers=bearer("x.y.z"))
    answer = await scrape(app)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)
    requests = "authgate_http_requests_total"
    assert value(found, requests, route="/auth/login", method="POST", status="200") == 1
    assert value(found, requests, route="/auth/login", method="POST", status="401") == 3
    assert value(found, requests, route="/auth/login", method="POST", status="429") == 1
    assert value(found, requests, route="/plans/{plan_id}", method="GET", status="401") == 1
    assert value(found, "authgate_errors_total", code="invalid_credentials") == 3
    assert value(found, "authgate_errors_total", code="too_many_attempts") == 1
    assert value(found, "authgate_errors_total", code="refresh_reused") == 1
    assert value(found, "authgate_errors_total", code="token_invalid") == 1
    assert value(found, "authgate_http_request_duration_seconds_count", route="/auth/login") == 5
    assert value(found, "authgate_password_hash_duration_seconds_count") >= 5
    assert value(found, "authgate_revocation_entries") >= 1  # the reused session
    assert value(found, "authgate_database_up") == 1
    assert value(found, "authgate_password_hash_pending") == 0
    assert ("authgate_mail_queue_depth", ()) in found


async def test_unknown_paths_do_not_make_new_labels(app_factory: Any) -> None:
    app, _ = await app_factory()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as http:
        for n in range(5):
            await http.get(f"/no/such/path/{n}")
    found = samples((await scrape(app)).text)
    routes = {
        dict(labels).get("route") for (name, labels) in found if name.startswith("authgate_http")
    }
    assert not any(route and route.startswith("/no/") for route in routes)


@pytest.mark.parametrize("client", [("203.0.113.7", 1), ("10.0.0.1", 1), ("::ffff:8.8.8.8", 1)])
async def test_other_addresses_are_forbidden(app_factory: Any, client: tuple[str, int]) -> None:
    app, _ = await app_factory()
    answer = await scrape(app, client)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Not allowed", "code": "forbidden"}


async def test_the_allow_list_is_configurable(app_factory: Any) -> None:
    app, _ = await app_factory(metrics_allow="10.0.0.0/8, 2001:db8::/32")
    assert (await scrape(app, ("10.1.2.3", 1))).status_code == 200
    assert (await scrape(app, ("2001:db8::5", 1))).status_code == 200
    assert (await scrape(app, ("127.0.0.1", 1))).status_code == 403


@pytest.mark.slow
def test_workers_share_their_counters(tmp_path: Any, shared_redis: Any) -> None:
    """``serve --workers 2``: every worker's requests are in the sum."""
    from tests.integration.conftest import Server, server_env

    env = server_env(tmp_path, **shared_redis.env())
    server = Server(env, tmp_path, ["--workers", "2"]).start(timeout=60)
    try:
        for _ in range(40):  # new connections: both workers take some
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
    finally:
        server.stop()
    found = samples(text)
    total = value(
        found, "authgate_http_requests_total", route="/healthz", method="GET", status="200"
    )
    assert total >= 40  # the start-up checks' own /healthz calls come on top
    pids = {dict(labels).get("pid") for (name, labels) in found if name == "authgate_database_up"}
    assert len(pids) == 1 and None not in pids
