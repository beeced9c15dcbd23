"""Typed readers for the process environment: the one place settings come from."""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    """Read typed values from a mapping of strings (``os.environ`` by default)."""

    def __init__(self, source: Mapping[builtins.str, builtins.str] | None = None) -> None:
        self.source = os.environ if source is None else source

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str:
        value = self.source.get(name)
        if value is None or value == "":
            if default is None:
                raise ImproperlyConfigured(f"Set the environment variable {name}.")
            return default
        return value

    def optional(self, name: builtins.str) -> builtins.str | None:
        return self.source.get(name) or None

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self.source.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")

    def int(self, name: builtins.str, default: builtins.int) -> builtins.int:
        value = self.source.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from error

    def list(self, name: builtins.str, default: builtins.list[builtins.str]) -> builtins.list[builtins.str]:
        value = self.source.get(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]
