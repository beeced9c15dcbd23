"""RFC 9457 problem details: every API error leaves as ``application/problem+json`` with a stable ``code``.

The ``code`` is the contract for clients; ``title`` and ``detail`` are for people and may change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    """The request conflicts with the current state (a duplicate, a stale version)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = "payload_too_large"


# DRF exception class -> (stable code, title). The most specific class comes first.
_CODES: list[tuple[type[exceptions.APIException], str, str]] = [
    (exceptions.ValidationError, "validation_error", "The request has invalid fields"),
    (exceptions.ParseError, "malformed_request", "The request body could not be parsed"),
    (exceptions.NotAuthenticated, "not_authenticated", "Authentication required"),
    (exceptions.AuthenticationFailed, "authentication_failed", "Authentication failed"),
    (exceptions.PermissionDenied, "permission_denied", "Permission denied"),
    (exceptions.NotFound, "not_found", "Not found"),
    (exceptions.MethodNotAllowed, "method_not_allowed", "Method not allowed"),
    (exceptions.NotAcceptable, "not_acceptable", "Not acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type"),
    (exceptions.Throttled, "throttled", "Too many requests"),
    (Conflict, "conflict", "Conflict"),
    (PayloadTooLarge, "payload_too_large", "Payload too large"),
]

# Token errors raised by authentication carry their own codes; these stay stable.
_AUTH_CODES = {"token_not_valid": "token_invalid", "token_wrong_tenant": "token_wrong_tenant"}


def problem_body(status_code: int, code: str, title: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"about:blank#{code}", "title": title, "status": status_code, "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem_response(
    request: HttpRequest | None, status_code: int, code: str, title: str, detail: str | None = None, **extra: Any
) -> JsonResponse:
    """A plain Django response carrying a problem, for errors raised outside DRF views."""
    body = problem_body(status_code, code, title, detail, **extra)
    if request is not None:
        body["instance"] = request.path
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def wants_problem_json(request: HttpRequest) -> bool:
    """API paths always get JSON; elsewhere the client must prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def _classify(exc: exceptions.APIException) -> tuple[str, str]:
    for exception_class, code, title in _CODES:
        if isinstance(exc, exception_class):
            if isinstance(exc, exceptions.AuthenticationFailed):
                detail_code = _detail_code(exc.detail)
                code = _AUTH_CODES.get(detail_code or "", code)
            return code, title
    return getattr(exc, "default_code", "error"), "Error"


def _detail_code(detail: Any) -> str | None:
    if isinstance(detail, dict):
        value = detail.get("code")
        return str(value) if value is not None else None
    return getattr(detail, "code", None)


def _detail_text(detail: Any) -> str:
    if isinstance(detail, dict):
        message = detail.get("detail")
        return str(message) if message is not None else ""
    if isinstance(detail, list):
        return " ".join(str(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: turn every known error into a problem; unknown ones reach handler500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if not isinstance(exc, exceptions.APIException):
        return None

    code, title = _classify(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        detail = "One or more fields are invalid; see `errors`."
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        detail = _detail_text(exc.detail)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after_seconds"] = int(exc.wait) + 1

    request = context.get("request")
    body = problem_body(exc.status_code, code, title, detail, **extra)
    if request is not None:
        body["instance"] = request.path
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)  # type: ignore[attr-defined]
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
