"""The UI login page: tenant users only, and a limited number of attempts per address."""

from __future__ import annotations

from pytest_django.fixtures import Settings

from tests.conftest import TenantInfo, tenant_client


def test_a_user_signs_in_on_their_own_tenant_only(alpha: TenantInfo, beta: TenantInfo) -> None:
    credentials = {"username": alpha.only_user, "password": alpha.password(alpha.only_user)}

    on_beta = tenant_client(beta).post("/accounts/login/", credentials)
    on_alpha = tenant_client(alpha).post("/accounts/login/", credentials)

    assert on_beta.status_code == 200
    assert b"Please enter a correct username and password" in on_beta.content
    assert on_alpha.status_code == 302
    assert on_alpha["Location"] == "/home/"


def test_sign_in_attempts_are_limited_per_address(alpha: TenantInfo, settings: Settings) -> None:
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "2/min"}
    client = tenant_client(alpha)
    client.defaults["REMOTE_ADDR"] = "198.51.100.23"
    wrong = {"username": "admin", "password": "not-the-password"}

    statuses = [client.post("/accounts/login/", wrong).status_code for _ in range(2)]
    limited = client.post("/accounts/login/", {"username": "admin", "password": alpha.password("admin")})

    assert statuses == [200, 200]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert b"Too many sign-in attempts" in limited.content
    assert "_auth_user_id" not in client.session  # even the right password did not sign in
