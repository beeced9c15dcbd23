"""Host-based tenant routing with a clean 404 for unknown hosts."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django_tenants.middleware.main import TenantMainMiddleware

from apg_wbpm.errors import error_response
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenant_for_host


class TenantHostMiddleware(TenantMainMiddleware):
    """Pick the tenant schema from the Host header (``acme.localhost`` -> ``acme``).

    An unknown or disallowed host gets a 404 page or problem, never a traceback.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        from django.core.exceptions import DisallowedHost

        try:
            self.hostname_from_request(request)
        except DisallowedHost:
            return error_response(request, 404, "This host is not served here.")
        return super().process_request(request)  # type: ignore[no-any-return]

    def get_tenant(self, domain_model: Any, hostname: str) -> Tenant:
        tenant = tenant_for_host(hostname)
        if tenant is None:
            raise domain_model.DoesNotExist(hostname)
        return tenant

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return error_response(request, 404, f"No tenant is served at {hostname!r}.")
