"""``manage.py provision_demo``: the public site and the demo tenant ``acme`` (run by ``make run``)."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.tenancy.demo import DEMO_USERS, PLATFORM_OPERATOR, provision_demo


class Command(BaseCommand):
    help = "Ensure the public landing page, a platform operator and the demo tenant with one user per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port shown in the printed URLs")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = provision_demo()
        port = options["port"]
        self.stdout.write(f"Landing page      http://{demo.public_domain}:{port}/")
        operator, password = PLATFORM_OPERATOR
        self.stdout.write(f"Platform admin    http://{demo.public_domain}:{port}/admin/  ({operator} / {password})")
        self.stdout.write(f"Demo tenant       http://{demo.tenant_domain}:{port}/")
        self.stdout.write(f"Task list         http://{demo.tenant_domain}:{port}/tasks/?list=offered")
        self.stdout.write(f"API docs          http://{demo.tenant_domain}:{port}/api/docs/")
        self.stdout.write(f"Readiness         http://{demo.public_domain}:{port}/ready")
        self.stdout.write("Demo users (tenant acme):")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.role.label:<17} {spec.username} / {spec.password}")
