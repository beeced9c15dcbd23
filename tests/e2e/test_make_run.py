"""What ``make run`` promises, checked against the processes the launcher starts."""

from __future__ import annotations

import pytest

from tests.live import LivePlatform

pytestmark = pytest.mark.live


def test_the_landing_page_links_to_the_demo_tenant(live_platform: LivePlatform) -> None:
    with live_platform.client("localhost") as client:
        response = client.get("/")
    assert response.status_code == 200
    assert f'href="http://acme.localhost:{live_platform.port}/"' in response.text


def test_ready_is_green_with_database_redis_and_a_worker(live_platform: LivePlatform) -> None:
    with live_platform.client("localhost") as client:
        response = client.get("/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "up",
        "redis": "up",
        "celery": "up",
    }


def test_the_demo_admin_gets_a_token_and_sees_its_tenant(live_platform: LivePlatform) -> None:
    with live_platform.client("acme.localhost") as client:
        tokens = client.post("/api/v1/auth/token/", json={"username": "admin", "password": "admin-demo-pass"})
        assert tokens.status_code == 200, tokens.text
        me = client.get("/api/v1/me/", headers={"Authorization": f"Bearer {tokens.json()['access']}"})
    assert me.status_code == 200
    assert me.json()["tenant"] == "acme"
    assert me.json()["roles"] == ["tenant-admin"]


def test_the_launcher_printed_the_urls_and_every_demo_login(live_platform: LivePlatform) -> None:
    log = live_platform.log()
    assert f"http://localhost:{live_platform.port}/" in log
    assert f"http://acme.localhost:{live_platform.port}/api/docs/" in log
    for login in (
        "admin / admin-demo-pass",
        "designer / designer-demo-pass",
        "operator / operator-demo-pass",
        "worker / worker-demo-pass",
    ):
        assert login in log
