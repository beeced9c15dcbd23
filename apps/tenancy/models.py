"""Tenant and Domain: the only tables of the public schema besides platform operators."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

schema_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,61}$",
    "Use a lower-case letter followed by up to 61 lower-case letters, digits or underscores.",
)


def validate_time_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as unknown:
        raise ValidationError(f"{name!r} is not a time zone (give an IANA name such as Europe/Berlin).") from unknown


class Tenant(TenantMixin):
    """An organisation with its own PostgreSQL schema."""

    name = models.CharField(max_length=200)
    show_on_landing = models.BooleanField(
        default=False, help_text="Link this tenant from the public landing page (demo tenants)."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="An IANA zone (Europe/Berlin): timers read cron expressions and dates without a zone in it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False  # dropping a tenant's data is an explicit operator action

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    """A host name routed to a tenant (``acme.localhost``)."""

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class PlatformClock(models.Model):
    """How far the platform's clock runs ahead of the real one: one row, read only when
    ``APG_TEST_CLOCK`` is on, so that tests (and benchmarks) move time forward for every
    process (web, workers, scheduler) instead of sleeping. See ``apps.engine.clock``."""

    offset_ms = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"clock +{self.offset_ms} ms"
