"""Settings for MKA1 Studio. Every value comes from the environment, with a local default."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mka1web import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_count(name: str, default: int) -> int:
    """A number of slots or threads: one at least, or nothing could ever run."""
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be 1 or more, not {value}.")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# SECRET_KEY from the environment; else this installation's own random key, kept in a file
# that `make setup` (or the first process started) writes. Several hosts need the same value.
SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE") or BASE_DIR / "var" / "secret_key")
if "SECRET_KEY" in os.environ:
    SECRET_KEY = os.environ["SECRET_KEY"]
else:
    try:
        SECRET_KEY = secret_key.read_or_create(SECRET_KEY_FILE)
    except OSError as error:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and {SECRET_KEY_FILE} cannot be read or written ({error}). "
            "Set SECRET_KEY to a long random value."
        ) from error
if not DEBUG and (why := secret_key.weakness(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY cannot be used with DEBUG=false: {why}. Set it to a long random value, "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before django.contrib.auth, so that its createsuperuser (which audits) is the one run.
    "audit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    # Its templates and static files: the API's docs page without a CDN.
    "ninja",
    "accounts",
    "gallery",
    "moderation",
    "api",
    "ops",
    "mka1_standin",
    "axes",
]

MIDDLEWARE = [
    # First: the load balancer's probes are answered before the Host header is checked, and
    # every other request gets its request id (for the logs) and is counted (for the metrics).
    "ops.middleware.ProbeMiddleware",
    "ops.middleware.RequestTelemetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SuspensionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it turns a login refused for too many failures into a 429 (accounts.throttle).
    "axes.middleware.AxesMiddleware",
]

# The profile (suspension, limits) is read with the user, in one query per request.
# The throttle comes first: a locked-out client is refused before any password is hashed.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginThrottleBackend",
    "accounts.backends.ProfileBackend",
]

ROOT_URLCONF = "mka1web.urls"
WSGI_APPLICATION = "mka1web.wsgi.application"

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
                "accounts.context_processors.teams",
                "moderation.context_processors.moderation",
            ],
        },
    },
]

DB_POOL = env_bool("DB_POOL", True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://mka1:mka1@127.0.0.1:5432/mka1"),
        conn_max_age=0 if DB_POOL else env_int("DB_CONN_MAX_AGE", 60),
        # With the pool, this makes the pool check a connection before lending it, so one the
        # server ended (a restart, pg_terminate_backend) is replaced unseen.
        conn_health_checks=True,
    )
}
# Parallel workers for one query: starting them costs more than the portal's short queries
# gain from them (a search over thousands of rows took 24 ms with two instead of 12 ms alone).
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = " ".join(
    part
    for part in (
        _db_options.get("options", ""),
        f"-c max_parallel_workers_per_gather={env_int('DB_PARALLEL_WORKERS', 0)}",
    )
    if part
)
if DB_POOL:
    # One pool per process: closing a connection (as the worker does before every slow call)
    # hands it back instead of ending it, so no backend is forked per generation.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 20),
        "timeout": env_float("DB_POOL_TIMEOUT", 30.0),
    }
# Behind PgBouncer in transaction pooling a server-side cursor (QuerySet.iterator()) may outlive
# its server connection; Django then reads the rows in one go instead.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DB_DISABLE_SERVER_SIDE_CURSORS", False
)
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets two test runs share a server without dropping each other's test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Room for a bulk selection's 1,000 ids, so a larger one gets the form's message, not a bare 400.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
LOGIN_REDIRECT_URL = "gallery:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Generated images live here and are never served by URL: only through the views that check access.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# S3-compatible storage instead, when a bucket is named. Objects stay private: the portal's
# file view checks access and then redirects to a presigned URL that lives a minute at most.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION", "us-east-1"),
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "signature_version": "s3v4",
            "querystring_expire": env_int("S3_URL_SECONDS", 60),
            "file_overwrite": True,
        },
    }
S3_URL_SECONDS = min(env_int("S3_URL_SECONDS", 60), 60)


def s3_origins(bucket: str, endpoint_url: str, region: str) -> list[str]:
    """Where browsers fetch the bucket's presigned URLs from (the file views redirect there)."""
    if not bucket:
        return []
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        port = f":{parts.port}" if parts.port else ""
        return [f"{parts.scheme}://{parts.hostname}{port}"]
    # AWS: virtual-hosted names, or path-style ones for a bucket whose name has dots.
    host = "s3" if "." in bucket else f"{bucket}.s3"
    return [f"https://{host}.amazonaws.com", f"https://{host}.{region}.amazonaws.com"]


# Content-Security-Policy (django-csp): no inline script or style, no eval, no plugins, no
# framing; images from the portal itself and from the bucket.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": [
            "'self'",
            *s3_origins(
                S3_BUCKET,
                os.environ.get("S3_ENDPOINT_URL", ""),
                os.environ.get("S3_REGION", "us-east-1"),
            ),
        ],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Behind nginx, with local files: once access was checked, the file views answer with an empty
# body and X-Accel-Redirect to this internal location (an alias of MEDIA_ROOT), and nginx
# sends the bytes. Empty: the web process streams them itself.
FILES_ACCEL_REDIRECT_PREFIX = os.environ.get("FILES_ACCEL_REDIRECT_PREFIX", "")
if FILES_ACCEL_REDIRECT_PREFIX and not (
    FILES_ACCEL_REDIRECT_PREFIX.startswith("/") and FILES_ACCEL_REDIRECT_PREFIX.endswith("/")
):
    raise ImproperlyConfigured(
        f"FILES_ACCEL_REDIRECT_PREFIX must start and end with a slash, e.g. /protected-media/ "
        f"(it is {FILES_ACCEL_REDIRECT_PREFIX!r})."
    )

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_HTTPONLY = True
# X-Forwarded-Proto says a request came over HTTPS only when a proxy that sets it itself (and
# is the only way in) is declared; otherwise any client could claim it.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_PROXY_HEADERS else None
# Probes and the metrics scrape reach a web process directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$", r"^metrics/?$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes, counted in the database so every web process sees the same
# numbers): failed logins per username and address, failed logins per address across all
# usernames, and how long a lockout lasts after the latest failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 20)
LOGIN_COOLOFF_MINUTES = env_float("LOGIN_COOLOFF_MINUTES", 15.0)
# Reverse proxies in front of the web processes that append to X-Forwarded-For; with 0 the
# client's address is REMOTE_ADDR and the header, which anyone can send, is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_HANDLER = "accounts.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused unhashed and do not push the end of the lockout back.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.http.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# Successful logins are not recorded: nothing would ever prune that table.
AXES_DISABLE_ACCESS_LOG = True

# Celery: Redis by default; amqp:// URLs (RabbitMQ) work the same way.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "mka1")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message unacknowledged this long is redelivered (Redis); it must outlast a whole task.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # How often a Redis consumer looks for messages past that timeout (seconds x every Nth look).
    "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_RESTORE_THROTTLE", 10),
}
# Threads per worker process: twice its API calls in flight (MKA1_CALLS_PER_PROCESS), so that
# while half finish answers the other half hold the next generations ready to call.
CELERY_WORKER_CONCURRENCY = env_count("WORKER_CONCURRENCY", 100)
# After a lost broker connection Celery lowers the prefetch count and raises it again from the
# task threads, with calls on the consumer's channel that deadlock a threads-pool worker on
# RabbitMQ (tests/test_broker_outage.py). Without that, a reconnected worker briefly holds a few
# more messages than it has threads.
CELERY_WORKER_ENABLE_PREFETCH_COUNT_REDUCTION = False
# Seconds between sweeps for stuck generations and checks for users over the refusal threshold.
SWEEP_INTERVAL = env_float("SWEEP_INTERVAL", 60.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-generations": {
        "task": "gallery.tasks.sweep_generations",
        "schedule": SWEEP_INTERVAL,
    },
    "purge-trash": {"task": "gallery.tasks.purge_trash", "schedule": 3600.0},
    "open-refusal-cases": {
        "task": "moderation.tasks.open_refusal_cases",
        "schedule": SWEEP_INTERVAL,
    },
}

# The MKA1 image API.
MKA1_API_URL = os.environ.get("MKA1_API_URL", "http://127.0.0.1:8001").rstrip("/")
# The stand-in's key; production sets the real one and it is never shown to users.
MKA1_API_KEY = os.environ.get("MKA1_API_KEY", "standin-local-key").strip()
MKA1_MODELS = env_list("MKA1_MODELS", "meetkai:z-image-turbo,meetkai:flux-2-klein")
MKA1_CONNECT_TIMEOUT = env_float("MKA1_CONNECT_TIMEOUT", 10.0)
# Seconds without a byte from the API before giving up; generation is slow, so be generous.
MKA1_READ_TIMEOUT = env_float("MKA1_READ_TIMEOUT", 90.0)
# The most one attempt may take in all, however the bytes trickle in.
MKA1_CALL_DEADLINE = env_float("MKA1_CALL_DEADLINE", 150.0)
# API calls one worker process has in flight at once; its threads (WORKER_CONCURRENCY) are more,
# so that finishing answers never leaves a call slot unused.
MKA1_CALLS_PER_PROCESS = env_count("MKA1_CALLS_PER_PROCESS", 50)
MKA1_MAX_ATTEMPTS = env_int("MKA1_MAX_ATTEMPTS", 3)
MKA1_BACKOFF_BASE = env_float("MKA1_BACKOFF_BASE", 2.0)
# A Retry-After longer than this fails the generation as rate limited instead of waiting.
MKA1_BACKOFF_CAP = env_float("MKA1_BACKOFF_CAP", 60.0)
MKA1_DOWNLOAD_TIMEOUT = env_float("MKA1_DOWNLOAD_TIMEOUT", 60.0)
MKA1_MAX_IMAGE_BYTES = env_int("MKA1_MAX_IMAGE_BYTES", 25 * 1024 * 1024)
MKA1_MAX_IMAGE_PIXELS = env_int("MKA1_MAX_IMAGE_PIXELS", 4096 * 4096)
# Image URLs may point at any public host; these host:port pairs may also be private (the
# local stand-in's). MKA1_DOWNLOAD_HOSTS, when set, is the only hosts allowed at all.
MKA1_DOWNLOAD_PRIVATE_ALLOWED = env_list("MKA1_DOWNLOAD_PRIVATE_ALLOWED", "")
MKA1_DOWNLOAD_HOSTS = env_list("MKA1_DOWNLOAD_HOSTS", "")

# Leases: a generation held by a worker that died is claimed again once its lease runs out.
GENERATION_LEASE_MARGIN = env_float("GENERATION_LEASE_MARGIN", 30.0)
# A queued generation whose message was lost is enqueued again after this many seconds.
GENERATION_QUEUED_LEASE = env_float("GENERATION_QUEUED_LEASE", 600.0)
GENERATION_MAX_CLAIMS = env_int("GENERATION_MAX_CLAIMS", 4)
# Threads of one worker process that may finish generations (check, thumbnail, rows) at once.
GENERATION_FINISHING_SLOTS = env_count("GENERATION_FINISHING_SLOTS", 2)

GALLERY_PAGE_SIZE = env_int("GALLERY_PAGE_SIZE", 48)
# Images (n counts) a user may generate per day, and a team per month, unless admin overrides.
QUOTA_USER_DAILY_IMAGES = env_int("QUOTA_USER_DAILY_IMAGES", 200)
QUOTA_TEAM_MONTHLY_IMAGES = env_int("QUOTA_TEAM_MONTHLY_IMAGES", 10_000)

# Generations a user may have queued or running at once, each counting once whatever its n:
# a generation holds one worker thread, so this keeps one user from taking every thread.
GENERATION_MAX_PENDING = env_int("GENERATION_MAX_PENDING", 10)

# Moderation: strikes that suspend an account by themselves, and how many content-policy
# refusals within how many hours open a case about the user (and hold their submissions).
MODERATION_STRIKES_TO_SUSPEND = env_int("MODERATION_STRIKES_TO_SUSPEND", 3)
MODERATION_REFUSALS_THRESHOLD = env_int("MODERATION_REFUSALS_THRESHOLD", 5)
MODERATION_REFUSALS_WINDOW_HOURS = env_float("MODERATION_REFUSALS_WINDOW_HOURS", 24.0)
MODERATION_PAGE_SIZE = env_int("MODERATION_PAGE_SIZE", 25)
# Images stay in the trash this long before they are deleted for good.
TRASH_RETENTION_DAYS = env_float("TRASH_RETENTION_DAYS", 30.0)

# Error pages and error mails hide the values of secret settings wherever they appear.
DEFAULT_EXCEPTION_REPORTER_FILTER = "mka1web.errors.SecretValuesFilter"

# Django's cache: Redis, shared by every process (the JSON API's rate limits and idempotency
# locks live here), on another database than the broker's; needed with RabbitMQ too.
CACHE_URL = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mka1"),
    },
    # Per-process answers that may be a little stale (the header's moderator check).
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# The JSON API: requests per token ("120/minute"; second, minute, hour or day).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/minute")

# Operators: the probes' time limit, the metrics endpoint's token (empty: no endpoint), the
# directory every process of a host writes its metrics to, and how often a worker says it is up.
READYZ_TIMEOUT = env_float("READYZ_TIMEOUT", 2.0)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 30.0)

# "text" (the message alone) or "json" (one object a line, with the request, user and
# generation ids); the API key is masked in either.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
# Exports: a queue of their own (so zips never wait behind generations nor hold their threads),
# how many a user may have queued or being built at once, the most images one zip holds, and
# how long a zip is kept (beat deletes older ones hourly; the export's page then says so).
EXPORT_QUEUE = os.environ.get("EXPORT_QUEUE") or f"{CELERY_TASK_DEFAULT_QUEUE}-exports"
EXPORT_MAX_RUNNING = env_int("EXPORT_MAX_RUNNING", 2)
EXPORT_MAX_IMAGES = env_int("EXPORT_MAX_IMAGES", 5000)
EXPORT_RETENTION_HOURS = env_float("EXPORT_RETENTION_HOURS", 24.0)
CELERY_BEAT_SCHEDULE["expire-exports"] = {
    "task": "gallery.tasks.expire_exports",
    "schedule": 3600.0,
    "options": {"queue": EXPORT_QUEUE},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "telemetry.logs.ContextFilter"},
        "redact": {"()": "telemetry.logs.RedactSecrets"},
    },
    "formatters": {"json": {"()": "telemetry.logs.json_formatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "redact"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes: failures and lockouts (warnings), not every successful login.
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
