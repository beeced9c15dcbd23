from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

from apps.tenancy.roles import Role, actions_of, roles_of


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    tenant = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=[role.value for role in Role]))
    actions = serializers.ListField(child=serializers.CharField())

    @staticmethod
    def describe(user: Any, schema_name: str) -> dict[str, Any]:
        return {
            "username": user.get_username(),
            "email": user.email,
            "tenant": schema_name,
            "roles": sorted(role.value for role in roles_of(user)),
            "actions": sorted(action.value for action in actions_of(user)),
        }


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.MultipleChoiceField(choices=[role.value for role in Role], required=False)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "roles", "password"]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"username": {"validators": []}}  # a duplicate is a 409, decided by the service

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["roles"] = sorted(role.value for role in roles_of(instance))
        return data

    def validate_password(self, value: str) -> str:
        validate_password(value)
        return value
