"""Markers in the broker's Redis that say a wake-up of a tenant's task is queued, so that a tenant
has at most one of each kind waiting (``jobs``: ``run_due_jobs``; ``outbox``: ``relay_events``).

A marker is set only if absent and lives ``SECONDS`` at most; the task clears it as it starts. It
is an optimisation, not the truth: the rows are, and the polls that find them send a wake-up
again once a marker is lost (Redis flushed or restarted) or outlived its wake-up.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

SECONDS = 30


@functools.cache
def broker() -> redis.Redis:
    """The broker's Redis: the markers live and vanish with the queue they describe."""
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5, socket_connect_timeout=5)


def key(kind: str, schema: str) -> str:
    return f"{settings.REDIS_NAMESPACE}:{kind}:woken:{schema}"


def claim(kind: str, schema: str) -> bool:
    """Set the marker of ``kind`` for ``schema``; False when a wake-up is queued already."""
    return bool(broker().set(key(kind, schema), 1, nx=True, ex=SECONDS))


def clear(kind: str, schema: str) -> None:
    """The tenant's wake-up left the queue (its task starts, or it was never sent): another may be."""
    try:
        broker().delete(key(kind, schema))
    except RedisError as error:  # the marker expires on its own; the poll wakes the task meanwhile
        logger.warning("could not clear the %s wake-up marker of %s: %s", kind, schema, error)
