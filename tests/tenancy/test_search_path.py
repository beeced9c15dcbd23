"""The schema a query runs in is the tenant chosen last, even after a rolled-back transaction.

``SET search_path`` is transactional in PostgreSQL: set inside a transaction (or savepoint)
that rolls back, it reverts to the schema before. The connection must not go on believing
the new tenant's path is set.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from tests.conftest import TenantInfo


class Boom(Exception):
    pass


def test_after_a_rollback_queries_still_run_in_the_chosen_tenant(alpha: TenantInfo, beta: TenantInfo) -> None:
    users = get_user_model().objects
    connection.set_schema(alpha.schema)
    assert users.filter(username=alpha.only_user).exists()  # the path is alpha's, outside the block below

    connection.set_schema(beta.schema)
    with pytest.raises(Boom), transaction.atomic():
        assert users.filter(username=beta.only_user).exists()  # sets beta's path inside the block
        raise Boom

    assert users.filter(username=beta.only_user).exists()
    assert not users.filter(username=alpha.only_user).exists()
