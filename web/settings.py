"""Django settings for kubeclass.

Embedded defaults (SQLite, the in-memory channel layer) need nothing installed;
DATABASE_URL switches to PostgreSQL and REDIS_URL to channels-redis when a class
outgrows one process. KUBECLASS_PRODUCTION=1 turns on the deployment hardening
that `manage.py check --deploy` asks for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KUBECLASS_VAR_DIR", str(BASE_DIR / "var")))  # what this installation writes for itself


def _local_secret_key(var_dir: Path) -> str:
    """This installation's secret key: generated once into var/secret_key, readable by its owner only."""
    path = var_dir / "secret_key"
    if not path.exists():
        import secrets

        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


PRODUCTION = os.environ.get("KUBECLASS_PRODUCTION") == "1"

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("KUBECLASS_PRODUCTION=1 needs DJANGO_SECRET_KEY")
    SECRET_KEY = _local_secret_key(VAR_DIR)
# Off unless asked for (DJANGO_DEBUG=1): a bad URL shows kubeclass's own page, not Django's debug page.
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "cluster",
    "web",
]

MIDDLEWARE = [
    "cluster.apiserver.http.headers.APIResponseHeaders",  # first: it shapes an API answer after all the others
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cluster.apiserver.http.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.throttle.PageRateLimit",  # after the session: a visitor is a session the server knows, and an address
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "web.urls"
ASGI_APPLICATION = "web.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
            ],
        },
    }
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        # 0: each request, socket message and reconciler cycle closes its connection when done.
        # Kept connections are per thread, and a worker's thread pools grow under load: with a
        # lifetime of 60 s one worker held 80 PostgreSQL connections after a burst.
        return dict(dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0"))))
    # WAL lets readers (watches, the dashboard) run beside the one writer;
    # IMMEDIATE takes the write lock at BEGIN so concurrent requests queue
    # instead of failing with "database is locked" half-way through.
    return {
        # Django's SQLite backend with this process's writers taking turns (cluster/sqlite/base.py);
        # KUBECLASS_SQLITE_TURNS=0: Django's own, the plain reference (benchmarks compare the two).
        "ENGINE": "cluster.sqlite"
        if os.environ.get("KUBECLASS_SQLITE_TURNS", "1") != "0"
        else "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        # The tests' database: in memory, as Django makes it for SQLite by default (named here because
        # pytest-django knows that default only by the ENGINE's dotted path).
        "TEST": {"NAME": ":memory:"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, as long as channels-redis' idle
            # blocking pop (BZPOPMIN, 5 s): an idle socket's read then fails and the websocket closes
            # with 1011. A longer read timeout lets the pop end on its own and still notices a dead server.
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files from the app folders directly, so `make run`
# needs no collectstatic step; Daphne itself serves no static files.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The Kubernetes API is served over TLS (kubectl sends tokens only over https)
# on kube-apiserver's port; the dashboard stays on plain http for the browser.
KUBECLASS_TLS_DIR = Path(os.environ.get("KUBECLASS_TLS_DIR", str(BASE_DIR / "var" / "tls")))
KUBECLASS_API_URL = os.environ.get("KUBECLASS_API_URL", "https://127.0.0.1:6443")
# The API server's compiled schema validators, kept between processes (cluster/apiserver/validation/compiled.py);
# an empty value compiles them afresh in every process.
KUBECLASS_SCHEMA_CACHE_DIR = os.environ.get("KUBECLASS_SCHEMA_CACHE_DIR", str(VAR_DIR / "cache" / "schemas"))

# kube-apiserver's limit on one object (etcd's request limit is 1.5 MiB).
KUBECLASS_MAX_OBJECT_BYTES = 3 * 1024 * 1024 // 2
# The lessons: one folder each, read by web/lessons/catalog.py.
KUBECLASS_LESSONS_DIR = Path(os.environ.get("KUBECLASS_LESSONS_DIR", str(BASE_DIR / "lessons")))
# The most live objects (etcd keys) a new cluster may hold: a sandbox's share of the server.
# Beyond it a create fails as a full etcd fails it: "etcdserver: mvcc: database space exceeded".
KUBECLASS_OBJECT_LIMIT = int(os.environ.get("KUBECLASS_OBJECT_LIMIT", "5000"))
# Events are bounded apart, as in an etcd of their own (--etcd-servers-overrides=/events#…): a busy
# sandbox writes about 5,000 in an hour, each living --event-ttl. Past the limit the recorders drop new
# Events (the server refuses them as a full etcd would) until old ones expire; objects are unaffected.
KUBECLASS_EVENT_LIMIT = int(os.environ.get("KUBECLASS_EVENT_LIMIT", "10000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
# Bounded storage and CPU (cluster/idle.py, APIServer.compact): etcd history kept for time travel,
# in revisions; how long an Event lives after its last write (kube-apiserver's --event-ttl, virtual
# minutes); minutes without a page, socket or API call before a cluster sleeps; days before an
# unused sandbox is deleted.
KUBECLASS_HISTORY_REVISIONS = int(os.environ.get("KUBECLASS_HISTORY_REVISIONS", "10000"))
KUBECLASS_EVENT_TTL_MINUTES = float(os.environ.get("KUBECLASS_EVENT_TTL_MINUTES", "60"))
KUBECLASS_IDLE_MINUTES = float(os.environ.get("KUBECLASS_IDLE_MINUTES", "15"))
KUBECLASS_SANDBOX_DAYS = float(os.environ.get("KUBECLASS_SANDBOX_DAYS", "14"))
# Threads serving the Kubernetes API's requests (web/apipool.py); each keeps one database connection.
KUBECLASS_API_THREADS = int(os.environ.get("KUBECLASS_API_THREADS", "4"))
# Requests a second one bearer token may send to the Kubernetes API (and its burst); beyond, 429.
KUBECLASS_API_QPS = float(os.environ.get("KUBECLASS_API_QPS", "100"))
KUBECLASS_API_BURST = float(os.environ.get("KUBECLASS_API_BURST", "200"))
KUBECLASS_PAGE_QPS = float(os.environ.get("KUBECLASS_PAGE_QPS", "20"))  # the dashboard's pages, per session
KUBECLASS_PAGE_BURST = float(os.environ.get("KUBECLASS_PAGE_BURST", "60"))
KUBECLASS_CREATIONS_PER_MINUTE = float(os.environ.get("KUBECLASS_CREATIONS_PER_MINUTE", "10"))  # per address
KUBECLASS_CREATION_BURST = float(os.environ.get("KUBECLASS_CREATION_BURST", "40"))
# managedFields for the reconciler's own writes (controllers, scheduler, kubelets): off by default, as
# they cost about a fifth more CPU at scale (cluster/apiserver/managedfields.py); clients always record them.
KUBECLASS_COMPONENT_MANAGED_FIELDS = os.environ.get("KUBECLASS_COMPONENT_MANAGED_FIELDS", "0") == "1"

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True  # the page takes its CSRF token from the markup, never from the cookie
SESSION_COOKIE_SAMESITE = "Lax"

if not PRODUCTION:
    # `make run` serves the dashboard over plain http on the loopback interface: these four
    # checks are about https, which a local dashboard does not use. KUBECLASS_PRODUCTION=1
    # (behind a TLS proxy) turns every one of them on instead.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
