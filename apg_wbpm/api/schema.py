"""OpenAPI documentation of the problem contract (see problems.py).

``ProblemAutoSchema`` adds to each operation the problems it can answer with, as
``application/problem+json`` responses of the ``Problem`` component, judged from what
the view declares: a request body, authenticators, permissions, throttles, path
parameters. Errors a view decides itself (a 409) are documented on the view with
``problem_response``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

from apg_wbpm.api.problems import PROBLEM_CONTENT_TYPE, ProblemCode

# The problems every operation of a kind may answer with; a view may document more.
_BODY_PROBLEMS = {
    400: "The body is not valid JSON (`malformed_request`) or has invalid fields (`validation_error`, see `errors`).",
    413: "The body is larger than the server accepts (`payload_too_large`).",
    415: "The body has a media type the endpoint does not parse (`unsupported_media_type`).",
}
_AUTHENTICATION_PROBLEM = (
    "No credentials (`not_authenticated`), wrong ones (`authentication_failed`), an invalid or expired "
    "token (`token_invalid`) or a token issued by another tenant (`token_wrong_tenant`)."
)
_PERMISSION_PROBLEM = (
    "The user's roles do not allow this, or a session request lacks its CSRF token (`permission_denied`)."
)
_NOT_FOUND_PROBLEM = "Nothing with this id exists in the tenant (`not_found`)."
_THROTTLED_PROBLEM = "Too many requests (`throttled`); retry after `Retry-After` seconds."
_SERVER_PROBLEM = "An unexpected error, logged on the server (`server_error`)."


class ProblemSerializer(serializers.Serializer[Any]):
    """An RFC 9457 problem. Clients branch on the code; the title and detail are for people and may change."""

    type = serializers.CharField(help_text="`about:blank#` followed by the code.")
    title = serializers.CharField()
    status = serializers.IntegerField(help_text="The HTTP status code.")
    code = serializers.ChoiceField(
        choices=[code.value for code in ProblemCode], help_text="The stable, machine-readable kind of problem."
    )
    detail = serializers.CharField(required=False)
    instance = serializers.CharField(required=False, help_text="The path of the request.")
    # The metaclass moves declared fields off the class, so this does not hide Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="With `validation_error`: the messages per field (`non_field_errors` for the rest)."
    )
    retry_after_seconds = serializers.IntegerField(required=False, help_text="With `throttled`.")


def problem_response(description: str) -> OpenApiResponse:
    """A problem response for ``extend_schema(responses={(status, PROBLEM_CONTENT_TYPE): ...})``."""
    return OpenApiResponse(ProblemSerializer, description=description)


class ProblemAutoSchema(AutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        problem = {"schema": self.resolve_serializer(ProblemSerializer, "response").ref}
        for status_code, description in sorted(self.problem_descriptions().items()):
            operation["responses"].setdefault(
                str(status_code), {"description": description, "content": {PROBLEM_CONTENT_TYPE: problem}}
            )
        return operation

    def problem_descriptions(self) -> dict[int, str]:
        """The problems this operation can answer with, by status code."""
        view = self.view
        problems = {500: _SERVER_PROBLEM}
        if self.method in ("POST", "PUT", "PATCH"):
            problems.update(_BODY_PROBLEMS)
        if view.get_authenticate_header(view.request):
            problems[401] = _AUTHENTICATION_PROBLEM
        if self._checks_permissions_or_csrf():
            problems[403] = _PERMISSION_PROBLEM
        if "{" in self.path:
            problems[404] = _NOT_FOUND_PROBLEM
        if view.get_throttles():
            problems[429] = _THROTTLED_PROBLEM
        return problems

    def _checks_permissions_or_csrf(self) -> bool:
        view = self.view
        by_role = any(not isinstance(permission, (AllowAny, IsAuthenticated)) for permission in view.get_permissions())
        by_csrf = self.method not in SAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in view.get_authenticators()
        )
        return by_role or by_csrf
