"""URLs of the public host (``localhost``): landing page and the platform admin."""

from django.urls import path

from apps.tenancy import views
from apps.tenancy.admin import public_admin_site

urlpatterns = [
    path("", views.landing, name="landing"),
    path("admin/", public_admin_site.urls),
]

handler400 = "apg_wbpm.errors.bad_request"
handler403 = "apg_wbpm.errors.permission_denied"
handler404 = "apg_wbpm.errors.page_not_found"
handler500 = "apg_wbpm.errors.server_error"
