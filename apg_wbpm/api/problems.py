"""RFC 9457 problem details: every API error leaves as ``application/problem+json`` with a stable ``code``.

The ``code`` is the contract for clients; ``title`` and ``detail`` are for people and may change.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemCode(StrEnum):
    """The stable ``code`` of every problem this API answers with."""

    VALIDATION_ERROR = "validation_error"
    MALFORMED_REQUEST = "malformed_request"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a problem code, not a secret
    TOKEN_WRONG_TENANT = "token_wrong_tenant"  # noqa: S105
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    CONFLICT = "conflict"
    MODEL_INVALID = "model_invalid"
    MESSAGE_NOT_CORRELATED = "message_not_correlated"
    MESSAGE_AMBIGUOUS = "message_ambiguous"
    NO_CONDITIONAL_START = "no_conditional_start"
    FORM_INVALID = "form_invalid"
    FORM_NOT_FOUND = "form_not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    VERSION_CONFLICT = "version_conflict"
    PRECONDITION_REQUIRED = "precondition_required"
    SIMULATION_INVALID = "simulation_invalid"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"


class Conflict(exceptions.APIException):
    """The request conflicts with the current state (a duplicate, a stale version)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = ProblemCode.CONFLICT.value


class ModelInvalid(exceptions.APIException):
    """A BPMN model has errors; ``problems`` lists every one (severity, code, element, line, message)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The model has errors; see `problems`."
    default_code = ProblemCode.MODEL_INVALID.value

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__()
        self.problem_extra = {"problems": problems}


class MessageNotCorrelated(exceptions.APIException):
    """Nothing waits for the message and no process starts with it; nothing changed."""

    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Nothing waits for this message."
    default_code = ProblemCode.MESSAGE_NOT_CORRELATED.value


class NoConditionalStart(exceptions.APIException):
    """No newest process version has a conditional start event to evaluate; nothing started."""

    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No process starts with a condition."
    default_code = ProblemCode.NO_CONDITIONAL_START.value


class MessageAmbiguous(exceptions.APIException):
    """Several waits match a message meant for one; nothing changed."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Several waits match this message."
    default_code = ProblemCode.MESSAGE_AMBIGUOUS.value


class FormInvalid(exceptions.APIException):
    """A form file is not a form-js form this platform keeps; nothing was stored."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The file is not a form-js form with an id and components."
    default_code = ProblemCode.FORM_INVALID.value


class FormNotFound(exceptions.APIException):
    """The deployed form a task names is not there (not deployed yet, or not that version);
    ``form`` says which form the task names. Nothing changed."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The form this task names is not deployed."
    default_code = ProblemCode.FORM_NOT_FOUND.value

    def __init__(self, detail: str, form: dict[str, Any]) -> None:
        super().__init__(detail)
        self.problem_extra = {"form": form}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = ProblemCode.PAYLOAD_TOO_LARGE.value


class VersionConflict(exceptions.APIException):
    """A change was based on a version that is no longer the latest (``If-Match``);
    ``current_version`` says which is."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "Someone saved a newer version; load it, then save again."
    default_code = ProblemCode.VERSION_CONFLICT.value

    def __init__(self, detail: str, current: int) -> None:
        super().__init__(detail)
        self.problem_extra = {"current_version": current}


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Say which version the change is based on, in the If-Match header."
    default_code = ProblemCode.PRECONDITION_REQUIRED.value


class SimulationInvalid(exceptions.APIException):
    """A model or its simulation parameters cannot be simulated; ``problems`` lists every reason
    (code, message, element_id, parameter, line)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The model cannot be simulated with these parameters; see `problems`."
    default_code = ProblemCode.SIMULATION_INVALID.value

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__()
        self.problem_extra = {"problems": problems}


# DRF exception class -> (stable code, title). The most specific class comes first.
_CODES: list[tuple[type[exceptions.APIException], ProblemCode, str]] = [
    (exceptions.ValidationError, ProblemCode.VALIDATION_ERROR, "The request has invalid fields"),
    (exceptions.ParseError, ProblemCode.MALFORMED_REQUEST, "The request body could not be parsed"),
    (exceptions.NotAuthenticated, ProblemCode.NOT_AUTHENTICATED, "Authentication required"),
    (exceptions.AuthenticationFailed, ProblemCode.AUTHENTICATION_FAILED, "Authentication failed"),
    (exceptions.PermissionDenied, ProblemCode.PERMISSION_DENIED, "Permission denied"),
    (exceptions.NotFound, ProblemCode.NOT_FOUND, "Not found"),
    (exceptions.MethodNotAllowed, ProblemCode.METHOD_NOT_ALLOWED, "Method not allowed"),
    (exceptions.NotAcceptable, ProblemCode.NOT_ACCEPTABLE, "Not acceptable"),
    (exceptions.UnsupportedMediaType, ProblemCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
    (exceptions.Throttled, ProblemCode.THROTTLED, "Too many requests"),
    (Conflict, ProblemCode.CONFLICT, "Conflict"),
    (PayloadTooLarge, ProblemCode.PAYLOAD_TOO_LARGE, "Payload too large"),
    (ModelInvalid, ProblemCode.MODEL_INVALID, "The model is not valid"),
    (FormInvalid, ProblemCode.FORM_INVALID, "The form is not valid"),
    (FormNotFound, ProblemCode.FORM_NOT_FOUND, "The task's form is not deployed"),
    (MessageNotCorrelated, ProblemCode.MESSAGE_NOT_CORRELATED, "The message matched nothing"),
    (MessageAmbiguous, ProblemCode.MESSAGE_AMBIGUOUS, "The message matches several waits"),
    (VersionConflict, ProblemCode.VERSION_CONFLICT, "A newer version exists"),
    (PreconditionRequired, ProblemCode.PRECONDITION_REQUIRED, "The base version is missing"),
    (SimulationInvalid, ProblemCode.SIMULATION_INVALID, "The model cannot be simulated"),
]

# Token errors raised by authentication carry their own codes; these stay stable.
_AUTH_CODES = {
    "token_not_valid": ProblemCode.TOKEN_INVALID,
    "token_wrong_tenant": ProblemCode.TOKEN_WRONG_TENANT,
}


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
                code = _AUTH_CODES.get(_detail_code(exc.detail) or "", code)
            return code.value, title
    if exc.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        return ProblemCode.SERVER_ERROR.value, "Server error"
    return str(exc.default_code), "Error"


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
    headers: dict[str, str] = {}
    extra.update(getattr(exc, "problem_extra", {}))
    if isinstance(exc, exceptions.ValidationError):
        detail = "One or more fields are invalid; see `errors`."
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        detail = _detail_text(exc.detail)
    wait: float | None = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        extra["retry_after_seconds"] = int(wait) + 1
        headers["Retry-After"] = str(extra["retry_after_seconds"])
    auth_header: str | None = getattr(exc, "auth_header", None)  # set by DRF on a 401
    if auth_header:
        headers["WWW-Authenticate"] = auth_header

    request = context.get("request")
    body = problem_body(exc.status_code, code, title, detail, **extra)
    if request is not None:
        body["instance"] = request.path
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
