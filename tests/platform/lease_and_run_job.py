"""A worker process for the reliability tests: lease one job of a tenant and run it.

``python -m tests.platform.lease_and_run_job <schema> <job id>``, with ``APG_TEST_KILL_AT`` in the
environment to die at one of the engine's checkpoints (``apps.engine.checkpoints``). It prints
how the job ran (``applied``, ``failed``...).
"""

from __future__ import annotations

import sys
import uuid


def main(schema: str, job_id: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from apps.engine import clock
    from apps.engine.models import Job
    from apps.engine.services import jobs, wakeup

    connection.set_schema(schema)  # type: ignore[attr-defined] # django-tenants' connection
    lease = uuid.uuid4()
    Job.objects.filter(id=job_id).update(lock_owner="doomed", lock_token=lease, locked_until=clock.now() + jobs.LEASE)
    with wakeup.running_jobs():  # as a worker runs jobs: it wakes no other worker
        print(jobs.run_job(jobs.Claimed(uuid.UUID(job_id), lease)).value)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
