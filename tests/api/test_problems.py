"""Every API error is an RFC 9457 problem with a stable code; bad input never shows a traceback."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings

from apps.tenancy.services import create_user
from tests.api.helpers import NEW_USER, as_user, assert_problem, usernames
from tests.api.urls_failing import SECRET_DETAIL
from tests.conftest import TenantInfo, api_client


def unique_address() -> str:
    """A client address no other test used, so throttle counts start at zero without clearing the cache."""
    number = uuid.uuid4().int
    return f"10.{number % 256}.{number // 256 % 256}.{number // 65536 % 254 + 1}"


def test_a_method_the_endpoint_lacks_is_405(alpha: TenantInfo) -> None:
    before = usernames(alpha)

    response = as_user(alpha, "worker").delete("/api/v1/me/")

    assert_problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert usernames(alpha) == before


def test_an_unknown_api_path_is_404(alpha: TenantInfo) -> None:
    response = as_user(alpha, "worker").get("/api/v1/no-such-thing/")

    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing/"


def test_asking_only_for_html_is_406(alpha: TenantInfo) -> None:
    response = as_user(alpha, "worker").get("/api/v1/me/", HTTP_ACCEPT="text/html")

    assert_problem(response, 406, "not_acceptable")


def test_malformed_json_is_400_and_changes_nothing(alpha: TenantInfo) -> None:
    before = usernames(alpha)

    response = as_user(alpha, "admin").post("/api/v1/users/", '{"username": "carol", ', content_type="application/json")

    assert_problem(response, 400, "malformed_request")
    assert usernames(alpha) == before


def test_a_body_of_an_unsupported_type_is_415(alpha: TenantInfo) -> None:
    before = usernames(alpha)

    response = as_user(alpha, "admin").post("/api/v1/users/", "username=carol", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")
    assert usernames(alpha) == before


def test_a_non_numeric_content_length_is_400(alpha: TenantInfo) -> None:
    response = api_client(alpha).post(
        "/api/v1/auth/token/", "{}", content_type="application/json", CONTENT_LENGTH="ten"
    )

    assert_problem(response, 400, "malformed_request")


def test_token_requests_over_the_rate_are_429(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "2/min"}
    client = api_client(alpha)
    address = unique_address()
    credentials = {"username": "worker", "password": alpha.password("worker")}

    answers = [client.post("/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=address) for _ in range(3)]

    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    body = assert_problem(answers[2], 429, "throttled")
    assert "access" not in body
    assert 1 <= body["retry_after_seconds"] <= 61
    assert answers[2]["Retry-After"] == str(body["retry_after_seconds"])
    other_address = client.post("/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=unique_address())
    assert other_address.status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_token_rate(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "1/min"}
    client = api_client(alpha)
    address = unique_address()
    credentials = {"username": "worker", "password": "guess"}

    first = client.post(
        "/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    second = client.post(
        "/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="192.0.2.2"
    )

    assert_problem(first, 401, "authentication_failed")
    assert_problem(second, 429, "throttled")


def test_the_token_rate_is_counted_per_tenant(alpha: TenantInfo, beta: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "1/min"}
    address = unique_address()

    for info in (alpha, beta):
        response = api_client(info).post(
            "/api/v1/auth/token/",
            {"username": "worker", "password": info.password("worker")},
            format="json",
            REMOTE_ADDR=address,
        )
        assert response.status_code == 200


def test_user_requests_over_the_rate_are_429(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "user": "1/min"}
    with schema_context(alpha.schema):  # a new user: the rate counts per user, across client addresses
        create_user(username="dave", password="dave-long-password", email="", first_name="", last_name="", roles=[])
    client = as_user(alpha, "dave")

    first = client.get("/api/v1/me/", REMOTE_ADDR=unique_address())
    second = client.get("/api/v1/me/", REMOTE_ADDR=unique_address())

    assert first.status_code == 200
    assert_problem(second, 429, "throttled")


@pytest.mark.parametrize("path", ["/api/v1/failing/", "/failing/"])
def test_a_crash_is_a_500_problem_without_the_traceback(alpha: TenantInfo, settings: Settings, path: str) -> None:
    settings.ROOT_URLCONF = "tests.api.urls_failing"
    client = Client(HTTP_HOST=alpha.host, HTTP_ACCEPT="application/json", raise_request_exception=False)

    response = client.get(path)

    body = assert_problem(response, 500, "server_error")
    assert SECRET_DETAIL not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    assert body["instance"] == path


def test_a_crash_on_a_page_is_a_500_page(alpha: TenantInfo, settings: Settings) -> None:
    settings.ROOT_URLCONF = "tests.api.urls_failing"
    client = Client(HTTP_HOST=alpha.host, HTTP_ACCEPT="text/html", raise_request_exception=False)

    response = client.get("/failing/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert SECRET_DETAIL not in response.content.decode()


def test_a_body_over_the_limit_is_413_before_it_is_read(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_MAX_REQUEST_BYTES = 1000
    before = usernames(alpha)
    body = json.dumps({**NEW_USER, "last_name": "x" * 2000})

    response = as_user(alpha, "admin").post("/api/v1/users/", body, content_type="application/json")

    problem = assert_problem(response, 413, "payload_too_large")
    assert problem["detail"] == f"The body has {len(body)} bytes; the limit is 1000."
    assert response["Connection"] == "close"
    assert usernames(alpha) == before


def test_the_default_limit_is_ten_megabytes(alpha: TenantInfo, settings: Settings) -> None:
    assert settings.APG_MAX_REQUEST_BYTES == 10 * 1024 * 1024
    body = json.dumps({"username": "x" * (10 * 1024 * 1024)})

    response = api_client(alpha).post("/api/v1/auth/token/", body, content_type="application/json")

    assert_problem(response, 413, "payload_too_large")


def test_a_body_django_refuses_to_load_is_413(alpha: TenantInfo, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = usernames(alpha)
    body = json.dumps({**NEW_USER, "last_name": "x" * 2000})

    response = as_user(alpha, "admin").post("/api/v1/users/", body, content_type="application/json")

    assert_problem(response, 413, "payload_too_large")
    assert usernames(alpha) == before


def post_chunked_json(host: str, path: str, payload: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    """POST ``payload`` through Django's ASGI handler in chunks, as daphne passes a chunked body: no Content-Length.

    ``handle()`` rather than ``__call__()`` keeps the views on this thread's database
    connection, which sees the test's transaction.
    """
    data = json.dumps(payload).encode()
    chunks = [data[start : start + 100] for start in range(0, len(data), 100)]
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the handler answers
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", host.encode()),
            (b"transfer-encoding", b"chunked"),
            (b"content-type", b"application/json"),
        ],
        "client": (unique_address(), 5000),
        "server": (host, 80),
    }
    # Like Django's test clients: keep the test's connection (and its transaction) open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(ASGIHandler().handle)(scope, receive, send)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_a_chunked_body_over_the_limit_is_413(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_MAX_REQUEST_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    credentials = {"username": "worker", "password": "x" * 2000}

    status, headers, body = post_chunked_json(alpha.host, "/api/v1/auth/token/", credentials)

    assert status == 413
    assert headers[b"Content-Type"] == b"application/problem+json"
    assert json.loads(body)["code"] == "payload_too_large"


def test_a_chunked_body_under_the_limit_is_read(alpha: TenantInfo) -> None:
    credentials = {"username": "worker", "password": alpha.password("worker")}

    status, _, body = post_chunked_json(alpha.host, "/api/v1/auth/token/", credentials)

    assert status == 200
    assert set(json.loads(body)) == {"access", "refresh"}


def test_an_unknown_host_is_a_404_page_for_browsers(alpha: TenantInfo) -> None:
    client = Client(HTTP_HOST="nobody.localhost", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    response = client.get("/accounts/login/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "No tenant is served at &#x27;nobody.localhost&#x27;." in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/api/v1/me/", "*/*"), ("/api/v1/auth/token/", "text/html"), ("/home/", "application/json")],
)
def test_an_unknown_host_is_a_404_problem_for_api_clients(alpha: TenantInfo, path: str, accept: str) -> None:
    client = Client(HTTP_HOST="nobody.localhost", HTTP_ACCEPT=accept)

    response = client.get(path)

    body = assert_problem(response, 404, "not_found")
    assert body["detail"] == "No tenant is served at 'nobody.localhost'."


def test_a_host_outside_allowed_hosts_is_a_404_problem(alpha: TenantInfo) -> None:
    response = Client(HTTP_HOST="evil.example.com").get("/api/v1/me/")

    assert_problem(response, 404, "not_found")


def test_an_unknown_host_cannot_obtain_a_token(alpha: TenantInfo) -> None:
    response = Client(HTTP_HOST="nobody.localhost").post(
        "/api/v1/auth/token/",
        {"username": "worker", "password": alpha.password("worker")},
        content_type="application/json",
    )

    assert "access" not in assert_problem(response, 404, "not_found")


def test_the_public_host_has_no_api(alpha: TenantInfo) -> None:
    response = Client(HTTP_HOST="localhost").get("/api/v1/me/")

    assert_problem(response, 404, "not_found")


def test_a_page_request_over_the_limit_is_a_413_page(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_MAX_REQUEST_BYTES = 1000
    client = Client(HTTP_HOST=alpha.host, HTTP_ACCEPT="text/html")

    response = client.post("/accounts/login/", {"username": "worker", "password": "x" * 2000})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Payload too large" in response.content.decode()
    assert settings.SESSION_COOKIE_NAME not in response.cookies
