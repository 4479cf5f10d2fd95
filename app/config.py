"""Configuration read from the environment.

`AULA_ENV` chooses the profile: `production` (the default, so a forgotten variable never
weakens a live server), `development` (what `make run` sets) or `testing`.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A required setting is missing or wrong; the message says which."""


PRODUCTION_SETUP_ERROR = (
    "SECRET_KEY must be set in production (for example: "
    "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be above zero")
    return number


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    items = [part.strip().lower() for part in value.split(",") if part.strip()]
    known = {"pdf", "office", "images", "zip"}
    if not items or set(items) - known:
        raise ConfigError(f"{name} lists file kinds among {', '.join(sorted(known))}")
    return items


def _dev_secret_key(instance_path: Path) -> str:
    """Generate the development secret once and keep it in the instance folder."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_config(instance_path: str) -> dict:
    """Build the settings dictionary for the profile named by AULA_ENV."""
    env = os.environ.get("AULA_ENV", "production").strip().lower()
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"AULA_ENV must be production, development or testing, not {env!r}")
    instance = Path(instance_path)
    production = env == "production"
    session_lifetime = timedelta(hours=_env_int("SESSION_LIFETIME_HOURS", 14 * 24))

    secret_key = os.environ.get("SECRET_KEY") or None
    if not secret_key:
        if not production:
            secret_key = _dev_secret_key(instance)
        elif click.get_current_context(silent=True) is None:
            # Serving (gunicorn imports wsgi.py): refuse to start without the secret.
            raise ConfigError(PRODUCTION_SETUP_ERROR)
        # else a `flask ...` command in production: migrations and account administration
        # need no secret; create_app() makes any request served this way fail loudly.

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'aula.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we install.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    redis_url = os.environ.get("REDIS_URL") or None
    smtp_host = os.environ.get("SMTP_HOST") or None

    return {
        "AULA_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server may drop a pooled connection (a restart, a proxy's idle timeout): each is
        # tried before use. A SQLite file never drops one, and the try is a statement of its
        # own on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "REDIS_URL": redis_url,
        "BASE_URL": (os.environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        # Mail: without SMTP_HOST, mail goes to the log and the development outbox.
        "SMTP_HOST": smtp_host,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _env_bool("SMTP_STARTTLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Aula <no-reply@aula.invalid>"),
        # Development: each kept mail's subject and links are printed on the console.
        "MAIL_TO_CONSOLE": env == "development",
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "__Host-aula" if production else "aula",
        # A signed-in session ends after this long unused (idle) or this long after signing
        # in (lifetime), whichever comes first; shorter for tutors and administrators.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 3 * 24 * 60)),
        "SESSION_LIFETIME": session_lifetime,
        # The cookie lives as long as the longest session from signing in, and is sent again
        # only when what it holds changes: the session's row keeps the idle and absolute
        # limits, so signing the same cookie anew on every answer bought nothing.
        "PERMANENT_SESSION_LIFETIME": session_lifetime,
        "SESSION_REFRESH_EACH_REQUEST": False,
        "STAFF_SESSION_IDLE_TIMEOUT": timedelta(
            minutes=_env_int("STAFF_SESSION_IDLE_MINUTES", 2 * 60)
        ),
        "STAFF_SESSION_LIFETIME": timedelta(hours=_env_int("STAFF_SESSION_LIFETIME_HOURS", 12)),
        # Tutors and administrators must set up a second factor (an authenticator app or a
        # passkey) before they use the platform. Off by default for development (`make run`'s
        # demo accounts) and tests, which switch it on where they test it.
        "STAFF_SECOND_FACTOR_REQUIRED": _env_bool("STAFF_SECOND_FACTOR_REQUIRED", production),
        # The security log (sign-ins, password and role changes, sessions ended) is kept this
        # many days; `flask users clean-up` removes older lines and ended sessions.
        "SECURITY_LOG_DAYS": _env_int("SECURITY_LOG_DAYS", 365),
        # Accounts registered but never confirmed go after this many days (daily clean-up).
        "UNCONFIRMED_ACCOUNT_DAYS": _env_int("UNCONFIRMED_ACCOUNT_DAYS", 30),
        "HSTS": production,
        # Forms
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_PARTS": 200,
        # Text answers and static files are compressed for clients that accept it
        # (Flask-Compress): pages travel at a third of their size. Files people download
        # (PDFs, pictures, archives) are already compressed and are left as they are.
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/csv",
            "text/plain",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/ld+json",
            "application/atom+xml",
            "application/xml",
            "image/svg+xml",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 512,
        # Rate limits (Flask-Limiter); shared through Redis when it is configured.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down: count in this process's memory meanwhile, never fail the request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        "RATELIMIT_ENABLED": _env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Languages
        "LANGUAGES": ("es", "pt", "en"),
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "PASSWORD_HASH_PROFILE": "cheapest" if env == "testing" else "default",
        "PASSWORD_RESET_MAX_AGE": 3600,
        "EMAIL_CONFIRM_MAX_AGE": 7 * 24 * 3600,
        "INVITATION_MAX_AGE": 14 * 24 * 3600,
        # Capstone uploads: which kinds (pdf, office, images, zip) and how large.
        "CAPSTONE_FILE_TYPES": _env_list("CAPSTONE_FILE_TYPES", ["pdf", "office", "images", "zip"]),
        "CAPSTONE_MAX_FILE_BYTES": _env_int("CAPSTONE_MAX_FILE_MB", 20) * 1024 * 1024,
        "CAPSTONE_MAX_SUBMISSION_BYTES": _env_int("CAPSTONE_MAX_SUBMISSION_MB", 50) * 1024 * 1024,
        # A ZIP is listed before it is accepted: at most this many files, unpacked size.
        "ARCHIVE_MAX_ENTRIES": _env_int("ARCHIVE_MAX_ENTRIES", 500),
        "ARCHIVE_MAX_BYTES": _env_int("ARCHIVE_MAX_MB", 100) * 1024 * 1024,
        # Discussions: posts (threads, replies, questions, reports) per account, and files.
        "DISCUSSION_POST_RATE_LIMIT": os.environ.get(
            "DISCUSSION_POST_RATE_LIMIT", "6 per minute;60 per hour"
        ),
        "DISCUSSION_MAX_FILE_BYTES": _env_int("DISCUSSION_MAX_FILE_MB", 5) * 1024 * 1024,
        # The schedule (app/core/schedule.py) runs in the web process when no worker does.
        "SCHEDULE_IN_PROCESS": _env_bool("SCHEDULE_IN_PROCESS", not redis_url and env != "testing"),
        # Background jobs (app/core/jobs.py): RQ on Redis when REDIS_URL is set, else a small
        # pool in the web process; tests run them inline.
        "JOBS_BACKEND": _jobs_backend(env, redis_url),
        "JOBS_QUEUE": os.environ.get("JOBS_QUEUE") or "aula",
        "JOBS_POOL_SIZE": _env_int("JOBS_POOL_SIZE", 2),
        # A worker holds a task this long; then (it died) another worker may take it over.
        "JOBS_LEASE_SECONDS": _env_int("JOBS_LEASE_SECONDS", 300),
        # Each worker hands over tasks waiting in the database this often (and at start).
        "JOBS_DISPATCH_SECONDS": _env_int("JOBS_DISPATCH_SECONDS", 60),
        "JOBS_ATTEMPTS": _env_int("JOBS_ATTEMPTS", 5),
        # Certificates: designs, issuer printed on them, and each render's time limit.
        "CERTIFICATE_DESIGNS": os.environ.get("CERTIFICATE_DESIGNS") or str(ROOT / "certificates"),
        "CERTIFICATE_ISSUER": os.environ.get("CERTIFICATE_ISSUER") or "Aula",
        "CERTIFICATE_ISSUER_LOGO": os.environ.get("CERTIFICATE_ISSUER_LOGO") or "",
        "CERTIFICATE_RENDER_SECONDS": _env_int("CERTIFICATE_RENDER_SECONDS", 30),
        "CERTIFICATE_RENDER_ATTEMPTS": _env_int("CERTIFICATE_RENDER_ATTEMPTS", 3),
        # Credentials: the keyring (public keys listed, private keys as files unless given in
        # CREDENTIAL_SIGNING_KEY / CREDENTIAL_PDF_KEY); see app/certificates/credentials/keys.py.
        "CREDENTIAL_KEYS_DIR": os.environ.get("CREDENTIAL_KEYS_DIR")
        or str(instance / "credential-keys"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT") or "30 per minute;300 per hour",
    }


def _jobs_backend(env: str, redis_url: str | None) -> str:
    default = "inline" if env == "testing" else ("rq" if redis_url else "pool")
    backend = (os.environ.get("JOBS_BACKEND") or default).strip().lower()
    if backend not in {"rq", "pool", "inline"}:
        raise ConfigError(f"JOBS_BACKEND must be rq, pool or inline, not {backend!r}")
    if backend == "rq" and not redis_url:
        raise ConfigError("JOBS_BACKEND=rq needs REDIS_URL")
    return backend
