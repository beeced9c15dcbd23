"""/health and /ready: answered before host routing, with each dependency's status and latency."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apg_wbpm.embedded import EmbeddedRedis, default_redis_url
from apg_wbpm.health import CHECK_TIMEOUT_SECONDS
from tests.live import LivePlatform
from tests.platform.conftest import Worker


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: check["status"] for name, check in body["checks"].items()}


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "nowhere.localhost", "10.1.2.3", "evil.example"])
def test_health_answers_up_on_any_host(host: str) -> None:
    response = Client(HTTP_HOST=host).get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "up"}


def test_ready_is_green_with_database_redis_and_a_worker(db: None, celery_worker: Worker) -> None:
    response = Client(HTTP_HOST="nowhere.localhost").get("/ready")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert statuses(body) == {"database": "up", "redis": "up", "celery": "up"}
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())
    assert body["checks"]["celery"]["detail"]  # the name of the worker that answered


def test_ready_says_not_ready_while_redis_is_stopped(
    db: None, celery_worker: Worker, own_redis: EmbeddedRedis, settings: Any
) -> None:
    settings.REDIS_URL = default_redis_url(own_redis.port)
    client = Client(HTTP_HOST="localhost")
    assert client.get("/ready").json()["checks"]["redis"]["status"] == "up"  # it checks this server

    own_redis.stop()
    response = client.get("/ready")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "not_ready"
    assert statuses(body) == {"database": "up", "redis": "down", "celery": "down"}
    assert body["checks"]["redis"]["detail"].startswith("ConnectionError")
    assert body["checks"]["celery"] == {"status": "down", "latency_ms": 0.0, "detail": "Redis, the broker, is down"}
    assert body["scheduler"] == {"status": "unknown"}
    # a dead Redis is reported at once, not after retries
    assert body["checks"]["redis"]["latency_ms"] < CHECK_TIMEOUT_SECONDS * 1000


@pytest.mark.live
def test_daphne_answers_health_on_an_unknown_host(live_platform: LivePlatform) -> None:
    with live_platform.client("nowhere.example") as client:
        response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "up"})
