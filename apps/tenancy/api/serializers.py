"""Serializers of the tenancy API: the current user and the tenant's users."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.tenancy.roles import Role, actions_of, roles_of

ROLE_CHOICES = [(role.value, role.label) for role in Role]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    tenant = serializers.CharField(help_text="The schema name of the tenant whose host answered.")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CHOICES))
    actions = serializers.ListField(child=serializers.CharField(), help_text="What the roles allow, sorted.")

    @staticmethod
    def describe(user: Any, schema_name: str) -> dict[str, Any]:
        return {
            "username": user.get_username(),
            "email": user.email,
            "tenant": schema_name,
            "roles": sorted(role.value for role in roles_of(user)),
            "actions": sorted(action.value for action in actions_of(user)),
        }


def assigned_role_values(user: Any) -> list[str]:
    """The roles of a listed user, read from its prefetched groups so a page costs one query, not one per user.

    Like ``roles_of``, a superuser counts as tenant admin; unlike it, an inactive user keeps
    the roles it was given, because a list of users shows what was assigned.
    """
    names = {group.name for group in user.groups.all()}
    roles = {role for role in Role if role.value in names}
    if user.is_superuser:
        roles.add(Role.TENANT_ADMIN)
    return sorted(role.value for role in roles)


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.MultipleChoiceField(choices=ROLE_CHOICES, required=False)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "roles", "password"]
        read_only_fields = ["id", "is_active"]
        # A taken username is a 409 decided by the service, not a 400 from a uniqueness validator.
        extra_kwargs = {"username": {"validators": [get_user_model().username_validator]}}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["roles"] = assigned_role_values(instance)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Check the password with every validator, including its similarity to the other fields."""
        candidate = get_user_model()(**{key: value for key, value in attrs.items() if key not in ("roles", "password")})
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs
