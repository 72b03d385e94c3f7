"""Settings for the contacts CRM admin, read from the environment.

With no environment at all the app runs in development mode on a SQLite file in the project folder.
With DEBUG=false it refuses to start without a real SECRET_KEY and passes `check --deploy`.
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# One reader for the whole environment. The short schemes this app documented before django-environ
# (console://, locmem://) keep working as aliases of its own names.
environ.Env.EMAIL_SCHEMES.setdefault("console", "django.core.mail.backends.console.EmailBackend")
environ.Env.CACHE_SCHEMES.setdefault("locmem", "django.core.cache.backends.locmem.LocMemCache")
env = environ.Env()


def env_url(name: str, default: str) -> str:
    """Return a URL variable, or the default when it is unset or empty (an empty line in a .env file)."""
    return env.str(name, default="") or default


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list, empty items dropped; the default when nothing is left."""
    return [item.strip() for item in env.list(name, default=[]) if item.strip()] or default


DEBUG = env.bool("DEBUG", default=True)

# A development key is fine on a laptop; production must bring its own, so we refuse to start without one.
DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The admin with its default site replaced by the superusers-only one (contacts_crm.admin_site.CrmAdminSite).
    "contacts_crm.admin_app.CrmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    # The layer every app stands on; it imports none of them.
    "crm_core",
    # Background jobs, the outbox and the chores; it imports only crm_core.
    "jobs",
    "customers",
    "companies",
    "orders",
    # The helpdesk: tickets, mail intake and the Customer Portal, on top of contacts and companies.
    "tickets",
    # Contact import from CSV files: the dry run and the import, as jobs, on top of contacts and companies.
    "imports",
    "merges",  # merging duplicate contacts, on top of every app whose rows it moves
    # Last: it composes the apps above (staff groups, demo data, sign-in, the integrity check).
    "contacts_crm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the middleware that adds headers, so its 400 for an over-long query string gets them all.
    "crm_core.middleware.QueryStringLimitMiddleware",
    # Last, as axes asks: it sees every response of a request axes flagged (contacts_crm.signin).
    "axes.middleware.AxesMiddleware",
]

# axes' backend comes first so that it refuses a locked-out try before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "contacts_crm.urls"
WSGI_APPLICATION = "contacts_crm.wsgi.application"
ASGI_APPLICATION = "contacts_crm.asgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
    # Jinja2 beside it for the partials a page repeats per row (about 1,000 values a list page), which it
    # renders several times faster; its templates, in jinja2/, go through crm_core.jinja.partial_render.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "crm_core.jinja.environment"},
    },
]

# Forms render without maxlength, so pasted text is never cut short in the browser (crm_core/forms.py).
FORM_RENDERER = "crm_core.forms.FormRenderer"

# Databases: SQLite in the project folder by default. WAL lets readers and one writer work at once;
# IMMEDIATE transactions take the write lock up front, so concurrent writers wait instead of failing
# with "database is locked" half-way through a transaction.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASES = {"default": env.db_url_config(env_url("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new connection per request cost about 6 ms of a 6 ms empty page here; keep them, checked before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    # Tests use a file rather than memory, so the thread tests' connections all see one database; named per
    # process, so two test runs side by side never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_NAME", default="")
        or str(Path(tempfile.gettempdir()) / f"contacts-crm-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url_config(env_url("CACHE_URL", "locmem://contacts-crm"))}

# Email: the console in development; EMAIL_URL (smtp+tls://user:password@host:587) in production.
_email = env.email_url_config(env_url("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
# smtp+tls:// and smtps:// say it in the scheme; `?tls=True` / `?ssl=True` is how this app wrote it before.
_email_options = {name.lower(): value for name, value in _email.get("OPTIONS", {}).items()}
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False) or env.parse_value(_email_options.get("tls", "false"), bool)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False) or env.parse_value(_email_options.get("ssl", "false"), bool)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Contacts CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Rows per page on every list (UI.md: pages of 50).
LIST_PAGE_SIZE = 50

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"
# Failed logins per username and per client address within the window before further tries are refused,
# at every door that signs in through authenticate() (the app's login, the admin's). django-axes does the
# counting, in the database (AccessAttempt, shown in the admin); these settings are its configuration.
LOGIN_THROTTLE_LIMIT = env.int("LOGIN_THROTTLE_LIMIT", default=5)
LOGIN_THROTTLE_WINDOW = 15 * 60
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_THROTTLE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_THROTTLE_WINDOW)
# Each on its own: a username is locked out whatever address tries it, an address whatever usernames it tries.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "crm_core.client.client_address"
# A success clears nothing: clearing by username would wipe the failures an attacker ran up from other
# addresses, and clearing by address would let someone who owns one account reset their count by signing into
# it between guesses. Counts only run out with time, or `manage.py axes_reset_username` etc.
AXES_RESET_ON_SUCCESS = False
# Refused tries are not counted, so a lockout ends LOGIN_THROTTLE_WINDOW after the last real failure, as the
# message says, however often the person tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "contacts_crm.signin.lockout_response"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# In development (and tests) whitenoise serves straight from the source folders; production serves the
# hashed, compressed copies that collectstatic writes to STATIC_ROOT.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or BASE_DIR / "media")
# The address people reach the app at, for links in the mail it sends ("Your export is ready").
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Export files made in the background: a storage of their own, outside MEDIA_ROOT, so no web server
# configuration can ever serve them; the app hands them to the staff member who asked (jobs.views).
# EXPORT_STORAGE=s3 keeps them in S3-compatible object storage (django-storages) instead: set
# EXPORT_S3_BUCKET, and EXPORT_S3_ENDPOINT_URL for a provider other than AWS; credentials come from
# boto3's usual sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role).
if env.str("EXPORT_STORAGE", default="file") == "s3":
    STORAGES["exports"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("EXPORT_S3_BUCKET"),
            "endpoint_url": env.str("EXPORT_S3_ENDPOINT_URL", default="") or None,
            "location": "exports",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
else:
    STORAGES["exports"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": Path(env.str("EXPORT_ROOT", default="") or BASE_DIR / "private" / "exports")},
    }
# Ticket attachments and the mail kept as "Unprocessed mail": private like exports, handed out by the app to
# those allowed to see them (tickets.selectors).
STORAGES["attachments"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": Path(env.str("ATTACHMENT_ROOT", default="") or BASE_DIR / "private" / "attachments")},
}
# An export of more contacts than this is prepared in the background (and mailed); up to it, it streams at
# once. A 20,000-row file streams in about two seconds here, far inside any proxy's timeout.
EXPORT_BACKGROUND_THRESHOLD = env.int("EXPORT_BACKGROUND_THRESHOLD", default=20_000)
# Export files are removed this many days after they were made.
EXPORT_FILE_DAYS = env.int("EXPORT_FILE_DAYS", default=7)
# A label or delete over more contacts than this runs as a job instead of inside the request.
BULK_JOB_THRESHOLD = env.int("BULK_JOB_THRESHOLD", default=5_000)

# Background work: django-tasks with its database backend (no extra server; `manage.py worker` runs it).
# TASKS_BACKEND=rq with REDIS_URL moves the queue to Redis (django-tasks-rq) to run workers on many machines.
if env.str("TASKS_BACKEND", default="database") == "rq":
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": env_url("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 6 * 3600}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running job writes its progress every few seconds; one silent this long lost its worker and is taken up
# again, at most JOBS_MAX_ATTEMPTS times in all.
JOBS_STALE_SECONDS = env.int("JOBS_STALE_SECONDS", default=120)
JOBS_MAX_ATTEMPTS = env.int("JOBS_MAX_ATTEMPTS", default=3)
# A mail the server refused for now is tried again after each of these pauses (seconds), then failed.
OUTBOX_RETRY_SECONDS = [60, 300, 1800, 7200]
OUTBOX_MESSAGE_ID_DOMAIN = env.str("OUTBOX_MESSAGE_ID_DOMAIN", default="contacts-crm.localhost")
# The engine's own record of a finished task is removed after this many days (a daily chore).
TASK_RESULTS_DAYS = env.int("TASK_RESULTS_DAYS", default=30)
# The worker looks for due chores (Trash purge, expired exports, stopped jobs) this often.
CHORES_TICK_SECONDS = env.int("CHORES_TICK_SECONDS", default=60)

# The helpdesk. Mail for tickets arrives on `manage.py receive_email` (piped by the mail system) or the
# Mailgun inbound webhook; replies and portal sign-in links go out from HELPDESK_EMAIL.
HELPDESK_EMAIL = env.str("HELPDESK_EMAIL", default="") or DEFAULT_FROM_EMAIL
# A received mail larger than this is kept whole as Unprocessed mail instead of becoming a ticket message.
TICKET_MAIL_MAX_BYTES = env.int("TICKET_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# One file attached in the Customer Portal or to a staff reply may be this large.
TICKET_UPLOAD_MAX_BYTES = env.int("TICKET_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# Mailgun signs each inbound post with this key (its "HTTP webhook signing key"); unset, the webhook answers 404.
MAILGUN_WEBHOOK_SIGNING_KEY = env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default="")
# Customer Portal sign-in links are valid this many minutes, once; asking for one is limited per email and
# per client address within the window (seconds). Links point at the address the customer asked from unless
# PORTAL_URL (https://help.example.com) is set.
PORTAL_SIGNIN_MINUTES = 15
PORTAL_SIGNIN_LIMIT_PER_EMAIL = env.int("PORTAL_SIGNIN_LIMIT_PER_EMAIL", default=3)
PORTAL_SIGNIN_LIMIT_PER_CLIENT = env.int("PORTAL_SIGNIN_LIMIT_PER_CLIENT", default=10)
PORTAL_SIGNIN_WINDOW = 15 * 60
PORTAL_URL = env.str("PORTAL_URL", default="").rstrip("/")

# Contact import: the largest CSV file taken (the upload streams to a temporary file, so memory stays low),
# and the number of rows from which the person gets an email when the import ends.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAIL_ROWS = env.int("IMPORT_MAIL_ROWS", default=1000)
# Uploaded files are deleted this many days after upload (a daily chore); the import log keeps the results.
IMPORT_FILE_DAYS = env.int("IMPORT_FILE_DAYS", default=7)

# Deleted contacts stay in the Trash this many days; then `manage.py purge_trash` deletes them for good.
TRASH_DAYS = env.int("TRASH_DAYS", default=30)
# The shop signs each order webhook with this secret (HMAC-SHA256 of the raw body).
SHOP_WEBHOOK_SECRET = env.str("SHOP_WEBHOOK_SECRET", default="")
# `make run` signs development webhooks with this published secret (Makefile); it must never guard production.
DEV_SHOP_WEBHOOK_SECRET = "development-shop-webhook-secret"
if not DEBUG and SHOP_WEBHOOK_SECRET == DEV_SHOP_WEBHOOK_SECRET:
    raise ImproperlyConfigured("SHOP_WEBHOOK_SECRET is the published development secret; set a random one.")
# Connected shops. Shopify signs each webhook with the app's client secret (base64 HMAC-SHA256 of the raw
# body) and names its shop; only the shops listed here are accepted. WooCommerce signs with the secret set on
# the webhook. An empty secret refuses that shop's deliveries with 503, as for the order webhook above.
SHOPIFY_WEBHOOK_SECRET = env.str("SHOPIFY_WEBHOOK_SECRET", default="")
SHOPIFY_SHOP_DOMAINS = [domain.strip().lower() for domain in env.list("SHOPIFY_SHOP_DOMAINS", default=[]) if domain]
for _domain in SHOPIFY_SHOP_DOMAINS:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.myshopify\.com", _domain):
        raise ImproperlyConfigured(f"SHOPIFY_SHOP_DOMAINS: {_domain!r} is not a shop's *.myshopify.com name.")
WOOCOMMERCE_WEBHOOK_SECRET = env.str("WOOCOMMERCE_WEBHOOK_SECRET", default="")
# The WooCommerce order export writes dates in the shop's time zone without an offset; they are read in this.
WOOCOMMERCE_TIME_ZONE = env.str("WOOCOMMERCE_TIME_ZONE", default="") or TIME_ZONE
# Deliveries are remembered by id this many days (a daily chore forgets older ones); shops retry for less.
SHOP_DELIVERY_DAYS = env.int("SHOP_DELIVERY_DAYS", default=30)
# The public contact form accepts this many messages per client address within the window (in seconds),
# counted in the cache; beyond that it answers 429 until the window ends.
CONTACT_FORM_RATE_LIMIT = env.int("CONTACT_FORM_RATE_LIMIT", default=5)
CONTACT_FORM_RATE_WINDOW = env.int("CONTACT_FORM_RATE_WINDOW", default=10 * 60)
# The client address (crm_core.client) of the login throttle and the contact form is REMOTE_ADDR.
# Behind a proxy that is the proxy's own address, so every visitor would share one allowance: name the header
# the proxy sets (e.g. X-Real-IP), and make sure the proxy overwrites it, since a client can send any header
# it likes. For a list (X-Forwarded-For) the last address is used, the one the proxy appended. The
# variable's old name, from when only the contact form used it, is still read.
CLIENT_ADDRESS_HEADER = (
    env.str("CLIENT_ADDRESS_HEADER", default="") or env.str("CONTACT_FORM_CLIENT_ADDRESS_HEADER", default="")
).strip()
# Phone numbers typed without a country code are read as numbers of this region.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="GB").upper()
# The shop sells in one currency; totals per contact are kept in it.
SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="EUR").upper()

# Security headers. X-Frame-Options, nosniff and the referrer policy apply in development too, so tests
# see the same headers as production.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# 1,000 is Django's default; "select all N matching" sends the filter, not ids, so this never needs raising.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
