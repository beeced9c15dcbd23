"""Query parameters of the instance list, parsed into queryset filters."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from apps.engine.models import InstanceState, ProcessInstance


class InstanceCursorPagination(CursorPagination):
    """Newest first; a cursor stays valid while instances are added (no OFFSET over millions of rows)."""

    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _datetime(name: str, raw: str) -> Any:
    value = parse_datetime(raw)
    if value is None:
        raise ValidationError({name: f"{raw!r} is not an ISO 8601 date-time."})
    return value


def _variable(raw: str) -> tuple[str, Any]:
    name, separator, text = raw.partition(":")
    if not separator or not name:
        raise ValidationError({"variable": f"{raw!r} is not name:value (the value as JSON, or as text)."})
    try:
        return name, json.loads(text)
    except ValueError:
        return name, text


def filter_instances(queryset: QuerySet[ProcessInstance], params: Any) -> QuerySet[ProcessInstance]:
    """``state``, ``key``, ``business_key``, ``parent``, ``started_after``, ``started_before`` and repeated
    ``variable=name:value`` (equality on the instance's variables)."""
    state = params.get("state")
    if state:
        if state not in InstanceState.values:
            raise ValidationError({"state": f"Use one of {', '.join(InstanceState.values)}."})
        queryset = queryset.filter(state=state)
    if params.get("key"):
        queryset = queryset.filter(definition__key=params["key"])
    if params.get("business_key"):
        queryset = queryset.filter(business_key=params["business_key"])
    if params.get("parent"):
        try:
            queryset = queryset.filter(parent_id=uuid.UUID(params["parent"]))
        except ValueError:
            raise ValidationError({"parent": f"{params['parent']!r} is not an instance id."}) from None
    if params.get("started_after"):
        queryset = queryset.filter(started_at__gte=_datetime("started_after", params["started_after"]))
    if params.get("started_before"):
        queryset = queryset.filter(started_at__lt=_datetime("started_before", params["started_before"]))
    for raw in params.getlist("variable"):
        name, value = _variable(raw)
        queryset = queryset.filter(variables__contains={name: value})
    return queryset
