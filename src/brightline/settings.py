"""Django settings, read from the environment through the typed helpers in ``brightline.env``.

Defaults are for one person trying Brightline on a laptop: SQLite under ``var/``,
in-process background jobs, DEBUG off. Production sets ``DATABASE_URL=postgres://…``,
``SECRET_KEY`` (or ``SECRET_KEY_FILE``), ``ALLOWED_HOSTS`` and ``BRIGHTLINE_JOBS=celery``.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from brightline.env import audit_key, env_bool, env_int, env_list, env_str, parse_database_url, secret_key

PACKAGE_DIR = Path(__file__).resolve().parent
# Where Brightline keeps its state (SQLite file, generated secret key, collected static files).
HOME = Path(env_str("BRIGHTLINE_HOME", str(Path.cwd()))).resolve()

SECRET_KEY = secret_key(HOME)
# Signs the audit chains' checkpoints. Kept outside the database, like SECRET_KEY (docs/audit.md).
AUDIT_KEY = audit_key(HOME)
# An audit checkpoint is written every this many entries of each chain.
AUDIT_CHECKPOINT_EVERY = 100
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "brightline",
    "brightline.audit",
    "brightline.people",
    "brightline.policy",
    "brightline.jobs",
    "brightline.evidence",
    "brightline.goals",
    "brightline.feedback",
    "brightline.insights",
    "brightline.reviews",
    "brightline.support",
    "brightline.promotions",
    "brightline.rollups",
    "brightline.fairness",
    "brightline.governance",
    "brightline.operations",
    "brightline.dashboards",
    "brightline.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "brightline.security.RequestSizeLimitMiddleware",
    "brightline.security.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "brightline.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "brightline.people.middleware.PersonMiddleware",
    "brightline.dashboards.middleware.LoginRequiredMiddleware",
    "brightline.people.sso.SsoSessionCheck",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its process_exception sees a view's error first: a full database answers 503, not 500.
    "brightline.storagefull.StorageFullMiddleware",
    # A view that needs a slow rollup not computed yet: queue it, say the figures are coming (never a hang).
    "brightline.rollups.middleware.RollupPendingMiddleware",
]

ROOT_URLCONF = "brightline.urls"
WSGI_APPLICATION = "brightline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "brightline.dashboards.context.navigation",
                "brightline.notifications.context.unread_notices",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "sqlite:///var/brightline.sqlite3")
DATABASES = {"default": parse_database_url(DATABASE_URL, home=HOME).as_django()}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# Login throttling (brightline.people.login): this many wrong passwords for one username from one address
# within LOGIN_LOCKOUT_MINUTES lock that username out from that address for LOGIN_LOCKOUT_MINUTES.
BRIGHTLINE_LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 10, minimum=1)
BRIGHTLINE_LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the package folders too, so `brightline runserver` works before collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # Served over HTTPS behind a reverse proxy that sets X-Forwarded-Proto (and strips it from clients):
    # browsers are told to use HTTPS only (HSTS) for HSTS_SECONDS, one year by default.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Request sizes. Form and JSON bodies (files excluded) may hold at most 2.5 MB and 1,000 fields; files above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file. No request may exceed MAX_REQUEST_MB, and a CSV
# upload (fairness audits, data imports) at most MAX_CSV_UPLOAD_MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
BRIGHTLINE_MAX_REQUEST_BYTES = env_int("MAX_REQUEST_MB", 10, minimum=1) * 1024 * 1024
BRIGHTLINE_MAX_CSV_UPLOAD_BYTES = env_int("MAX_CSV_UPLOAD_MB", 8, minimum=1) * 1024 * 1024

# The tone check's first stage: "static" (default) or "contextual" (the fine-tuned MiniLM layers; opt-in, used
# only when the contextual model is installed; see docs/models.md for what it gains and costs). Checked here so
# a misspelt value stops the start-up with a sentence instead of failing a feedback form later.
BRIGHTLINE_TONE_FIRST_STAGE = env_str("BRIGHTLINE_TONE_FIRST_STAGE", "static").strip().lower() or "static"
if BRIGHTLINE_TONE_FIRST_STAGE not in ("static", "contextual"):
    raise ImproperlyConfigured("BRIGHTLINE_TONE_FIRST_STAGE must be static or contextual, "
                               f"not {BRIGHTLINE_TONE_FIRST_STAGE!r}")

# Background work: "inline" runs jobs in-process; "celery" sends them to workers through Redis.
BRIGHTLINE_JOBS = env_str("BRIGHTLINE_JOBS", "inline")
CELERY_BROKER_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# A job's message is acknowledged only when the job has finished, so a worker that dies mid-job (even
# SIGKILL, or a lost machine) leaves it to be redelivered: at once when a pool child dies, and after the
# visibility timeout when the whole worker is gone. Every job is idempotent or resumable, so a second
# delivery finishes the work instead of doubling it. The timeout must exceed the longest job, or a job
# still running would be delivered to a second worker as well.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
BRIGHTLINE_JOB_VISIBILITY_TIMEOUT = env_int("BRIGHTLINE_JOB_VISIBILITY_TIMEOUT", 6 * 3600, minimum=1)
# A page that finds a slow rollup missing computes it on the spot only in an organisation of at most this many
# people (a second or two); in a larger one it queues the computation and says the figures are coming.
BRIGHTLINE_ROLLUPS_IN_REQUEST_PEOPLE = env_int("ROLLUPS_IN_REQUEST_PEOPLE", 300, minimum=0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BRIGHTLINE_JOB_VISIBILITY_TIMEOUT,
    # Look for abandoned messages every few seconds (one small Redis query), not every 100 s.
    "unacked_restore_interval": max(1, min(10, BRIGHTLINE_JOB_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work (brightline.jobs.schedules) that the operator has switched off, by schedule name.
BRIGHTLINE_SCHEDULES_OFF = frozenset(env_list("BRIGHTLINE_SCHEDULES_OFF", []))

# The smallest group any aggregate may show unless a people partner raises it in the policy.
BRIGHTLINE_MIN_COHORT_FLOOR = env_int("BRIGHTLINE_MIN_COHORT_FLOOR", 3, minimum=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    # A refused request (403/404) is the product working, not an incident worth a traceback.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Mail: invitations and password resets. The console backend prints messages; production sets SMTP.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "brightline@localhost")
# Where people reach Brightline; links in e-mails start with it. Unset, an invitation sent from a page starts with
# the address its sender is using (a host ALLOWED_HOSTS accepts), and everything else with http://localhost:8000,
# which `brightline people invite` warns about.
BRIGHTLINE_BASE_URL_CONFIGURED = bool(env_str("BRIGHTLINE_BASE_URL", "").strip())
BRIGHTLINE_BASE_URL = env_str("BRIGHTLINE_BASE_URL", "").strip() or "http://localhost:8000"

# Single sign-on through OpenID Connect (docs/accounts.md), on when OIDC_ISSUER and OIDC_CLIENT_ID are set.
# The provider's endpoints are read from its discovery document ({issuer}/.well-known/openid-configuration).
BRIGHTLINE_SSO_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
BRIGHTLINE_SSO_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your organisation's sign-in")
# Off, the login page offers only single sign-on and refuses passwords (the admin site included).
BRIGHTLINE_LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
# A claim holding the HRIS employee id: when set, first sign-ins are matched by it instead of the e-mail.
BRIGHTLINE_SSO_EMPLOYEE_ID_CLAIM = env_str("OIDC_EMPLOYEE_ID_CLAIM", "")
# Identity-provider groups that give an access role, "admin=bl-admins,people_partner=hr,leader=directors";
# when set, every sign-in sets the person's role from their groups (the highest wins, none: employee).
BRIGHTLINE_SSO_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
BRIGHTLINE_SSO_ROLE_GROUPS = env_list("OIDC_ROLE_GROUPS", [])
AUTHENTICATION_BACKENDS = ["brightline.people.sso.SsoBackend"] + (
    ["django.contrib.auth.backends.ModelBackend"] if BRIGHTLINE_LOCAL_PASSWORDS else [])
# mozilla-django-oidc's settings, from the values above.
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # for signing out at the provider too
OIDC_CREATE_USER = False  # people come from the HRIS (or SCIM); sign-in never invents one
OIDC_TIMEOUT = 10
# A single-sign-on session goes back through the provider (silently) after this many seconds.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env_int("OIDC_SESSION_CHECK_SECONDS", 15 * 60, minimum=60)
OIDC_TOKEN_USE_BASIC_AUTH = True  # client_secret_basic, what providers accept by default
OIDC_CALLBACK_CLASS = "brightline.people.sso.SsoCallbackView"
OIDC_AUTHENTICATE_CLASS = "brightline.people.sso.SsoStartView"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sso/refused/"
