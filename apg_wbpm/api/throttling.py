"""Rate limits read from ``settings.APG_THROTTLE_RATES`` at request time, counted per tenant.

The cache key function of django-tenants prefixes every key with the schema, so one
tenant's traffic never spends another tenant's budget.

A rate of N per period is kept with the generic cell rate algorithm (GCRA): one number per
client in Redis, the time at which its budget is whole again, read and moved by one Lua
script on Redis's own clock. Every request costs one round trip and a few bytes, where
DRF's throttles read and write back a list of every request's time in the period (two
round trips and, for a busy integration at thousands a minute, a list that long). N
requests may come at once; after that one more every period / N, and a refused client is
told when the next one will be let through.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from rest_framework.request import Request

# KEYS[1]: the client's key. ARGV: the emission interval (period / N) and the period, in µs.
# Returns 0 when the request is allowed, else the µs to wait before the next one would be.
_GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local whole_at = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local allowed_at = whole_at + interval - period
if allowed_at > now then
    return allowed_at - now
end
redis.call('SET', KEYS[1], whole_at + interval, 'PX', math.ceil((whole_at + interval - now) / 1000))
return 0
"""
_script: Any = None


def _spend(key: str, requests: int, seconds: int) -> int:
    """Take one request from the budget under ``key``: 0 if allowed, else the µs to wait."""
    global _script
    if _script is None:
        _script = cache.client.get_client(write=True).register_script(_GCRA)  # type: ignore[attr-defined]
    period = seconds * 1_000_000
    return int(_script(keys=[cache.make_key(key)], args=[period // requests, period]))


class _SettingsRate:
    scope: str
    num_requests: int
    duration: int

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

    def allow_request(self, request: "Request", view: Any) -> bool:
        self._wait_us = 0
        if self.rate is None:  # type: ignore[attr-defined]
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        self._wait_us = _spend(key, self.num_requests, self.duration)
        return self._wait_us == 0

    def wait(self) -> float | None:
        """Seconds until the next request would be allowed."""
        return self._wait_us / 1_000_000 if self._wait_us else None


class AnonymousRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    scope = "anonymous"


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    scope = "user"


class TokenRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Login attempts (token obtain), per client address: slows password guessing."""

    scope = "token"

    def get_cache_key(self, request: "Request", view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
