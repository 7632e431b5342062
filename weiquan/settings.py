"""Django settings: environment variables with working defaults; SQLite with zero configuration.

WEIQUAN_DATA_DIR   where the SQLite database and the evidence files live (default: ./data)
DATABASE_URL       e.g. postgres://user@127.0.0.1:5432/weiquan switches to PostgreSQL
SECRET_KEY         required when DEBUG is off; a development key is generated into the data folder otherwise
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


DATA_DIR = Path(os.getenv("WEIQUAN_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", "false")


def _secret_key() -> str:
    if key := os.getenv("SECRET_KEY"):
        return key
    # A local install keeps a generated key next to its data, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the OpenAPI docs' assets locally instead of from a CDN
    "weiquan.accounts",
    "weiquan.cases",
    "weiquan.evidence",
    "weiquan.platforms",
    "weiquan.public",
    "weiquan.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "weiquan.urls"
WSGI_APPLICATION = "weiquan.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{DATA_DIR / 'weiquan.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the reminder worker and the web server use the file at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "weiquan.accounts.validators.ChineseMinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Log-in attempts allowed per username and per IP address within LOGIN_RATE_WINDOW seconds.
LOGIN_RATE_LIMIT = envint("LOGIN_RATE_LIMIT", "5")
LOGIN_RATE_WINDOW = envint("LOGIN_RATE_WINDOW", "900")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "weiquan_cache"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Evidence locker: content-addressed files under EVIDENCE_DIR, uploads streamed to disk.
EVIDENCE_DIR = Path(os.getenv("WEIQUAN_EVIDENCE_DIR", DATA_DIR / "evidence"))
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", str(2 * 1024**3))
FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes to a temporary file, never into memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# Where evidence blobs live (weiquan.evidence.storage): the local folder by default; S3-compatible object storage
# (django-storages) when WEIQUAN_S3_BUCKET is set — shared by every server, so a file uploaded on one machine is
# served and bundled by the others. Uploads are still spooled and hashed in EVIDENCE_DIR/tmp on each machine.
_EVIDENCE_STORAGE: dict[str, object] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": EVIDENCE_DIR},
}
if bucket := os.getenv("WEIQUAN_S3_BUCKET"):
    _EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.getenv("WEIQUAN_S3_ENDPOINT_URL") or None,
            "region_name": os.getenv("WEIQUAN_S3_REGION") or None,
            "access_key": os.getenv("WEIQUAN_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.getenv("WEIQUAN_S3_SECRET_ACCESS_KEY") or None,
            "location": os.getenv("WEIQUAN_S3_PREFIX", "evidence"),
            "file_overwrite": True,  # keys are content hashes: the store checks existence itself, never renames
            "default_acl": None,
            "querystring_auth": True,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": _EVIDENCE_STORAGE,
}

EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "weiquan <noreply@localhost>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
