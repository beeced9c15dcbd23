"""``manage.py provision_tenant acme --domain acme.localhost --admin admin``: idempotent."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.tenancy import services
from apps.tenancy.roles import Role


class Command(BaseCommand):
    help = "Create a tenant with its schema, domain, role groups and first admin; repeat safely."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema_name", help="lower-case schema name, e.g. acme")
        parser.add_argument("--name", help="display name (default: the schema name)")
        parser.add_argument("--domain", required=True, help="host name, e.g. acme.localhost")
        parser.add_argument("--admin", default="admin", help="username of the first tenant admin")
        parser.add_argument("--admin-email", default="")
        parser.add_argument(
            "--admin-password-env",
            default="APG_TENANT_ADMIN_PASSWORD",
            help="environment variable holding the admin password (asked for when unset and interactive)",
        )
        parser.add_argument("--show-on-landing", action="store_true")
        parser.add_argument(
            "--time-zone", default=None, help="IANA zone for the tenant's timers, e.g. Europe/Berlin (default: UTC)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["admin_password_env"])
        if not password:
            if not options.get("interactive", True) or not os.isatty(0):
                raise CommandError(f"Set {options['admin_password_env']} to the first admin's password.")
            password = getpass.getpass(f"Password for {options['admin']}: ")
        admin = services.UserSpec(options["admin"], password, Role.TENANT_ADMIN, options["admin_email"])
        try:
            result = services.provision_tenant(
                options["schema_name"],
                options["name"] or options["schema_name"],
                options["domain"],
                [admin],
                show_on_landing=options["show_on_landing"],
                time_zone=options["time_zone"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        verb = "Created" if result.tenant_created else "Tenant exists:"
        self.stdout.write(f"{verb} {result.tenant.schema_name} at {options['domain']}")
        for username in result.users_created:
            self.stdout.write(f"Created tenant admin {username}")
