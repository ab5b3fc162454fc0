"""
Settings for Exam Depository, read from the environment.

With nothing set, the app runs on SQLite in `var/` and keeps files in `var/media`.
`DATABASE_URL` switches to PostgreSQL; `AWS_STORAGE_BUCKET_NAME` switches file storage to
S3-compatible storage (Cloudflare R2 in production).
"""

import base64
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from botocore.config import Config
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Production (gunicorn, through depository.wsgi) refuses to start without SECRET_KEY.
# Management commands and tests may run with a throwaway key.
SECRET_KEY = env.str("SECRET_KEY", default="") or get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its runserver (which shows the examiner login) wins over the others.
    "depository",
    "depository.apps.SuperuserAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    # Sign-in: single sign-on (OpenID Connect, SAML 2.0) and second factors (README, "Signing in").
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "students",
    "submissions",
    "api",
]

MIDDLEWARE = [
    "depository.logs.request_log",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "depository.errorpages.PublicErrorPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before anything that answers in words (CommonMiddleware's redirects).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "students.middleware.examiner_time_zone",
    "allauth.account.middleware.AccountMiddleware",
    "students.middleware.SecondFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "depository.urls"
WSGI_APPLICATION = "depository.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "submissions.context_processors.storage",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite by default; IMMEDIATE transactions take the write lock up front, so two uploads
# never deadlock upgrading a read lock.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'depository.sqlite3'}")
}
# Each process keeps a pool of up to DATABASE_POOL_MAX connections. How many processes
# there are is the deployment's (fly.toml): `check --deploy` and /healthz/deep add them up,
# app machines x WEB_CONCURRENCY x DATABASE_POOL_MAX + the workers' and the maintenance
# process's, against the server's max_connections (depository/connections.py).
DATABASE_POOL_MIN = env.int("DATABASE_POOL_MIN", default=2)
DATABASE_POOL_MAX = env.int("DATABASE_POOL_MAX", default=10)
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=2)  # gunicorn.conf.py reads it too
APP_MACHINES = env.int("APP_MACHINES", default=1)
WORKER_MACHINES = env.int("WORKER_MACHINES", default=1)
MAINTENANCE_MACHINES = env.int("MAINTENANCE_MACHINES", default=1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
else:
    # psycopg's pool; CONN_MAX_AGE must stay 0 when the pool manages connections. Our
    # backend has the pool check each connection before handing it out (one empty query),
    # so connections the server dropped (a restart, a failover) fail no request.
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "depository.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["pool"] = {
        "min_size": DATABASE_POOL_MIN,
        "max_size": DATABASE_POOL_MAX,
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
    }
    # A database that stops answering must cost a request seconds, not minutes (a page
    # waited 180 s on a hung one): a connection is given up on after connect_timeout; a
    # peer that stops acknowledging after tcp_user_timeout, and an idle one that is gone
    # after 10 + 3 x 5 s of keepalives; and the server cancels any statement (a lock
    # waited on included) after DATABASE_STATEMENT_TIMEOUT, so an upload's record either
    # commits within seconds or not at all, long before nginx gives up on it (120 s).
    options.update(
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
        tcp_user_timeout=env.int("DATABASE_CONNECT_TIMEOUT", default=5) * 2000,
    )
    statement_ms = int(env.float("DATABASE_STATEMENT_TIMEOUT", default=10) * 1000)
    # lock_timeout too: PostgreSQL stops a statement's timer before it commits, and Django's
    # foreign keys are checked at the commit, where a wait for a locked table would
    # otherwise have no end (and the upload be recorded after the student was told no).
    # Any options given in DATABASE_URL come last, and win.
    options["options"] = (
        f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} "
        f"{options.get('options', '')}"
    ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Files ----------------------------------------------------------------------------
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# The boto3 client for S3/R2 (also what the tests' moto storage uses). R2 rejects some of
# recent botocore's default checksum headers. The body is not signed: botocore would hash
# every file a second time for it (we already hash it while it streams in), and R2 is
# reached over HTTPS, whose TLS already protects the bytes; the request itself is still
# signed. `check --deploy` refuses a plain-HTTP endpoint for that reason. Short timeouts
# and one retry bound how long a student waits to hear of an outage: a storage that never
# answers is given up on after 2 x the read timeout (10 s), one that cannot be reached
# after 2 x the connect timeout (6 s), and no call waits longer than 2 x (3 + 5) = 16 s
# for a storage that stops answering.
S3_ATTEMPTS = 2  # in all: the first and one retry
S3_CLIENT_CONFIG = Config(
    signature_version="s3v4",
    s3={
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="auto"),
        "payload_signing_enabled": False,
    },
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
    read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=5),
    retries={"total_max_attempts": S3_ATTEMPTS, "mode": "standard"},
)
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "submissions.storage.SubmissionS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="auto"),
            "signature_version": "s3v4",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_expire": 600,
            "client_config": S3_CLIENT_CONFIG,
        },
    }
else:
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
# Where answer files must stay: "eu" makes `check --deploy` refuse a bucket that is not
# kept in the EU (submissions/residency.py). Empty: no promise, no check.
DATA_RESIDENCY = env.str("DATA_RESIDENCY", default="")
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# Every file part goes through one handler that hashes while it streams and stops reading
# once a file passes the limit, so a huge body never fills memory or disk.
FILE_UPLOAD_HANDLERS = ["submissions.uploadhandlers.HashingUploadHandler"]
# Files past 256 KiB spool to a temporary file: in the deadline rush a worker holds dozens
# of uploads at once (a slow one for many seconds). With 3 MiB of each in memory a worker
# passed 150 MiB; with 1 MiB, 32 slow clients still took one to 148-156 MiB, and with
# 256 KiB to 124-139 MiB, at the same CPU per upload (bench/RESULTS.md).
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# The largest file the server will read for any form, whatever an exam allows.
FILE_UPLOAD_HARD_LIMIT = env.int("FILE_UPLOAD_HARD_LIMIT", default=20 * 1024 * 1024)
# What a multipart body may carry besides the file (boundaries, part headers, the form
# token): an upload declaring more than its file limit plus this is refused unread, by the
# page, the API and the front proxy (depository/serve.py) alike.
UPLOAD_BODY_OVERHEAD = 64 * 1024
# Where nginx keeps each body past 64 KiB while it arrives (depository/serve.py sets it for
# the gunicorn it starts): /healthz/deep checks its free space beside the app's own
# temporary folder, where uploads past FILE_UPLOAD_MAX_MEMORY_SIZE spool.
PROXY_BODY_TEMP_DIR = env.str("PROXY_BODY_TEMP_DIR", default="")
# Either folder with less free space than this fails /healthz/deep: less than a few
# largest bodies at once, and uploads are about to fail.
UPLOAD_TEMP_MIN_FREE_BYTES = env.int(
    "UPLOAD_TEMP_MIN_FREE_BYTES", default=10 * (FILE_UPLOAD_HARD_LIMIT + 64 * 1024)
)
# How long a client is asked to wait (Retry-After) while the database or the storage is away
# (a restart, a failover): the pages and the API say the same.
RETRY_AFTER_SECONDS = 60

# The original service's MD5 beside our SHA-256 for every upload, not only for uploads
# through its routes (/api/v0/): its clients can then compare it for files uploaded on the
# page as well. Off by default: MD5 costs more than twice the SHA-256's CPU.
UPLOAD_MD5 = env.bool("UPLOAD_MD5", default=False)

# --- Exam rules -----------------------------------------------------------------------
SUBMISSION_MAX_UPLOAD_BYTES = env.int("SUBMISSION_MAX_UPLOAD_BYTES", default=3 * 1024 * 1024)
SUBMISSION_MAX_UPLOADS = env.int("SUBMISSION_MAX_UPLOADS", default=5)
SUBMISSION_RETENTION_DAYS = env.int("SUBMISSION_RETENTION_DAYS", default=3)
DOWNLOAD_LINK_SECONDS = 600
# How long a two-step upload's presigned PUT URL works, at most (never past the commitment's
# delivery window). Storage checks it when the PUT starts, so a slow phone's PUT that began
# in time finishes; a page that needs another asks for one by committing the same file again.
PRESIGNED_PUT_SECONDS = 600

# --- Signed receipts ------------------------------------------------------------------
# Every accepted upload gets a statement signed with this Ed25519 key (submissions.signing),
# which anyone can check later with the published public keys alone. Made with `manage.py
# generate_receipt_key`; `check --deploy` refuses production without it. Unset (tests, a
# one-off command) a throwaway key signs, as for SECRET_KEY; `make run` keeps one in var/.
RECEIPT_SIGNING_KEY_IS_SET = bool(env.str("RECEIPT_SIGNING_KEY", default=""))
RECEIPT_SIGNING_KEY = env.str("RECEIPT_SIGNING_KEY", default="") or (
    base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
)
# The public parts of retired signing keys (comma separated): still published at
# /.well-known/jwks.json, so receipts they signed keep verifying after a rotation.
RECEIPT_PUBLIC_KEYS = env.list("RECEIPT_PUBLIC_KEYS", default=[])

# --- Auth -----------------------------------------------------------------------------
# `make run` keeps its first examiner login here (git-ignored) and shows it on start.
EXAMINER_LOGIN_FILE = Path(
    env.str("EXAMINER_LOGIN_FILE", default=str(VAR_DIR / "examiner-login.txt"))
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "students:exam_list"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, finding the user with their profile, from the cache when shared.
    "students.backends.ExaminerBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Single sign-on and second factors (django-allauth) -------------------------------
# Examiners sign in with a password (the login above), a passkey, or their institution's
# identity provider; allauth runs the second-factor step after the first and keeps what a
# session used (students/signin.py). Its own sign-up, e-mail and password pages are not
# mounted: accounts come from invitations and single sign-on only.
ACCOUNT_ADAPTER = "students.signin.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "students.signin.SocialAccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
# Who may become an examiner by signing in through a provider: an address the provider
# says it verified in one of these domains, or one of these groups in the group claim.
# Nobody else gets an account (existing examiners are linked by a verified address).
EXAMINER_EMAIL_DOMAINS = [
    d.lower().lstrip("@") for d in env.list("EXAMINER_EMAIL_DOMAINS", default=[])
]
EXAMINER_GROUPS = env.list("EXAMINER_GROUPS", default=[])
EXAMINER_GROUPS_CLAIM = env.str("EXAMINER_GROUPS_CLAIM", default="groups")
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking by address is ours: verified only
# OIDC_PROVIDERS: a JSON list, one object per provider (README, "Signing in"): id, name,
# server_url (the issuer), client_id, secret; optionally scope (a list: add "groups" where
# the provider sends the group claim for it) and verified_email (true, or a list of
# domains: addresses the provider issues itself, for one that sends no email_verified
# claim, as Microsoft Entra ID). SAML_PROVIDERS: a JSON list of id, name and allauth's SAML
# "settings" (idp with entity_id and metadata_url, or sso_url and x509cert; attribute_mapping).
OIDC_SETTINGS_KEYS = ["server_url", "scope", "verified_email"]
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": app["id"],
                "name": app["name"],
                "client_id": app["client_id"],
                "secret": app.get("secret", ""),
                "settings": {key: app[key] for key in OIDC_SETTINGS_KEYS if key in app},
            }
            for app in env.json("OIDC_PROVIDERS", default=[])
        ],
    },
    "saml": {
        "APPS": [
            {
                "provider_id": app["id"],
                "client_id": app["id"],
                "name": app["name"],
                "settings": app["settings"],
            }
            for app in env.json("SAML_PROVIDERS", default=[])
        ]
    },
}
# Second factors for local accounts: a passkey (which also signs in on its own), an
# authenticator app's code, and recovery codes for when both are lost.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Exam Depository"
# A code typed in the last seconds of its 30 still counts (RFC 6238 allows one step).
MFA_TOTP_TOLERANCE = 1
# Examiners' addresses come from invitations (an administrator's) or a provider's verified
# claim; allauth's own address verification is not used.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Every examiner who signs in with a password must set up a second factor before their
# pages open (single sign-on sessions are left to the institution's provider). Superusers
# always need one to reach the admin.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=False)

# English is the source; the browser's Accept-Language picks among LANGUAGES, and the
# switcher in base.html keeps a choice in a cookie. Another language is a PO file in
# locale/<code>/LC_MESSAGES/ plus one line here (README, "Languages").
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Fly's proxy terminates TLS; production turns the redirect on in fly.toml.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token in a field
SESSION_COOKIE_HTTPONLY = True
# Pages whose URL carries a code send no-referrer themselves (submissions.throttle); every
# other page keeps the URL to our own origin.
SECURE_REFERRER_POLICY = "same-origin"
# Our own static files only: no inline script, no inline style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # blob: the thumbnails of "Scan pages", photos that never leave the phone until sent.
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# /healthz/deep answers only `Authorization: Bearer <HEALTH_TOKEN>`; unset, it always 404s.
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")
# The worker beats once a minute: three missed beats, or a task waiting five minutes to start,
# and /healthz/deep reports the worker failing.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=180)
TASK_QUEUE_MAX_AGE = env.int("TASK_QUEUE_MAX_AGE", default=300)

# --- Client IP, guessing and login lockout --------------------------------------------
# Fly's proxy names the client in Fly-Client-IP. Anywhere else a client could write that
# header itself, so it is read only when this says the app sits behind Fly's proxy.
BEHIND_FLY_PROXY = env.bool("BEHIND_FLY_PROXY", default=False)
# The buffering front proxy (depository/serve.py, which sets this for the gunicorn it
# starts) passes a request on only once its body has arrived, and says how long that took
# (X-Request-Elapsed) and who sent it (X-Real-IP). Without it, those headers are ignored.
BEHIND_BUFFERING_PROXY = env.bool("BEHIND_BUFFERING_PROXY", default=False)

# Wrong codes (upload links, receipts, verification lookups) allowed per client IP in one
# window; past that, every code lookup from the IP gets a 429 until the window ends. Right
# codes never count, so a lecture hall behind one NAT address is never slowed down.
CODE_MISS_LIMIT = env.int("CODE_MISS_LIMIT", default=50)
CODE_MISS_WINDOW = env.int("CODE_MISS_WINDOW", default=600)

# The miss counters are shared by every process and machine: one atomic increment each, in
# Redis when REDIS_URL is set, else in a table of our own (submissions.CodeMissCount, made
# by `migrate`; `purge_code_misses` deletes the windows that have ended).
REDIS_URL = env.str("REDIS_URL", default="")
CODE_MISS_KEY_PREFIX = "depository:code-misses"

# With Redis, the cache is Redis too, and every process shares it: examiners' sessions are
# read from it (written through to the database) and so are their logins (students.backends),
# so a poll of an exam's live part costs the database its one query. Without it, each
# process has a cache of its own, which nothing that must be the same everywhere may use.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "depository",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    SESSION_ENGINE = "depository.sessions"  # cached_db, reading the database if Redis is down
CACHE_LOGINS = bool(REDIS_URL)

# Login: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one IP, that pair
# is locked out for LOGIN_COOLOFF_MINUTES (never for good); a success clears the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "depository.clientip.client_ip"
# Its column is 255 characters wide; longer usernames are counted by their hash.
AXES_USERNAME_CALLABLE = "depository.clientip.login_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

# In production one JSON object per line (depository/logs.py), with no code, token or
# signed URL in it; `make run` keeps plain text. Request lines are production's: the
# development server prints its own.
LOG_JSON = env.bool("LOG_JSON", default=not DEBUG)
# --- Mail and background work --------------------------------------------------------
# One URL names the mail server (django-environ): smtp://user:pass@host:587,
# smtp+tls://..., smtp+ssl://..., or consolemail:// to print every mail (the default, and
# what `make run` uses). `check --deploy` warns while production still prints its mail.
# An empty EMAIL_URL (`EMAIL_URL=` in an env file, a secret set to "") counts as unset.
try:
    vars().update(env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://"))
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "EMAIL_URL is not a mail server URL: use smtp+tls://user:password@host:587, "
        "smtp+ssl://...:465 or smtp://...:25, or leave it empty to print mail instead."
    ) from None
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Exam Depository <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in mail are written by the worker, which has no request to take the host from.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The scheme of the callback URLs handed to identity providers (allauth), as the site's.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = SITE_URL.partition(":")[0]
# At most this many mails leave per minute, across every worker, so a provider's limit
# (often 60 to 600 a minute) is never hit.
EMAIL_RATE_PER_MINUTE = env.int("EMAIL_RATE_PER_MINUTE", default=120)
# A mail is tried at most 3 times: after a temporary failure (the server down, a 4xx
# answer) it waits this many seconds before the 2nd and the 3rd try.
EMAIL_RETRY_DELAYS = env.list("EMAIL_RETRY_DELAYS", cast=int, default=[60, 600])
# A worker that took a mail and died is presumed dead after this long; the mail goes out
# again, with the same Message-ID. Longer than EMAIL_TIMEOUT for one SMTP conversation.
EMAIL_LEASE_SECONDS = env.int("EMAIL_LEASE_SECONDS", default=120)

# Background work (django-tasks, the backport of Django 6's Tasks): tasks are rows in the
# database, run by `manage.py worker`; several workers share them without running one twice.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "depository.logs.RequestContext"},
        "redact": {"()": "depository.logs.Redact"},
    },
    "formatters": {
        "json": {"()": "depository.logs.JsonLines"},
        "text": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "text",
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # Every login writes an INFO line; lockouts are WARNINGs and still show.
        "axes": {"level": "WARNING"},
        "depository.requests": {"level": "WARNING" if DEBUG else "INFO"},
    },
}
