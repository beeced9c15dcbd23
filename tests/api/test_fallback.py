"""Unknown API paths: a redirect to the slashed path that exists, a problem otherwise."""

from __future__ import annotations

from django.test import override_settings

from tests.conftest import TenantInfo, api_client


def test_a_missing_trailing_slash_is_redirected_with_method_and_body_kept(alpha: TenantInfo) -> None:
    response = api_client(alpha).post("/api/v1/auth/token?x=1", {"username": "admin"}, format="json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/auth/token/?x=1"


@override_settings(DEBUG=True)
def test_unknown_api_paths_are_problems_even_in_debug(alpha: TenantInfo) -> None:
    response = api_client(alpha).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
