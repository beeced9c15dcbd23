"""``manage.py provision_public --domain apg.example.com``: the public site's host; idempotent."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.tenancy import services


class Command(BaseCommand):
    help = "Ensure the public tenant (landing page, platform admin) answers on the given host name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--domain", required=True, help="host name of the public site, e.g. apg.example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        services.provision_public(options["domain"])
        self.stdout.write(f"The public site answers on {options['domain']}")
