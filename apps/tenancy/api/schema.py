"""OpenAPI extensions for the tenant-bound JWT classes, which drf-spectacular only knows by their bases.

Importing this module registers them (apps.tenancy.api.views does).
"""

from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
    TokenRefreshSerializerExtension,
    TokenVerifySerializerExtension,
)


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "apps.tenancy.authentication.TenantJWTAuthentication"


class TenantTokenObtainPairSerializerExtension(TokenObtainPairSerializerExtension):
    target_class = "apps.tenancy.authentication.TenantTokenObtainPairSerializer"


class TenantTokenRefreshSerializerExtension(TokenRefreshSerializerExtension):
    target_class = "apps.tenancy.authentication.TenantTokenRefreshSerializer"


class TenantTokenVerifySerializerExtension(TokenVerifySerializerExtension):
    target_class = "apps.tenancy.authentication.TenantTokenVerifySerializer"
