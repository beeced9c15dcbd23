"""The project's tenant URLs plus views that fail, for the server-error tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apg_wbpm.urls import handler400, handler403, handler404, handler500, urlpatterns

SECRET_DETAIL = "connection string postgres://internal:hunter2@db"


class FailingApiView(APIView):
    permission_classes = []
    authentication_classes = []

    def get(self, request: Request) -> Response:
        raise RuntimeError(SECRET_DETAIL)


def failing_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [
    path("api/v1/failing/", FailingApiView.as_view()),
    path("failing/", failing_page),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
