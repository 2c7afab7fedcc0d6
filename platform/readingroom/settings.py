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
# Persistent connections: the gaze WebSocket stores a batch per message, and a new PostgreSQL connection
# per message would cost more than the insert itself.
# Under pytest, connections opened by worker threads would outlive the test database and block its teardown.
_db = dj_database_url.parse(
    DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if TESTING else 60), conn_health_checks=True
)
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
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "readingroom.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CoGaze reading room API",
    "DESCRIPTION": "Studies, reading sessions, gaze and model predictions.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
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
# A gaze_capture detector name. Radiographs are static images, where I-VT agrees best with the human coders
# of the Lund 2013 data (fixation kappa 0.82 / 0.74 on its image stimuli, against 0.76 / 0.68 for the
# adaptive detector, see benchmarks/README.md) and stays robust on noisy low-rate trackers, whose jitter
# the adaptive detector can take for smooth pursuit. "adaptive" suits moving stimuli.
GAZE_FIXATION_DETECTOR = env_str("GAZE_FIXATION_DETECTOR", "ivt")
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
