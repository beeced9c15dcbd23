"""Liveness (/health) and readiness (/ready) for people, load balancers and Kubernetes probes.

Served by a middleware in front of host routing: probes call a pod by its address,
which is no tenant's host. /ready checks what a request needs: the database, Redis
and at least one Celery worker, each with its latency. The scheduler's last
heartbeat is reported too but does not decide readiness.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

CHECK_TIMEOUT_SECONDS = 1.0


@dataclass
class Check:
    status: str  # "up" or "down"
    latency_ms: float
    detail: str = ""

    @property
    def is_up(self) -> bool:
        return self.status == "up"


def _timed(probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        status = "up"
    except Exception as error:  # noqa: BLE001 - any failure means "down", with its message
        detail, status = f"{type(error).__name__}: {error}", "down"
    return Check(status=status, latency_ms=round((time.perf_counter() - started) * 1000, 2), detail=detail)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )


def check_database() -> Check:
    def probe() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return ""

    return _timed(probe)


def check_redis() -> Check:
    def probe() -> str:
        with redis_client() as client:
            client.ping()
        return ""

    return _timed(probe)


def check_celery_workers() -> Check:
    from apg_wbpm.celery import app

    def probe() -> str:
        replies = app.control.ping(timeout=CHECK_TIMEOUT_SECONDS, limit=1)
        if not replies:
            raise RuntimeError("no Celery worker answered")
        return ", ".join(name for reply in replies for name in reply)

    return _timed(probe)


def _heartbeat_key() -> str:
    return f"{settings.REDIS_NAMESPACE}:scheduler:heartbeat"


def record_scheduler_heartbeat() -> None:
    with redis_client() as client:
        client.set(_heartbeat_key(), str(time.time()), ex=3600)


def scheduler_status() -> dict[str, Any]:
    try:
        with redis_client() as client:
            raw = client.get(_heartbeat_key())
    except redis.RedisError as error:
        return {"status": "unknown", "detail": str(error)}
    if raw is None:
        return {"status": "unknown", "detail": "no heartbeat yet"}
    age = time.time() - float(raw)
    interval = settings.CELERY_BEAT_SCHEDULE["scheduler-heartbeat"]["schedule"]
    return {"status": "up" if age < 3 * interval + 5 else "stale", "last_heartbeat_seconds_ago": round(age, 1)}


def readiness() -> tuple[bool, dict[str, Any]]:
    checks = {"database": check_database(), "redis": check_redis()}
    if checks["redis"].is_up:
        checks["celery"] = check_celery_workers()
    else:
        checks["celery"] = Check(status="down", latency_ms=0.0, detail="Redis, the broker, is down")
    ready = all(check.is_up for check in checks.values())
    body: dict[str, Any] = {
        "status": "ready" if ready else "not_ready",
        "checks": {name: asdict(check) for name, check in checks.items()},
        "scheduler": scheduler_status() if checks["redis"].is_up else {"status": "unknown"},
    }
    return ready, body


class HealthCheckMiddleware:
    """Answer GET /health and /ready before host routing, security redirects and sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path.rstrip("/")
        if path == "/health":
            return JsonResponse({"status": "up"})
        if path == "/ready":
            ready, body = readiness()
            response = JsonResponse(body, status=200 if ready else 503)
            # "Not ready" is an answer, not a server error: keep it out of the error log.
            response._has_been_logged = True  # type: ignore[attr-defined]
            return response
        return self.get_response(request)
