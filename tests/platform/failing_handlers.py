"""A handler that always raises: imported by the tests that use it, and loaded by the worker
processes of the reliability tests through ``APG_HANDLER_MODULES=tests.platform.failing_handlers``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.engine.handlers import register_handler

calls: list[Mapping[str, Any]] = []  # what this process called it with


@register_handler("testsUnreachableService")
def unreachable_service(variables: Mapping[str, Any]) -> Mapping[str, Any] | None:
    calls.append(variables)
    raise ConnectionError("the payment service does not answer")
