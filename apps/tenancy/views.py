"""Server-rendered pages of the UI shell: the public landing page and each tenant's home."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_tenants.utils import get_public_schema_name

from apg_wbpm.api.throttling import TokenRateThrottle
from apps.tenancy.models import Tenant
from apps.tenancy.roles import Role, roles_of


def landing(request: HttpRequest) -> HttpResponse:
    """The public site: what the platform is and links to the tenants shown there."""
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    listed = Tenant.objects.exclude(schema_name=get_public_schema_name()).filter(show_on_landing=True)
    tenants = []
    for tenant in listed.order_by("name"):
        domain = tenant.get_primary_domain()
        if domain is not None:
            tenants.append({"name": tenant.name, "url": f"{request.scheme}://{domain.domain}{suffix}/"})
    return render(request, "tenancy/landing.html", {"tenants": tenants})


def tenant_root(request: HttpRequest) -> HttpResponse:
    """A tenant's bare address: home when signed in, the login page otherwise."""
    return redirect("home" if request.user.is_authenticated else "login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One section per role the user has, in a fixed order."""
    roles = roles_of(request.user)
    sections = [role.value for role in Role if role in roles]
    return render(request, "tenancy/home.html", {"role_sections": sections})


class LoginView(auth_views.LoginView):
    """Django's login page, sharing the token endpoint's budget of sign-in attempts per address."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = TokenRateThrottle()
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            form = self.get_form()
            wait = int(throttle.wait() or 60) + 1
            form.add_error(None, f"Too many sign-in attempts. Try again in {wait} seconds.")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)
