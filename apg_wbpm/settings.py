"""Django settings, read from the environment through :class:`apg_wbpm.env.Env`.

Every knob is an environment variable; docs/configuration.md lists them. With
``DJANGO_DEBUG=0`` the project runs in production mode: a secret key and allowed
hosts are required and cookies, HSTS and redirects are secure.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from apg_wbpm import embedded
from apg_wbpm.env import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("APG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", True)

if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", "insecure-development-key-change-me-" + "x" * 16)
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", [".localhost", "localhost", "127.0.0.1", "testserver"])
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters in production.")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS (comma separated) when DJANGO_DEBUG=0.")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preload is an opt-in (DJANGO_HSTS_PRELOAD): joining the browsers' list is hard to undo.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_HTTPONLY = True

# --- Tenancy: Tenant and Domain live in the public schema, everything else per tenant.
SHARED_APPS = [
    "django_tenants",
    "apps.tenancy",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "daphne",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "apps.engine",
    "apps.tasks",
    "apps.designer",
    "apps.collab",
    "apps.analytics",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_URLCONF = "apg_wbpm.urls_public"
ROOT_URLCONF = "apg_wbpm.urls"
APG_PUBLIC_DOMAIN = env.str("APG_PUBLIC_DOMAIN", "localhost")
# How long a process remembers which tenant a host name belongs to (0: ask every request).
APG_TENANT_CACHE_SECONDS = env.int("APG_TENANT_CACHE_SECONDS", 30)

MIDDLEWARE = [
    "apg_wbpm.health.HealthCheckMiddleware",
    "apg_wbpm.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.tenancy.middleware.TenantHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.tenancy.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "apg_wbpm.wsgi.application"
ASGI_APPLICATION = "apg_wbpm.asgi.application"

# --- Data stores. Unset URLs mean the embedded servers under var/ (see apg_wbpm/embedded.py).
DATABASE_URL = env.str("DATABASE_URL", embedded.default_database_url(VAR_DIR))
REDIS_URL = env.str("REDIS_URL", embedded.default_redis_url(env.int("APG_EMBEDDED_REDIS_PORT", 6380)))
# Keeps separate runs (the platform, a test session) apart on one Redis server.
REDIS_NAMESPACE = env.str("APG_REDIS_NAMESPACE", "apg")

DATABASES = {
    "default": {
        **dj_database_url.parse(DATABASE_URL, conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60)),
        "ENGINE": "django_tenants.postgresql_backend",
        # An unreachable server fails fast (and /ready answers) instead of hanging.
        "OPTIONS": {"connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", 5)},
    }
}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Set the search_path once when the tenant changes, not before every query (a round trip each).
TENANT_LIMIT_SET_CALLS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_NAMESPACE,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_NAMESPACE}:asgi"},
    }
}

# --- Auth.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Requests: bodies above this size are refused with 413 before they are read.
APG_MAX_REQUEST_BYTES = env.int("APG_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = APG_MAX_REQUEST_BYTES
# Task attachments (docs/tasks.md): where they are kept (one folder per tenant), how large one
# may be, and the content types accepted.
APG_ATTACHMENT_DIR = Path(env.str("APG_ATTACHMENT_DIR", str(VAR_DIR / "attachments")))
APG_ATTACHMENT_MAX_BYTES = env.int("APG_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
APG_FORM_MAX_BYTES = env.int("APG_FORM_MAX_BYTES", 512 * 1024)  # a deployed form-js form file
APG_MODEL_MAX_BYTES = env.int("APG_MODEL_MAX_BYTES", 2_000_000)  # a process model's version in the designer
APG_ATTACHMENT_TYPES = env.list(
    "APG_ATTACHMENT_TYPES",
    [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)

# --- REST API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.tenancy.authentication.TenantJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "apg_wbpm.api.schema.ProblemAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "apg_wbpm.api.throttling.AnonymousRateThrottle",
        "apg_wbpm.api.throttling.UserRateThrottle",
    ],
    "EXCEPTION_HANDLER": "apg_wbpm.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the app (nginx, an ingress): rate limits then count the client address
    # from X-Forwarded-For. Unset, the peer address counts and the header is ignored.
    "NUM_PROXIES": env.int("APG_NUM_PROXIES", 0) or None,
}
# Requests per minute, per client and tenant; read at request time.
APG_THROTTLE_RATES = {
    "anonymous": env.str("APG_THROTTLE_ANONYMOUS", "300/min"),
    "user": env.str("APG_THROTTLE_USER", "6000/min"),
    "token": env.str("APG_THROTTLE_TOKEN", "30/min"),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("APG_JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("APG_JWT_REFRESH_HOURS", 24)),
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "APG Workflow & BPM API",
    "DESCRIPTION": (
        "REST API of one tenant. Authenticate with a JWT from /api/v1/auth/token/ "
        "(Authorization: Bearer ...). Errors are RFC 9457 problem details with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ProblemCodeEnum": "apg_wbpm.api.problems.ProblemCode",
        "InstanceStateEnum": "apps.engine.models.InstanceState",
        "ActivityStateEnum": "apps.engine.models.ActivityState",
    },
}

# --- Celery: Redis broker; the database rows are the truth, a message only wakes a worker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = f"{REDIS_NAMESPACE}.default"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_NAMESPACE}:"}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_NAMESPACE}:"}
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {
        "task": "apps.tenancy.tasks.record_scheduler_heartbeat",
        "schedule": env.int("APG_SCHEDULER_HEARTBEAT_SECONDS", 10),
    },
    # Events out: relays and webhook deliveries a lost wake-up left waiting; the retention.
    "wake-event-relays": {
        "task": "apps.engine.tasks.wake_event_relays",
        "schedule": env.int("APG_EVENTS_POLL_SECONDS", 5),
    },
    # SLA escalations of human tasks whose thresholds have passed (docs/tasks.md, "SLAs").
    "escalate-tasks": {
        "task": "apps.tasks.tasks.escalate_tasks",
        "schedule": env.int("APG_SLA_CHECK_SECONDS", 60),
    },
    "purge-engine-events": {
        "task": "apps.engine.tasks.purge_old_events",
        "schedule": 3600,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How a failing job is tried again when its element names no failedJobRetryTimeCycle
# ("R3/PT5M"); empty: 3 attempts, waiting 10 s, 20 s between them.
APG_JOB_RETRY_CYCLE = env.str("APG_JOB_RETRY_CYCLE", "")
# How many due jobs a worker claims at once, and how long one run_due_jobs task goes on
# claiming before it hands the worker back to the other tenants' wake-ups.
APG_JOB_BATCH = env.int("APG_JOB_BATCH", 50)
# Modules imported at startup whose @register_handler functions service tasks may name
# (comma-separated, e.g. "acme.handlers,acme.billing.handlers").
APG_HANDLER_MODULES = env.list("APG_HANDLER_MODULES", [])
# Whether a job's commit waits for its WAL to reach the disk (docs/engine.md, "Timers and jobs"):
# off, a database crash may undo the last moment of job work, which then runs again.
APG_JOB_SYNCHRONOUS_COMMIT = env.bool("APG_JOB_SYNCHRONOUS_COMMIT", False)
APG_JOB_TASK_MILLISECONDS = env.int("APG_JOB_TASK_MILLISECONDS", 2000)
# Events out (docs/engine.md, "Events out"): how long relayed events and ended deliveries are
# kept, and how webhooks are sent and retried.
APG_EVENTS_RETENTION_HOURS = env.int("APG_EVENTS_RETENTION_HOURS", 7 * 24)
APG_WEBHOOK_MAX_ATTEMPTS = env.int("APG_WEBHOOK_MAX_ATTEMPTS", 8)
APG_WEBHOOK_RETRY_SECONDS = env.int("APG_WEBHOOK_RETRY_SECONDS", 30)
APG_WEBHOOK_RETRY_MAX_SECONDS = env.int("APG_WEBHOOK_RETRY_MAX_SECONDS", 3600)
APG_WEBHOOK_TIMEOUT_SECONDS = env.int("APG_WEBHOOK_TIMEOUT_SECONDS", 10)
APG_WEBHOOK_ALLOW_PRIVATE = env.bool("APG_WEBHOOK_ALLOW_PRIVATE", False)
# A clock that tests and benchmarks move forward for every process (apps/engine/clock.py).
APG_TEST_CLOCK = env.bool("APG_TEST_CLOCK", False)

# --- Internationalization.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files: bundled by esbuild into static/dist at setup, served by whitenoise.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static" / "dist"]
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("APG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
