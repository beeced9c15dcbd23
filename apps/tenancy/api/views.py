"""Authentication and user endpoints of a tenant's API. Thin: validate, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from apg_wbpm.api.problems import PROBLEM_CONTENT_TYPE, Conflict
from apg_wbpm.api.schema import ProblemAutoSchema, problem_response
from apg_wbpm.api.throttling import TokenRateThrottle
from apps.tenancy import services
from apps.tenancy.api import schema as _schema_extensions  # noqa: F401 - registers the JWT extensions
from apps.tenancy.api.serializers import MeSerializer, UserSerializer
from apps.tenancy.authentication import (
    TenantTokenObtainPairSerializer,
    TenantTokenRefreshSerializer,
    TenantTokenVerifySerializer,
)
from apps.tenancy.permissions import ActionPermission
from apps.tenancy.roles import Action, Role

# Each view names its schema until REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] is ProblemAutoSchema.


@extend_schema(summary="Obtain an access and a refresh token")
class TokenObtainView(jwt_views.TokenObtainPairView):
    """Exchange a username and password of this tenant for an access and a refresh token."""

    schema = ProblemAutoSchema()
    serializer_class = TenantTokenObtainPairSerializer
    throttle_classes = [TokenRateThrottle]


@extend_schema(summary="Refresh an access token")
class TokenRefreshView(jwt_views.TokenRefreshView):
    """Exchange a refresh token of this tenant for a new access token."""

    schema = ProblemAutoSchema()
    serializer_class = TenantTokenRefreshSerializer


@extend_schema(
    summary="Verify a token",
    responses={200: OpenApiResponse(description="The token is valid on this tenant; the body is `{}`.")},
)
class TokenVerifyView(jwt_views.TokenVerifyView):
    """Tell whether a token is valid on this tenant (200) or not (401)."""

    schema = ProblemAutoSchema()
    serializer_class = TenantTokenVerifySerializer


class MeView(APIView):
    schema = ProblemAutoSchema()
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, summary="The current user, tenant, roles and allowed actions")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(MeSerializer.describe(request.user, connection.schema_name)).data)


@extend_schema_view(
    list=extend_schema(summary="List the tenant's users"),
    retrieve=extend_schema(summary="Read a user"),
    create=extend_schema(
        summary="Create a user with roles",
        responses={
            201: UserSerializer,
            (409, PROBLEM_CONTENT_TYPE): problem_response("The username is taken (`conflict`)."),
        },
    ),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The users of this tenant. Tenant admins only."""

    schema = ProblemAutoSchema()
    serializer_class = UserSerializer
    permission_classes = [ActionPermission]
    required_action = Action.MANAGE_USERS
    queryset = get_user_model().objects.order_by("username").prefetch_related("groups")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = services.create_user(
                username=data["username"],
                password=data["password"],
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                roles=[Role(value) for value in data.get("roles", [])],
            )
        except services.UsernameTaken as error:
            raise Conflict(str(error)) from error
        return Response(self.get_serializer(user).data, status=status.HTTP_201_CREATED)
