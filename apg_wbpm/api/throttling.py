"""Rate limits read from ``settings.APG_THROTTLE_RATES`` at request time, counted per tenant.

The cache key function of django-tenants prefixes every key with the schema, so one
tenant's traffic never spends another tenant's budget.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.request import Request


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return settings.APG_THROTTLE_RATES.get(self.scope)  # type: ignore[no-any-return]

    def get_ident(self, request: "Request") -> str:
        """The client address; X-Forwarded-For counts only with REST_FRAMEWORK["NUM_PROXIES"] set.

        DRF's default trusts the header when NUM_PROXIES is unset, which lets a client pick
        a new identity per request and never be throttled.
        """
        if api_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR", ""))
        return super().get_ident(request)  # type: ignore[misc,no-any-return]


class AnonymousRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    scope = "anonymous"


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    scope = "user"


class TokenRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Login attempts (token obtain), per client address: slows password guessing."""

    scope = "token"

    def get_cache_key(self, request: "Request", view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
