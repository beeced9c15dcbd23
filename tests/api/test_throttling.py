"""Rate limits: a budget of N a period spent at once, then one request every period / N.

Each client's budget is one number in Redis (the time it is whole again), moved by one Lua
script on Redis's clock: one round trip per request, whatever the rate.
"""

from __future__ import annotations

from django.core.cache import cache
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings

from tests.api.helpers import assert_problem
from tests.api.test_problems import unique_address
from tests.conftest import TenantInfo, api_client


def test_the_budget_goes_at_once_and_comes_back_one_request_per_interval(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "3/min"}
    client = api_client(alpha)
    address = unique_address()
    credentials = {"username": "worker", "password": alpha.password("worker")}

    answers = [client.post("/api/v1/auth/token/", credentials, format="json", REMOTE_ADDR=address) for _ in range(4)]

    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    body = assert_problem(answers[3], 429, "throttled")
    assert body["retry_after_seconds"] in (20, 21)  # a minute / 3, rounded up: not the whole minute
    with schema_context(alpha.schema):
        key = cache.make_key(f"throttle_token_{address}")
    redis = cache.client.get_client()  # type: ignore[attr-defined]
    whole_again_at = int(redis.get(key))  # µs on Redis's clock: one number per client
    seconds, microseconds = redis.time()
    assert 59_000_000 < whole_again_at - (seconds * 1_000_000 + microseconds) <= 60_000_000
    assert 0 < redis.pttl(key) <= 60_000  # forgotten once the budget is whole
