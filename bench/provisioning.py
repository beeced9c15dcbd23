"""Migrate the benchmark database and provision its tenant, users and access tokens.

Runs Django in the benchmark's own process, with the environment the servers get, so
that the tokens it mints are signed with the key the servers check them with.
"""

from __future__ import annotations

import secrets

BENCH_SCHEMA = "bench"
BENCH_TENANT_NAME = "Benchmark"
BENCH_DOMAIN = "bench.localhost"
# Nobody logs in with these users (their tokens are minted directly), so their passwords
# are hashed with a cheap hasher: provisioning a hundred users then takes no time.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bench_usernames(count: int) -> list[str]:
    return [f"bench-user-{index:03d}" for index in range(count)]


def provision_bench_tenant(user_count: int) -> list[str]:
    """Migrate every schema, ensure the tenant with ``user_count`` task workers; return their access tokens.

    The caller has put the servers' environment into ``os.environ``. Repeating this is
    cheap: migrations and provisioning are idempotent.
    """
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import override_settings
    from django_tenants.utils import schema_context

    from apps.tenancy import services
    from apps.tenancy.authentication import TenantTokenObtainPairSerializer
    from apps.tenancy.roles import Role

    call_command("migrate_schemas", interactive=False, verbosity=0)
    usernames = bench_usernames(user_count)
    specs = [services.UserSpec(name, secrets.token_urlsafe(16), Role.TASK_WORKER) for name in usernames]
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        services.provision_tenant(BENCH_SCHEMA, BENCH_TENANT_NAME, BENCH_DOMAIN, specs)
    with schema_context(BENCH_SCHEMA):
        users = get_user_model().objects.filter(username__in=usernames).order_by("username")
        tokens = [str(TenantTokenObtainPairSerializer.get_token(user).access_token) for user in users]  # type: ignore[attr-defined]
    connections.close_all()
    return tokens
