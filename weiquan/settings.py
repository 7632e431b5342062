"""Django settings: environment variables with working defaults; SQLite with zero configuration.

Local (the default): `uv run weiquan serve` with SQLite in WEIQUAN_DATA_DIR and a SECRET_KEY generated there.
Hosted (WEIQUAN_PRODUCTION=1, or DATABASE_URL pointing at PostgreSQL): SECRET_KEY must be set (the same value on
every machine). Production (WEIQUAN_PRODUCTION=1) also turns on secure cookies, the HTTPS redirect and HSTS.
docs/deployment.md lists every switch.

WEIQUAN_DATA_DIR          where the SQLite database and the evidence files live (default: ./data)
DATABASE_URL              e.g. postgres://user@127.0.0.1:5432/weiquan switches to PostgreSQL (and to hosted mode)
WEIQUAN_PRODUCTION        1: a public HTTPS site (hosted mode, HTTPS protections on), on SQLite too
SECRET_KEY                required in hosted mode; generated into the data folder otherwise
WEIQUAN_ALLOWED_HOSTS     comma-separated host names (default: SITE_URL's host, plus 127.0.0.1 and localhost)
WEIQUAN_TRUSTED_PROXIES   addresses/networks of our reverse proxies: X-Forwarded-For and X-Forwarded-Proto are
                          believed only from them (default: none)
WEIQUAN_HSTS_SECONDS      Strict-Transport-Security max-age (production default 31536000, otherwise 0)
WEIQUAN_SSL_REDIRECT      redirect http:// to https:// (production default on)
WEIQUAN_SECURE_COOKIES    session and CSRF cookies only over HTTPS (production default on)
REDIS_URL                 e.g. redis://127.0.0.1:6379/0: shared cache and rate-limit counters in Redis
"""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str | bool) -> bool:
    value = os.getenv(name)
    if value is None:
        return default if isinstance(default, bool) else default.lower() in ("1", "true", "yes", "on")
    value = value.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 应为 1 或 0（true/false），现在是“{value}”")


def envint(name: str, default: str | int, minimum: int = 0) -> int:
    raw = os.getenv(name)
    if raw is None:
        return int(default)
    try:
        number = float(raw.strip())
    except ValueError:
        number = math.nan
    # int("nan") and float("inf") would stop the start with an English traceback; say what is wrong instead.
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise ImproperlyConfigured(f"环境变量 {name} 应为不小于 {minimum} 的整数，现在是“{raw}”")
    return int(number)


def envlist(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.getenv(name, default).split(",") if part.strip()]


DATA_DIR = Path(os.getenv("WEIQUAN_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", "false")
DATABASE_URL = os.getenv("DATABASE_URL", f"sqlite:///{DATA_DIR / 'weiquan.sqlite3'}")
# Production (WEIQUAN_PRODUCTION=1): a public HTTPS site, so every HTTPS protection is on by default.
PRODUCTION = envbool("WEIQUAN_PRODUCTION", False)
# Hosted: production, or a shared PostgreSQL database (more than one machine may serve it): SECRET_KEY required.
HOSTED = PRODUCTION or DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://"))

SECRET_KEY_HELP = (
    "托管部署（设置了 WEIQUAN_PRODUCTION=1，或 DATABASE_URL 指向 PostgreSQL）必须设置环境变量 SECRET_KEY，"
    "且每台服务器用同一个值（否则用户在另一台机器上会被登出）。生成一个：\n"
    '  python -c "import secrets; print(secrets.token_urlsafe(50))"\n'
    "本机试用不要设置 WEIQUAN_PRODUCTION，密钥会自动生成并保存在数据目录里。"
)


def _secret_key() -> str:
    if key := os.getenv("SECRET_KEY", "").strip():
        if HOSTED and len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY 太短：托管部署至少需要 32 个字符。\n" + SECRET_KEY_HELP)
        return key
    if HOSTED:
        raise ImproperlyConfigured(SECRET_KEY_HELP)
    # A local install keeps a generated key next to its data, so sessions survive restarts. O_EXCL: when several
    # processes start at once, exactly one writes it and the others read that one.
    path = DATA_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(50))
    for _attempt in range(50):
        if key := path.read_text(encoding="utf-8").strip():
            return key
        time.sleep(0.01)  # another process created the file and is writing it
    raise ImproperlyConfigured(f"无法读取 {path}")


SECRET_KEY = _secret_key()
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")
_site_host = urlsplit(SITE_URL).hostname or "127.0.0.1"
# "testserver" (Django's test client) is added by the test runner itself, never here.
ALLOWED_HOSTS = envlist(
    "WEIQUAN_ALLOWED_HOSTS",
    os.getenv("ALLOWED_HOSTS", ",".join(dict.fromkeys([_site_host, "127.0.0.1", "localhost"]))),
)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", SITE_URL if SITE_URL.startswith("https://") else "")
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto we believe (addresses or networks, comma-separated).
# `weiquan serve` hands the same list to gunicorn (forwarded_allow_ips), which sets the request's scheme from it.
WEIQUAN_TRUSTED_PROXIES = os.getenv("WEIQUAN_TRUSTED_PROXIES", "")
try:
    for _net in envlist("WEIQUAN_TRUSTED_PROXIES"):
        ipaddress.ip_network(_net, strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"WEIQUAN_TRUSTED_PROXIES 里有无法识别的地址：{exc}") from None

# HTTPS in a hosted configuration: the proxy in front terminates TLS and says so in X-Forwarded-Proto.
SECURE_SSL_REDIRECT = envbool("WEIQUAN_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = envint("WEIQUAN_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("WEIQUAN_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool(
    "WEIQUAN_HSTS_PRELOAD", PRODUCTION
)  # allows (does not make) a preload-list submission
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()"
)
# django-csp 4: scripts and styles only from our own static files; no inline script, no eval, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "ninja",  # serves the OpenAPI docs' assets locally instead of from a CDN
    "weiquan.accounts",
    "weiquan.cases",
    "weiquan.evidence",
    "weiquan.platforms",
    "weiquan.public",
    "weiquan.web",
]

MIDDLEWARE = [
    "weiquan.middleware.HeadWithoutBodyMiddleware",
    "weiquan.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "weiquan.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
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

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
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
# Every log-in (web, admin, API token) is counted here before the password is checked (weiquan/accounts/ratelimit.py).
AUTHENTICATION_BACKENDS = ["weiquan.accounts.ratelimit.RateLimitedModelBackend"]
# Attempts per (username, address) and per address within LOGIN_RATE_WINDOW seconds.
LOGIN_RATE_LIMIT = envint("LOGIN_RATE_LIMIT", "5")
LOGIN_IP_RATE_LIMIT = envint("LOGIN_IP_RATE_LIMIT", "50")
LOGIN_RATE_WINDOW = envint("LOGIN_RATE_WINDOW", "900", minimum=1)
# After this many failures of one username from anywhere, new addresses get one try per LOGIN_SLOWDOWN_SECONDS.
LOGIN_SLOWDOWN_AFTER = envint("LOGIN_SLOWDOWN_AFTER", "10")
LOGIN_SLOWDOWN_SECONDS = envint("LOGIN_SLOWDOWN_SECONDS", "10", minimum=1)
SIGNUP_RATE_LIMIT = envint("SIGNUP_RATE_LIMIT", "10")  # accounts per address per hour
PUBLISH_RATE_LIMIT = envint("PUBLISH_RATE_LIMIT", "5")  # public complaints per user per 24 hours

REDIS_URL = os.getenv("REDIS_URL", "")
# Rate-limit counters and the webhook replay guard (weiquan/accounts/counters.py): never a pruning cache.
WEIQUAN_COUNTERS = "redis" if REDIS_URL else "db"
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "weiquan_cache"}
    }

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
# Images with more pixels are refused (Pillow's decompression-bomb limit; 120 MP covers 108 MP phone cameras).
EVIDENCE_MAX_IMAGE_PIXELS = envint("EVIDENCE_MAX_IMAGE_PIXELS", str(120_000_000), minimum=1)
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
SESSION_COOKIE_SECURE = envbool("WEIQUAN_SECURE_COOKIES", envbool("SECURE_COOKIES", PRODUCTION))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
