"""URLs of a tenant's host (``acme.localhost``): UI, tenant admin and the REST API."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apg_wbpm import errors
from apps.tenancy import views

urlpatterns = [
    path("", views.tenant_root, name="root"),
    path("home/", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tasks/", include("apps.tasks.urls")),
    path("designer/", include("apps.designer.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("apps.tenancy.api.urls")),
    path("api/v1/", include("apps.engine.api.urls")),
    path("api/v1/", include("apps.tasks.api.urls")),
    path("api/v1/", include("apps.designer.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", errors.api_fallback),
]

handler400 = "apg_wbpm.errors.bad_request"
handler403 = "apg_wbpm.errors.permission_denied"
handler404 = "apg_wbpm.errors.page_not_found"
handler500 = "apg_wbpm.errors.server_error"
