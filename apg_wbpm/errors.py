"""Django-level error views: problem+json for API clients, a page for people."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve

from apg_wbpm.api.problems import ProblemCode, problem_response, wants_problem_json

_PAGES = {
    400: (ProblemCode.MALFORMED_REQUEST, "Bad request", "The request could not be understood."),
    403: (ProblemCode.PERMISSION_DENIED, "Permission denied", "You are not allowed to do this."),
    404: (ProblemCode.NOT_FOUND, "Not found", "There is nothing at this address."),
    413: (ProblemCode.PAYLOAD_TOO_LARGE, "Payload too large", "The request body is larger than this server accepts."),
    500: (ProblemCode.SERVER_ERROR, "Server error", "Something went wrong on our side; it has been logged."),
}


def error_response(request: HttpRequest, status_code: int, detail: str | None = None) -> HttpResponse:
    """A problem or an error page, whichever the client prefers (see ``wants_problem_json``)."""
    code, title, default_detail = _PAGES[status_code]
    if wants_problem_json(request):
        return problem_response(request, status_code, code.value, title, detail or default_detail)
    context = {"status": status_code, "title": title, "detail": detail or default_detail}
    return render(request, "error.html", context, status=status_code)


def bad_request(request: HttpRequest, exception: Exception | None = None, **_: Any) -> HttpResponse:
    # Django answers every SuspiciousOperation with 400; a body too big to load is a 413.
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413)
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None, **_: Any) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None, **_: Any) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest, **_: Any) -> HttpResponse:
    return error_response(request, 500)


def api_fallback(request: HttpRequest) -> HttpResponse:
    """Unknown API paths: 308 to the slashed path when that exists (method and body kept), else a 404 problem.

    Routed last under /api/, so the answer is the same with DEBUG on, where Django would
    otherwise render its HTML debug page.
    """
    if not request.path.endswith("/"):
        slashed = request.path + "/"
        try:
            resolve(slashed, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            pass
        else:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(slashed + (f"?{query}" if query else ""), preserve_request=True)
    return error_response(request, 404)
