"""Django settings, read from the environment (see README.md, "Environment variables").

The embedded default (no variable set) needs no server: SQLite, a filesystem Celery broker with a real worker
process, and the in-memory channel layer, all under ``var/`` in the repository. ``PRODUCTION=true`` turns on
the checks that refuse an insecure secret key or DEBUG.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

import dj_database_url

from readingroom.env import SettingError, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]
TESTING = "pytest" in sys.modules and env_str("VAR_DIR") is None

# Everything the embedded mode writes (database, broker queue, media, secret key) lives under VAR_DIR.
# A pytest process gets a fresh temporary VAR_DIR; child processes (worker, daphne) inherit it through the
# environment so that they share the test database and broker with the test process.
if TESTING:
    import os

    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="readingroom-test-")
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key is None and not PRODUCTION:
        # Embedded mode: one random key per installation, kept beside the database.
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        key = key_file.read_text().strip()
    if key is None:
        raise SettingError("PRODUCTION=true needs SECRET_KEY (or SECRET_KEY_FILE)")
    return key


SECRET_KEY = _secret_key()
if PRODUCTION:
    if DEBUG:
        raise SettingError("PRODUCTION=true refuses DEBUG=true")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise SettingError("PRODUCTION=true refuses an insecure SECRET_KEY (use 50+ random characters)")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise SettingError("PRODUCTION=true needs ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "readingroom.core",
    "readingroom.studies",
    "readingroom.reading",
    "readingroom.gaze",
    "readingroom.modeling",
    "readingroom.curation",
    "readingroom.learning",
    "readingroom.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "readingroom.urls"
ASGI_APPLICATION = "readingroom.asgi.application"
AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- database -------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# No persistent connections (CONN_MAX_AGE 0): under ASGI a request may run in a new thread, and a connection
# kept by a thread that is gone is never closed (daphne leaked them until PostgreSQL refused everyone).
# On PostgreSQL, server processes (daphne, workers) borrow connections from a bounded pool instead, so a
# connection per request costs nothing and no process holds more than DB_POOL_MAX_SIZE.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 8)
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Named for the program (daphne, celery, manage.py), so pg_stat_activity shows who holds what.
    _program = (
        Path(sys.argv[0]).parent.name if sys.argv[0].endswith("__main__.py") else Path(sys.argv[0]).name
    )
    _db["OPTIONS"] = {"application_name": f"readingroom-{_program}"[:63]}
    # Not in the pytest process itself: pytest-django creates and drops the test database around it.
    if DB_POOL_MAX_SIZE > 0 and not TESTING:
        # Django's backend whose pool replaces all dead idle connections at once (a PostgreSQL restart).
        _db["ENGINE"] = "readingroom.core.postgresql"
        _db["OPTIONS"]["pool"] = {"min_size": 0, "max_size": DB_POOL_MAX_SIZE, "timeout": 30.0}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker process read while one writes; IMMEDIATE avoids
    # "database is locked" upgrades inside transactions.
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so that worker and daphne processes started by tests see the test database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DATABASES = {"default": _db}

# --- files ----------------------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static"))).resolve()
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- auth and API ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "readingroom.core.authentication.ApiTokenAuthentication",  # Authorization: Bearer rrt_...
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "readingroom.core.api.exception_handler",
}
# Longest life of a scoped API token (core.tokens), in days.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 90)
SPECTACULAR_SETTINGS = {
    "TITLE": "CoGaze reading room API",
    "DESCRIPTION": "Studies, reading sessions, gaze and model predictions.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "ArmModeEnum": "readingroom.reading.models.StudyArm.Mode",
        "TrackingStateEnum": "readingroom.gaze.quality.TRACKING_STATES",
        "LabelValueEnum": "readingroom.reading.models.LABEL_VALUES",
        "SplitEnum": "readingroom.curation.models.DatasetItem.Split",
        # queued, running, done, failed: model evaluations and inference jobs
        "WorkStatusEnum": "readingroom.modeling.models.ModelEvaluation.Status",
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Celery ---------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    for _d in (_queue_dir, _processed_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None  # tasks write their results to the database
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "readingroom.studies.*": {"queue": "io"},
    "readingroom.curation.*": {"queue": "io"},
    "readingroom.gaze.import_gaze": {"queue": "io"},  # an exact name wins over the patterns
    "readingroom.gaze.*": {"queue": "default"},
    "readingroom.modeling.*": {"queue": "gpu"},
    "readingroom.learning.*": {"queue": "gpu"},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# celery beat ticks every active-learning loop (finish rounds whose reads are in, start due rounds)
CELERY_BEAT_SCHEDULE = {
    "learning-tick": {
        "task": "readingroom.learning.tick_all",
        "schedule": env_float("LEARNING_TICK_SECONDS", 600.0),
    },
    # training runs whose worker died resume from their checkpoint
    "training-resume": {"task": "readingroom.modeling.resume_stale_training", "schedule": 60.0},
}
# a running training run without progress for this long is resumed from its checkpoint by another worker
TRAINING_STALE_SECONDS = env_float("TRAINING_STALE_SECONDS", 120.0)
# promotion of a retrained model: the held-out metric it must improve and by how much
LEARNING_PROMOTION_METRIC = env_str("LEARNING_PROMOTION_METRIC", "head_macro_auroc")
LEARNING_PROMOTION_MARGIN = env_float("LEARNING_PROMOTION_MARGIN", 0.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- reliability: late acknowledgement, the outbox and the reaper ---------------------------------------
# A task whose worker process dies (kill -9, out of memory) goes back to the queue instead of being lost.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    # Redis hands an unacknowledged message to another worker after this long (a whole worker killed
    # mid-task); longer than any task that acknowledges late may run (training acknowledges early).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# Analyses and predictions pending or running longer than this are enqueued again (the reaper, run by beat
# and when a worker starts); after READING_TASK_MAX_ATTEMPTS enqueues they fail with the reason.
READING_TASK_STUCK_AFTER_S = env_int("READING_TASK_STUCK_AFTER_S", 600)
READING_TASK_MAX_ATTEMPTS = env_int("READING_TASK_MAX_ATTEMPTS", 5)
# A model evaluation (a promotion asked through the API) queued or running longer than this is enqueued
# again, as above; longer than an evaluation on the largest held-out set takes.
MODEL_EVALUATION_STUCK_AFTER_S = env_int("MODEL_EVALUATION_STUCK_AFTER_S", 1800)
OUTBOX_KEEP_SENT_DAYS = env_int("OUTBOX_KEEP_SENT_DAYS", 7)
CELERY_BEAT_SCHEDULE.update({
    "outbox-drain": {"task": "readingroom.core.outbox_drain", "schedule": 30.0},
    "recover-submitted": {"task": "readingroom.reading.recover_submitted", "schedule": 120.0},
    "recover-evaluations": {"task": "readingroom.modeling.recover_evaluations", "schedule": 120.0},
})  # fmt: skip

# --- Channels -------------------------------------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 closes connections idle for 5 s by default; WebSocket groups stay idle longer.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- reading room ---------------------------------------------------------------------------------------
# Screen geometry assumed for a session whose client reports none (a 24" 1920x1080 monitor at 65 cm).
READING_DEFAULT_SCREEN = {
    "width_px": env_int("READING_SCREEN_WIDTH_PX", 1920),
    "height_px": env_int("READING_SCREEN_HEIGHT_PX", 1080),
    "width_mm": env_float("READING_SCREEN_WIDTH_MM", 531.0),
    "height_mm": env_float("READING_SCREEN_HEIGHT_MM", 299.0),
    "distance_mm": env_float("READING_VIEWING_DISTANCE_MM", 650.0),
}
GAZE_MAX_SAMPLES_PER_BATCH = env_int("GAZE_MAX_SAMPLES_PER_BATCH", 5000)
# Gaze WebSocket limits: larger messages get an error (daphne, run with --websocket-max-message-size 524288,
# closes sockets that send over 512 KiB); each session may send this many bytes per second (plus 512 per
# message) with this burst, see gaze.ratelimit.
# 256 KiB/s is about 7 times what a 1000 Hz tracker sends as JSON; the burst holds about a minute of it.
# A socket that goes on sending what is refused (beyond 2x the burst plus 4x the rate) is closed (4429).
GAZE_MAX_MESSAGE_BYTES = env_int("GAZE_MAX_MESSAGE_BYTES", 256 * 1024)
GAZE_RATE_LIMIT_BYTES_PER_S = env_int("GAZE_RATE_LIMIT_BYTES_PER_S", 256 * 1024)
GAZE_RATE_LIMIT_BURST_BYTES = env_int("GAZE_RATE_LIMIT_BURST_BYTES", 2 * 1024 * 1024)
# A gaze_capture detector name. "avt" (saccade thresholds adapted to each recording's noise, everything
# between saccades fixation, lost samples never fixation) holds across trackers: on the Lund 2013 image
# recordings it is close to I-VT, and on the same recordings degraded to a 300 Hz or 60 Hz remote tracker
# and on the simulated reader it stays ahead of I-VT's fixed 30 deg/s, which takes the noise for saccades
# (benchmarks/README.md, "Detection across trackers"). "ivt", "idt" and "adaptive" remain selectable.
GAZE_FIXATION_DETECTOR = env_str("GAZE_FIXATION_DETECTOR", "avt")
# Tracker quality limits: a validation with a larger mean accuracy (degrees) or data loss (%), or a drift
# check with a larger offset (degrees), calls for recalibration (enforced on submit in studies that require it).
GAZE_VALIDATION_MAX_ACCURACY_DEG = env_float("GAZE_VALIDATION_MAX_ACCURACY_DEG", 1.5)
GAZE_VALIDATION_MAX_DATA_LOSS_PCT = env_float("GAZE_VALIDATION_MAX_DATA_LOSS_PCT", 20.0)
GAZE_DRIFT_MAX_OFFSET_DEG = env_float("GAZE_DRIFT_MAX_OFFSET_DEG", 1.5)
# Readers look before they type or speak: a sentence's gaze window starts this long before its span (ms).
GAZE_SENTENCE_LEAD_MS = env_float("GAZE_SENTENCE_LEAD_MS", 1000.0)
# Gaze priors (whole-report and per-sentence) are stored with their longer side at most this many pixels:
# the image's size divided by a whole factor (recorded on the row as ``prior_downsample``). 518 is the
# model's input size (a ViT-B/14 pooled to 37 x 37 patches), so nothing the model can use is lost, and a
# 2000 x 2000 prior is 16x smaller and several times faster to build (gaze_capture.PRIOR_MAX_SIDE).
GAZE_PRIOR_MAX_SIDE = env_int("GAZE_PRIOR_MAX_SIDE", 518)
PATIENT_KEY_SALT = env_str("PATIENT_KEY_SALT", SECRET_KEY)

# --- studies: ingest and de-identification --------------------------------------------------------------
# A DICOM with BurnedInAnnotation=YES: "refuse" it (a per-file error) or "flag" it on the image.
DEID_BURNED_IN_ANNOTATION = env_str("DEID_BURNED_IN_ANNOTATION", "refuse")
# Keep the source's identifiers (patient id, UIDs, accession number) on the image; off by default.
DEID_STORE_SOURCE_IDENTIFIERS = env_bool("DEID_STORE_SOURCE_IDENTIFIERS", False)
# Archive members: the largest uncompressed member and the largest compression ratio accepted.
INGEST_MAX_MEMBER_BYTES = env_int("INGEST_MAX_MEMBER_BYTES", 512 * 1024 * 1024)
INGEST_MAX_COMPRESSION_RATIO = env_int("INGEST_MAX_COMPRESSION_RATIO", 200)
INGEST_WORKERS = env_int("INGEST_WORKERS", 2)
# Folders on the server that imports started through the API may read from (the command line may read any).
INGEST_ALLOWED_ROOTS = env_list("INGEST_ALLOWED_ROOTS", [str(VAR_DIR / "incoming")])
# Where exports of dataset versions started through the API are written.
EXPORT_ROOT = Path(env_str("EXPORT_ROOT", str(VAR_DIR / "exports")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# --- security hardening (issue 8; see SECURITY.md) -----------------------------------------------------
# Kept in one block: production refusals, HTTPS and security headers, debug pages without credentials,
# the cache behind the login limits, and Swagger UI served from our own static files.
if PRODUCTION and any(host.strip() == "*" for host in ALLOWED_HOSTS):
    raise SettingError("PRODUCTION=true refuses ALLOWED_HOSTS='*' (name the host names the server answers)")
# Debug pages (DEBUG=true outside production) hide connection URLs and any password inside a URL.
DEFAULT_EXCEPTION_REPORTER_FILTER = "readingroom.core.security.SecretScrubbingFilter"
DEFAULT_EXCEPTION_REPORTER = "readingroom.core.security.ScrubbingExceptionReporter"
# HTTPS: production redirects http to https and sends HSTS. Behind a TLS-terminating proxy, name the header
# it sets, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO=https (only if the proxy always sets it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER")
if _proxy_header and "=" not in _proxy_header:
    raise SettingError(
        f"SECURE_PROXY_SSL_HEADER={_proxy_header!r}: write HEADER=value, e.g. HTTP_X_FORWARDED_PROTO=https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header.split("=", 1)) if _proxy_header else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# The frontend's bundles, Swagger UI and the admin load scripts only from this origin; styles may be inline
# (set by the viewer's libraries); images may be data: or blob: URLs (rendered frames, heatmaps).
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "readingroom.core.security.SecurityHeadersMiddleware")  # fmt: skip
# Static files are for this site only (WhiteNoise's default sends Access-Control-Allow-Origin: *).
WHITENOISE_ALLOW_ALL_ORIGINS = False
# Swagger UI from the pinned drf-spectacular-sidecar package, never from a CDN.
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS.update(
    SWAGGER_UI_DIST="SIDECAR", SWAGGER_UI_FAVICON_HREF="SIDECAR", REDOC_DIST="SIDECAR"
)
# The cache holds the login limits: shared by every server process through Redis where there is one.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "KEY_PREFIX": "readingroom"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "readingroom"}
}  # fmt: skip
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 30)
LOGIN_FAILURE_WINDOW_S = env_int("LOGIN_FAILURE_WINDOW_S", 900)
LOGIN_LOCKOUT_S = env_int("LOGIN_LOCKOUT_S", 900)
