"""Template context: the navigation a user's roles allow."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from apps.tenancy.navigation import navigation_for
from apps.tenancy.roles import roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    is_public = tenant is None or connection.schema_name == get_public_schema_name()
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None and not is_public else frozenset()
    items = [] if is_public else navigation_for(user)
    # The entry a page lies under (a task's page under "Tasks"): the longest address it starts with.
    under = [item.url for item in items if request.path.startswith(item.url)]
    return {
        "current_tenant": None if is_public else tenant,
        "user_roles": sorted(role.label for role in roles),
        "nav_items": items,
        "nav_active": max(under, key=len, default=""),
    }
