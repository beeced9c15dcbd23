"""Fixtures of the API tests."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _generous_token_rate(settings: Settings) -> None:
    """Tests obtain many tokens from one address within a minute; the throttle tests set their own rates."""
    settings.APG_THROTTLE_RATES = {**settings.APG_THROTTLE_RATES, "token": "100000/min"}
