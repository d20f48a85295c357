"""Configuration defaults. Secrets never live here: they come from instance/config.py
or the environment (SPEC §9)."""
from __future__ import annotations

import os
from datetime import timedelta

ENVIRONMENTS = ("production", "development", "testing")
ENV_KEYS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "SMTP_CA_FILE",
    "MAIL_FROM",
    "BASE_URL",
    "TRUSTED_PROXIES",
)
# Values that mean "nobody set a secret" and must never run in production.
PLACEHOLDER_SECRETS = {"", "dev", "change-me", "changeme", "secret", "development"}


class Defaults:
    CONSULT_ENV = "production"
    DEBUG = False
    TESTING = False
    SECRET_KEY = ""
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True
    # No form is near this; larger request bodies answer 413 before anything reads them.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    LANGUAGES = ("fi", "sv", "en")
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    # The "continue" warning appears this long before the idle timeout.
    SESSION_WARNING_BEFORE = timedelta(minutes=3)
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    LOGIN_THROTTLE_MAX_FAILURES = 5
    PASSWORD_RESET_VALID = timedelta(minutes=30)
    PASSWORD_RESET_MAX_PER_HOUR = 3
    PASSWORD_RESET_MAX_PER_ADDRESS = 10  # links asked from one address within an hour
    PASSWORD_MIN_LENGTH = 12
    # werkzeug's scrypt (N=2**15, r=8, p=1). The tests lower the cost, never production.
    PASSWORD_HASH_METHOD = "scrypt"
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    MAIL_FROM = "consult@localhost"
    ACCESSIBILITY_FEEDBACK_TO = "accessibility@localhost"  # the statement's feedback address (Act 306/2019)
    # STARTTLS before logging in (port 587 usually); SMTPS is not supported. The
    # server's certificate is checked against the system's CAs, or SMTP_CA_FILE's. The
    # worker never logs in (SMTP_USER) without TLS.
    SMTP_STARTTLS = False
    SMTP_CA_FILE = ""
    SMTP_TIMEOUT = 30
    # The outbox worker: a failed message is tried again after 1, 2, 4 … minutes (at
    # most an hour apart) and is dead after this many attempts; a claim that is this
    # old belongs to a worker that died, and the message is tried again.
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_CLAIM_TIMEOUT = timedelta(minutes=10)
    OUTBOX_POLL_SECONDS = 10
    # Several changes to one event within this time send one invite.
    INVITE_DEBOUNCE = timedelta(seconds=60)
    # A reminder alarm this many minutes before each event (0: none).
    INVITE_ALARM_MINUTES = 15
    # The daily reminder e-mails (follow-ups and action items due) go out after this
    # hour, Helsinki time.
    REMINDER_HOUR = 7
    BASE_URL = "http://127.0.0.1:5000"
    SECURE_COOKIES = True
    OUTBOX_PAGE = False
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto. 0 trusts
    # none: behind a proxy set it, or every user shares the proxy's address (and its
    # login throttle).
    TRUSTED_PROXIES = 0
    # Retention (`purge-expired`). A case closed (closed, resolved at consultation,
    # declined, withdrawn) longer than this is deleted with everything that is its own.
    # Five years is a placeholder, not legal advice: these are social and health care
    # client records, and the minimum that the client data act (703/2023) and the
    # controller's own retention plan set for them must be checked by each region,
    # which then sets its value in instance/config.py.
    CASE_RETENTION_DAYS = 1826
    # Failed logins, spent reset links and revoked calendar feeds are deleted by
    # purge-expired after this many days (sessions as soon as they are dead).
    HOUSEKEEPING_DAYS = 90
    # Audit events are the log data of social and health care client records, kept 12
    # years (4383 days). The database itself refuses to delete younger ones (migration
    # 0013), so this may be longer, never shorter: the app refuses to start otherwise.
    AUDIT_RETENTION_DAYS = 4383


def environment() -> str:
    env = os.environ.get("CONSULT_ENV", "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(
            f"CONSULT_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}"
        )
    return env


def from_environment() -> dict:
    values: dict = {}
    for key in ENV_KEYS:
        if key in os.environ:
            values[key] = os.environ[key]
    for key in ("SMTP_PORT", "TRUSTED_PROXIES"):
        if key in values:
            values[key] = int(values[key])
    if "SMTP_STARTTLS" in values:
        values["SMTP_STARTTLS"] = values["SMTP_STARTTLS"].strip().lower() in ("1", "true", "yes")
    return values


def database_uri(url: str, instance_path: str) -> str:
    """SQLAlchemy URI from DATABASE_URL; SQLite in instance/ when it is unset."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "consult.sqlite")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def check_production(config) -> None:
    """Production refuses to start with DEBUG on or without a real secret."""
    if config["CONSULT_ENV"] != "production":
        return
    if config.get("DEBUG"):
        raise RuntimeError("Refusing to start: DEBUG is on in production.")
    if not config.get("WTF_CSRF_ENABLED") or not config.get("SECURE_COOKIES"):
        raise RuntimeError("Refusing to start: CSRF protection and secure cookies cannot be "
                           "turned off in production.")
    if config.get("OUTBOX_PAGE"):
        raise RuntimeError("Refusing to start: OUTBOX_PAGE (e-mail shown on a page without a "
                           "login) is for development only.")
    secret = str(config.get("SECRET_KEY") or "")
    if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 32:
        raise RuntimeError(
            "Refusing to start: set SECRET_KEY (at least 32 random characters) "
            "in the environment or instance/config.py."
        )
