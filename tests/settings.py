"""Settings for the test suite: the project's settings with a fast password hasher.

The Redis namespace is unique per test session (and shared by the processes it starts),
so a test run never meets the tasks or channels of a running platform on the same Redis.
"""

import os

os.environ.setdefault("APG_REDIS_NAMESPACE", f"apg-test-{os.getpid()}")

from apg_wbpm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Many tests sign in from 127.0.0.1 within a minute; the throttling tests set their own rates.
APG_THROTTLE_RATES = {**APG_THROTTLE_RATES, "token": "10000/min"}  # noqa: F405

# Tests make timers due by moving the platform's clock (apps/engine/clock.py), never by sleeping.
APG_TEST_CLOCK = True

# The webhook tests post to a receiver on 127.0.0.1.
APG_WEBHOOK_ALLOW_PRIVATE = True
