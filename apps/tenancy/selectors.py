"""Read queries of the tenancy app shared by HTTP and WebSocket routing."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_tenant_domain_model

from apps.tenancy.models import Tenant

_lock = threading.Lock()
_tenants_by_host: dict[str, tuple[float, Tenant]] = {}


def tenant_for_host(hostname: str) -> Tenant | None:
    """The tenant served at ``hostname``, or None; leaves the connection on the public schema.

    Every request asks, so a found tenant is kept in this process for
    ``APG_TENANT_CACHE_SECONDS`` (a domain moved or removed is noticed within that time).
    Unknown hosts are not kept: a new tenant answers at once.
    """
    ttl = settings.APG_TENANT_CACHE_SECONDS
    now = time.monotonic()
    cached = _tenants_by_host.get(hostname)
    connection.set_schema_to_public()
    if cached is not None and cached[0] > now:
        return cached[1]
    domain = get_tenant_domain_model().objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None:
        return None
    if ttl > 0:
        with _lock:
            _tenants_by_host[hostname] = (now + ttl, domain.tenant)
    return domain.tenant  # type: ignore[no-any-return]


def forget_cached_tenants() -> None:
    """Drop this process's host cache (after moving a domain, and between tests)."""
    with _lock:
        _tenants_by_host.clear()
