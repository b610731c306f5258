"""Settings for the claim portal, driven entirely by environment variables.

Production differs from a developer machine only by its environment: `.env.example` lists every
variable. Without any, the portal runs on embedded defaults (SQLite under var/, local Redis,
SeaweedFS and clamd on loopback) as `make run` starts them.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A developer's .env configures make run; the test suite sets PORTAL_IGNORE_DOTENV to stay hermetic.
if not env.bool("PORTAL_IGNORE_DOTENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env")


def _local_secret_key() -> str:
    """Return a random key kept under var/, so a developer machine needs no configuration."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
# Even with DEBUG on (make run), no debug page is shown: errors rise to the portal's own 500 page
# (portal.error_pages), and the traceback goes to the console.
DEBUG_PROPAGATE_EXCEPTIONS = DEBUG
# Behind TLS (production) set HTTPS=true: secure cookies, HSTS and the redirect follow from it,
# and the settings a production deployment cannot do without become required.
HTTPS = env.bool("HTTPS", default=False)


def _required_in_production(name: str) -> str:
    value = env.str(name, default="")
    if HTTPS and not value:
        raise ImproperlyConfigured(f"{name} must be set when HTTPS=true (production).")
    return value


# Every web process and worker must share one key: a per-machine key would break sessions.
SECRET_KEY = _required_in_production("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of the portal, used for links in emails sent from workers.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # The signed-in sessions on the account page, with "sign out everywhere else".
    "allauth.usersessions",
    "storages",
    "django_filters",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",
    "intake",
    "triage",
    "documents",
    "resolution",
    "oversight",
    "privacy",
    "api",
    "notifications",
    "demo",
]

MIDDLEWARE = [
    # Outermost, so that it sees every error the others let through (see portal.error_pages).
    "portal.error_pages.OwnErrorPagesMiddleware",
    # Turns the portal's refusals (portal.errors) into their 404 or 403 page, with the audit row.
    "portal.middleware.AccessRefusalMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "portal.middleware.StaffMfaRequiredMiddleware",
    "portal.middleware.CacheUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE, the active language: base.html's <html lang> follows it.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default is shared by the web server, the worker and beat at once. WAL lets
    # readers carry on beside one writer; IMMEDIATE takes the write lock when a transaction
    # begins, so two transactions never both read and then fail to upgrade ("database is
    # locked" without waiting); the busy timeout makes a writer wait its turn instead of failing.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#database-is-locked-errors
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.float("SQLITE_BUSY_TIMEOUT_SECONDS", default=20.0),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# A task that meets a transient database error (a lock, a dropped connection, a serialization
# failure or deadlock) runs again in its worker after a backoff, this many times, then goes back
# to the broker (config.celery.PortalTask).
TASK_DATABASE_RETRIES = env.int("TASK_DATABASE_RETRIES", default=10)
TASK_DATABASE_RETRY_MAX_SECONDS = env.float("TASK_DATABASE_RETRY_MAX_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth's rate limits and used TOTP codes live here) ------------------------------
# A cache shared by every web process is what makes rate limits hold across processes.
CACHES = {"default": env.cache_url("CACHE_URL", default="redis://127.0.0.1:6379/1")}

# --- Users, accounts, MFA ---------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
# ACCOUNT_FORMS and MFA_FORMS: see "Accounts pages" below.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
# Answers the same whether or not an address is registered (sign-up, reset, login).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated here so they are visible and tunable per environment.
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": env.str("RATE_LIMIT_RESET_PASSWORD", default="20/m/ip,5/m/key"),
    "confirm_email": "1/3m/key",
    # The portal's own, per signed-in user (intake/advocates/ratelimits.py): each sends an email
    # to an address the person typed.
    "authority_invite": env.str("RATE_LIMIT_AUTHORITY_INVITE", default="10/h/user"),
    "file_on_behalf": env.str("RATE_LIMIT_FILE_ON_BEHALF", default="5/h/user"),
}
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Claim portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env.str(
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="https" if HTTPS else "http"
)
# Behind N proxies that append to X-Forwarded-For, the client is the Nth address from the end.
# Rate limits and the audit log both take the client's address from this.
# https://docs.allauth.org/en/latest/common/configuration.html
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# https://docs.allauth.org/en/latest/mfa/configuration.html
MFA_ADAPTER = "portal.adapters.MFAAdapter"
# Key for encrypting TOTP secrets at rest; derived from SECRET_KEY when not set.
MFA_SECRET_ENCRYPTION_KEY = env.str("MFA_SECRET_ENCRYPTION_KEY", default="")
# Passkeys and security keys (WebAuthn) are offered to every role, and a passkey alone signs in.
# Browsers allow WebAuthn only on https:// or http://localhost (not http://127.0.0.1).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
# Roles that must pass a second factor (an authenticator app or a passkey) before reaching any
# other page. Advocates are included by default: one advocate reads many patients' records.
MFA_REQUIRED_ROLES = env.list(
    "MFA_REQUIRED_ROLES", default=["adjuster", "triage_lead", "administrator", "advocate"]
)
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Claim portal")

# Session lifetimes: idle timeout and absolute lifetime, enforced by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30))
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=env.int("SESSION_ABSOLUTE_LIFETIME_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_LIFETIME.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS and security headers ---------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe health over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
# Set when a proxy terminates TLS and sends X-Forwarded-Proto.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# Each language in its own name, as the switcher in the footer shows it. A language is added with
# its catalogue in locale/ (README, Languages); strings not yet translated fall back to English.
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The choice made with the switcher is kept in this cookie (Django's set_language view), so it
# lasts across sign-in and sign-out. It holds only a language code.
# https://docs.djangoproject.com/en/5.2/ref/settings/#language-cookie-name
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files (served by the app through whitenoise) --------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Object storage: S3 or compatible through django-storages ---------------------------------
# https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="http://127.0.0.1:8333") or None
S3_BUCKET = env.str("S3_BUCKET", default="claim-portal-documents")
S3_REGION = env.str("S3_REGION", default="us-east-1")
# Set both empty to use the machine's own credentials (an IAM role) instead.
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", default="portal-local") or None
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="portal-local-secret") or None
# Server-side encryption requested on every object: "AES256" (SSE-S3) or "aws:kms".
S3_SERVER_SIDE_ENCRYPTION = env.str("S3_SERVER_SIDE_ENCRYPTION", default="AES256")
S3_PRESIGNED_URL_SECONDS = env.int("S3_PRESIGNED_URL_SECONDS", default=60)
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": S3_ENDPOINT_URL,
            "bucket_name": S3_BUCKET,
            "region_name": S3_REGION,
            "access_key": S3_ACCESS_KEY_ID,
            "secret_key": S3_SECRET_ACCESS_KEY,
            # No ACL header: buckets with ACLs disabled (AWS's default) refuse one; objects are
            # private because the bucket is (block public access), presigned URLs read them.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": S3_PRESIGNED_URL_SECONDS,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": S3_SERVER_SIDE_ENCRYPTION},
            "signature_version": "s3v4",
            "addressing_style": "path",
        },
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Virus scanning with clamd ----------------------------------------------------------------
# A Unix socket path takes precedence over host and port when set.
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="")
CLAMD_HOST = env.str("CLAMD_HOST", default="127.0.0.1")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT_SECONDS = env.float("CLAMD_TIMEOUT_SECONDS", default=30.0)
# clamd must pass its check (EICAR found, an archive nested past its limits reported as
# Heuristics.Limits.Exceeded) before it scans; a worker repeats the check this often.
CLAMD_CHECK_SECONDS = env.int("CLAMD_CHECK_SECONDS", default=60)

# --- Documents --------------------------------------------------------------------------------
# Limits enforced while an upload streams (documents.upload), before the body is read whole.
DOCUMENT_MAX_FILE_MB = env.int("DOCUMENT_MAX_FILE_MB", default=50)
DOCUMENT_MAX_FILES_PER_REQUEST = env.int("DOCUMENT_MAX_FILES_PER_REQUEST", default=5)
DOCUMENT_MAX_TOTAL_PER_CLAIM_MB = env.int("DOCUMENT_MAX_TOTAL_PER_CLAIM_MB", default=500)
# Infected files stay in quarantine this long (for investigation), then their objects go.
DOCUMENT_INFECTED_RETENTION_DAYS = env.int("DOCUMENT_INFECTED_RETENTION_DAYS", default=30)
# A scan that cannot reach clamd or S3 retries with exponential backoff, then is left in error.
DOCUMENT_SCAN_MAX_RETRIES = env.int("DOCUMENT_SCAN_MAX_RETRIES", default=10)
DOCUMENT_SCAN_RETRY_BASE_SECONDS = env.int("DOCUMENT_SCAN_RETRY_BASE_SECONDS", default=15)
DOCUMENT_SCAN_RETRY_MAX_SECONDS = env.int("DOCUMENT_SCAN_RETRY_MAX_SECONDS", default=900)
# A pending document whose next attempt is this long overdue is queued again, whatever its
# attempts so far (a lost message, a killed worker, retries that ended on a database error).
DOCUMENT_SCAN_REQUEUE_MINUTES = env.int("DOCUMENT_SCAN_REQUEUE_MINUTES", default=5)
# Still pending this long after upload: shown to the triage lead and in the admin, and the
# patient is told it is taking longer than usual.
DOCUMENT_SCAN_OVERDUE_MINUTES = env.int("DOCUMENT_SCAN_OVERDUE_MINUTES", default=30)
# A Word or OpenDocument file (a zip) is refused as unscannable before clamd sees it when its
# central directory passes one of these. The unpacked total stays under clamd's MaxScanSize.
DOCUMENT_ARCHIVE_MAX_ENTRIES = env.int("DOCUMENT_ARCHIVE_MAX_ENTRIES", default=1000)
DOCUMENT_ARCHIVE_MAX_UNCOMPRESSED_MB = env.int("DOCUMENT_ARCHIVE_MAX_UNCOMPRESSED_MB", default=200)
# Unpacked size over packed size, for any packed file of a megabyte or more.
DOCUMENT_ARCHIVE_MAX_RATIO = env.int("DOCUMENT_ARCHIVE_MAX_RATIO", default=100)
# Archives inside the document (an embedded spreadsheet is one level).
DOCUMENT_ARCHIVE_MAX_DEPTH = env.int("DOCUMENT_ARCHIVE_MAX_DEPTH", default=3)
# Objects no document refers to are deleted once older than this (longer than any upload).
DOCUMENT_ORPHAN_GRACE_MINUTES = env.int("DOCUMENT_ORPHAN_GRACE_MINUTES", default=120)
# Only the document upload view takes files, streaming them to S3 with its own handler; anywhere
# else a file is skipped, so none is kept in a web process's memory or on its disk.
# https://docs.djangoproject.com/en/5.2/ref/settings/#file-upload-handlers
FILE_UPLOAD_HANDLERS = ["documents.upload.NoFilesExpectedHandler"]

# --- Celery -----------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
# Redis keeps results itself; with RabbitMQ results travel back over the broker (rpc://).
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://"
)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Idempotent tasks opt in to late acknowledgement with acks_late=True on the task itself.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless this is set: a
# new PostgreSQL connection per task then costs more than most tasks do. Reconnect every N tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each queue gets its own exchange and routing key: bound to one shared default exchange and key,
# a message routed to "scan" would be copied into every queue and run once per queue.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "scan", "notify", "webhooks")
]
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_TASK_ROUTES = {
    "documents.tasks.*": {"queue": "scan"},
    "notifications.tasks.*": {"queue": "notify"},
    "api.tasks.*": {"queue": "webhooks"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long publishing waits for a broker that does not answer before giving up.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5}
# After a task's publish fails, a process does not publish that task for this long: the work
# waits for its sweeper (portal/queueing.py), and requests made while the broker is down skip the
# connection retries.
TASK_PUBLISH_PAUSE_SECONDS = env.float("TASK_PUBLISH_PAUSE_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "portal.tasks.sessions_clear_expired",
        "schedule": crontab(minute=17, hour=3),
    },
    "remind-and-purge-stale-drafts": {
        "task": "intake.tasks.drafts_remind_and_purge_task",
        "schedule": crontab(minute=5, hour=6),
    },
    "route-claims-still-waiting": {
        "task": "triage.tasks.claims_route_waiting_task",
        "schedule": crontab(minute="*/5"),
    },
    "flag-overdue-claims": {
        "task": "triage.tasks.claims_flag_overdue_task",
        "schedule": crontab(minute=20),
    },
    "documents-rescan-if-signatures-changed": {
        "task": "documents.tasks.documents_rescan_if_signatures_changed",
        "schedule": crontab(minute=40),
    },
    # Every minute, so a lost scan waits DOCUMENT_SCAN_REQUEUE_MINUTES, not that plus a period.
    "documents-requeue-pending": {
        "task": "documents.tasks.documents_requeue_pending",
        "schedule": crontab(minute="*"),
    },
    "documents-reap-orphans": {
        "task": "documents.tasks.document_reap_orphans",
        "schedule": crontab(minute=25),
    },
    "documents-purge-infected": {
        "task": "documents.tasks.documents_purge_infected",
        "schedule": crontab(minute=50, hour=4),
    },
    # Every minute, as for scans: a letter the broker lost waits LETTER_REQUEUE_MINUTES.
    "letters-requeue-pending": {
        "task": "resolution.letters_tasks.letters_requeue_pending",
        "schedule": crontab(minute="*"),
    },
    # API: forget Idempotency-Keys older than API_IDEMPOTENCY_DAYS.
    "api-idempotency-purge": {
        "task": "api.tasks.idempotent_requests_purge",
        "schedule": crontab(minute=45, hour=3),
    },
    # Webhooks: queue deliveries left pending (the broker down at commit, a long retry due).
    "webhooks-sweep-pending": {
        "task": "api.tasks.webhooks_sweep_pending",
        "schedule": crontab(minute="*"),
    },
    "notifications-sweep-undelivered": {
        "task": "notifications.tasks.notifications_sweep_undelivered",
        "schedule": crontab(minute="*"),
    },
    # Offers: the warning before an offer lapses, and the lapse once its answer-by date has
    # passed (both idempotent; hourly, so an offer lapses within the hour after midnight).
    "offers-warn-lapsing": {
        "task": "resolution.offers_tasks.offers_warn_lapsing_task",
        "schedule": crontab(minute=7),
    },
    "offers-lapse-due": {
        "task": "resolution.offers_tasks.offers_lapse_due_task",
        "schedule": crontab(minute=3),
    },
    # Subject access exports: queue again a copy the broker lost, and delete copies past their
    # download days (PRIVACY_EXPORT_DAYS).
    "privacy-exports-requeue-pending": {
        "task": "privacy.export_tasks.exports_requeue_pending",
        "schedule": crontab(minute="*/5"),
    },
    "privacy-exports-purge-expired": {
        "task": "privacy.export_tasks.exports_purge_expired",
        "schedule": crontab(minute=35),
    },
    # Privacy: anonymise claims past their retention and delete old notification rows.
    "privacy-retention-daily": {
        "task": "privacy.retention_tasks.retention_run_task",
        "schedule": crontab(minute=35, hour=2),
    },
    "notifications-send-digests": {
        "task": "notifications.tasks.notification_digests_send",
        "schedule": crontab(minute=0, hour=env.int("NOTIFICATION_DIGEST_HOUR_UTC", default=7)),
    },
}
CELERY_TIMEZONE = "UTC"

# --- Email ------------------------------------------------------------------------------------
# smtp://user:pass@host:587/?tls=True, consolemail://, filemail:///path, or memorymail://
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# Required in production: the console would print live password-reset links into the logs.
EMAIL_URL = _required_in_production("EMAIL_URL") or "consolemail://"
EMAIL_CONFIG = env.email_url_config(EMAIL_URL)
if EMAIL_URL.startswith("filemail:///"):
    # django-environ drops the leading slash of an absolute path (filemail:///var/mail -> var/mail).
    EMAIL_CONFIG["EMAIL_FILE_PATH"] = "/" + EMAIL_CONFIG["EMAIL_FILE_PATH"].lstrip("/")
vars().update(EMAIL_CONFIG)  # django-environ's documented way to spread EMAIL_* settings
# A provider's backend (e.g. django-anymail's "anymail.backends.postmark.EmailBackend", with its
# ANYMAIL settings) replaces the one EMAIL_URL chose, without a change to the code.
# https://anymail.dev/en/stable/quickstart/
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or EMAIL_CONFIG["EMAIL_BACKEND"]
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Claim portal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Claims ----------------------------------------------------------------------------------
# Limitation periods per jurisdiction (a provider names its jurisdiction). A patient harmed as a
# minor has `years_after_majority` from reaching `age_of_majority`, if that ends later.
LIMITATION_RULES = env.json(
    "LIMITATION_RULES",
    default={
        "england-wales": {
            "years_from_knowledge": 3,
            "age_of_majority": 18,
            "years_after_majority": 3,
        },
        "scotland": {"years_from_knowledge": 5, "age_of_majority": 16, "years_after_majority": 5},
    },
)
DEFAULT_JURISDICTION = env.str("DEFAULT_JURISDICTION", default="england-wales")
# The patient is warned on the check-answers page when the deadline is this close or past.
LIMITATION_WARNING_MONTHS = env.int("LIMITATION_WARNING_MONTHS", default=6)
# Untouched drafts: a reminder after this many days, deletion (with notice) after the second.
DRAFT_REMINDER_DAYS = env.int("DRAFT_REMINDER_DAYS", default=14)
DRAFT_PURGE_DAYS = env.int("DRAFT_PURGE_DAYS", default=60)

# --- Privacy: subject access exports --------------------------------------------------------
# Days a patient may download the copy of their data before the zip is deleted from storage.
PRIVACY_EXPORT_DAYS = env.int("PRIVACY_EXPORT_DAYS", default=7)

# --- API ------------------------------------------------------------------------------------
# Insurers' systems connect through the REST API (api/): keys from djangorestframework-api-key,
# errors as problem+json, the OpenAPI 3.1 schema at /api/schema/ with Swagger UI and Redoc served
# from drf-spectacular-sidecar. The rate limit is per client, a courtesy against runaway loops, not
# a security control: https://www.django-rest-framework.org/api-guide/throttling/
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
# Days an Idempotency-Key's first answer is kept (a retry within them gets it back; after them the
# key is forgotten, and the daily purge deletes the rows in batches).
API_IDEMPOTENCY_DAYS = env.int("API_IDEMPOTENCY_DAYS", default=7)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ClientKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.HasScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": API_RATE_LIMIT},
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claims portal API",
    "DESCRIPTION": (
        "Pull your insurer's claims, push decisions, hear of changes by webhook. Authenticate with "
        "`Authorization: Api-Key <key>`. Errors are RFC 9457 problem details. Every POST takes an "
        "`Idempotency-Key`; updates take `If-Match` with the claim's ETag. Rate limit per client: "
        + API_RATE_LIMIT
        + " (a courtesy against runaway loops, not a security control)."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # OpenAPI links from a claim (and a webhook endpoint) to its parts, for clients and for
    # schemathesis's stateful tests.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_links.links_add",
    ],
    # One name per choice set used by several fields (status, from_status, to_status...).
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "intake.models.ClaimStatus",
        "OfferStateEnum": "resolution.models.OfferState",
        "EndpointStateEnum": "api.webhooks_models.EndpointState",
        "DeliveryStateEnum": "api.webhooks_models.DeliveryState",
    },
}

# --- The service ---
# How people reach the team that runs the portal: the footer, the contact and help pages, and the
# accessibility statement give these.
SERVICE_CONTACT_EMAIL = env.str("SERVICE_CONTACT_EMAIL", default="help@claim-portal.example")
SERVICE_CONTACT_PHONE = env.str("SERVICE_CONTACT_PHONE", default="0300 123 4567")
SERVICE_CONTACT_HOURS = env.str(
    "SERVICE_CONTACT_HOURS", default="Monday to Friday, 9am to 5pm (except public holidays)"
)

# --- Webhooks (api/webhooks.py) ---
# Standard Webhooks: https://www.standardwebhooks.com/. Deliveries go only to public addresses;
# this lets them reach private, loopback and link-local ones (a receiver on this machine for
# tests and `make run`). Never in production: it opens the portal's own network to anyone who
# may register an endpoint.
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)
# Seconds a delivery may take in all (connect and answer): a slow receiver is tried again later.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
# Hours a rotated-out secret still signs beside the new one.
WEBHOOKS_ROTATION_HOURS = env.int("WEBHOOKS_ROTATION_HOURS", default=24)
# Seconds before the sweeper queues again a delivery it queued that has not run.
WEBHOOKS_REQUEUE_SECONDS = env.int("WEBHOOKS_REQUEUE_SECONDS", default=60)

# --- Accounts pages ---
# allauth's forms in the portal's words: each field's error names the field. The sign-up form also
# asks the portal's questions, and does the same work (one password hash) whether or not the
# address is registered, so timing does not tell who has an account.
# https://docs.allauth.org/en/latest/account/forms.html
ACCOUNT_FORMS = {
    "signup": "portal.forms.SignupForm",
    "login": "portal.forms.LoginForm",
    "reset_password": "portal.forms.ResetPasswordForm",
    "reset_password_from_key": "portal.forms.ResetPasswordKeyForm",
    "change_password": "portal.forms.ChangePasswordForm",
    "set_password": "portal.forms.SetPasswordForm",
    "add_email": "portal.forms.AddEmailForm",
    "reauthenticate": "portal.forms.ReauthenticateForm",
}
# https://docs.allauth.org/en/latest/mfa/forms.html
MFA_FORMS = {
    "authenticate": "portal.forms.MFAAuthenticateForm",
    "reauthenticate": "portal.forms.MFAReauthenticateForm",
    "activate_totp": "portal.forms.ActivateTOTPForm",
    "add_webauthn": "portal.forms.AddWebAuthnForm",
    "edit_webauthn": "portal.forms.EditWebAuthnForm",
}
# One email address per account, changed in place: the new one takes over only once its owner
# confirms it from the link sent there, and the old one is told.
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# The contact details the account pages give are the service's own (SERVICE_CONTACT_* above).

# --- Privacy: retention, anonymisation, legal holds, the privacy notice ------------------------
# Who is responsible for the personal data the portal holds (UK GDPR Art. 4(7)), named in the
# privacy notice at /privacy/notice/, with the address people write to about their data.
PRIVACY_CONTROLLER_NAME = env.str("PRIVACY_CONTROLLER_NAME", default="Claim portal operator")
PRIVACY_CONTROLLER_CONTACT = env.str(
    "PRIVACY_CONTROLLER_CONTACT", default="privacy@claim-portal.example"
)
# Ended claims (closed, denied or withdrawn) and their documents are anonymised this many years
# after they ended: NHS Records Management Code of Practice, litigation and complaints files.
PRIVACY_CLAIM_RETENTION_YEARS = env.int("PRIVACY_CLAIM_RETENTION_YEARS", default=10)
# Outbox rows (notifications sent or failed) are deleted after this many days.
PRIVACY_NOTIFICATION_RETENTION_DAYS = env.int("PRIVACY_NOTIFICATION_RETENTION_DAYS", default=730)
# The audit log is kept at least this long (HIPAA 45 CFR 164.316(b)(2)); the portal never deletes
# it (append-only, enforced by the database): a DBA purges older rows (privacy/retention.py).
PRIVACY_AUDIT_RETENTION_YEARS = env.int("PRIVACY_AUDIT_RETENTION_YEARS", default=6)
# Claims anonymised per transaction by the daily task; each batch takes the same queries.
PRIVACY_ANONYMISE_BATCH_SIZE = env.int("PRIVACY_ANONYMISE_BATCH_SIZE", default=100)

# --- Notifications ----------------------------------------------------------------------------
# A failing email is retried with exponential backoff (base, 2x, 4x... capped), then marked failed
# for an administrator to see and send again; a refused address fails at once.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
# Emails still pending this long after they were due are queued again by the sweeper (beat).
NOTIFICATION_REQUEUE_MINUTES = env.int("NOTIFICATION_REQUEUE_MINUTES", default=5)
NOTIFICATION_SWEEP_BATCH = env.int("NOTIFICATION_SWEEP_BATCH", default=5000)
# Emails a worker sends in one task over one mail-server connection: the sweeper queues what it
# finds in tasks of this many (each takes them for sending ROWS_TAKEN_AT_ONCE at a time).
NOTIFICATION_DISPATCH_BATCH = env.int("NOTIFICATION_DISPATCH_BATCH", default=100)
# Deliver in the process that made the change instead of through the notify queue (tests).
NOTIFICATIONS_DELIVER_IN_PROCESS = env.bool("NOTIFICATIONS_DELIVER_IN_PROCESS", default=False)

# --- Bank details of settled claims (resolution/encryption.py) -------------------------------
# Fernet keys, comma-separated: the first encrypts, every one decrypts, so a key is rotated by
# putting a new one first, running `manage.py bank_details_rotate`, then removing the old one.
# Generate one with:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
# https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet
BANK_DETAILS_KEYS = env.list("BANK_DETAILS_KEYS", default=[])
# With no key set, development (DEBUG) encrypts with a key derived from SECRET_KEY; with DEBUG off
# the system check resolution.E001 fails instead. Not read from the environment on purpose.
BANK_DETAILS_DEVELOPMENT_KEY = DEBUG

# --- Health checks ----------------------------------------------------------------------------
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=3.0)
# /health/ answers from results this fresh, so probes cannot load the services it checks.
HEALTH_CHECK_CACHE_SECONDS = env.float("HEALTH_CHECK_CACHE_SECONDS", default=5.0)

# --- Logging: no health details are ever logged; request bodies are never logged -------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
