"""consult: consultations for multi-professional work ability support teams."""
from __future__ import annotations

import os
import secrets

from flask import Flask, request
from flask_login import current_user

from consult import config as config_module
from consult.extensions import babel, csrf, db, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    _configure(app, overrides or {})

    from consult import models  # noqa: F401  (every table registered)

    db.init_app(app)
    _tune_sqlite(app)
    from consult.indicators import ledger

    ledger.init_app(app)  # the indicators' counts follow every committed change
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    _init_login(app)

    from consult import assets, i18n, navigation, security

    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories="translations")
    i18n.init_app(app)
    navigation.init_app(app)
    assets.init_app(app)
    security.set_security_headers(app)
    security.register_error_pages(app)
    from consult.query import DatabaseId

    app.url_map.converters["int"] = DatabaseId
    _register_blueprints(app)
    _register_template_helpers(app)

    from consult.cli import register_cli

    register_cli(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app


def _configure(app: Flask, overrides: dict) -> None:
    env = overrides.get("CONSULT_ENV") or config_module.environment()
    app.config.from_object(config_module.Defaults)
    app.config["CONSULT_ENV"] = env
    if env == "development":
        app.config["SECURE_COOKIES"] = False
        app.config["OUTBOX_PAGE"] = True
    if env == "testing":
        app.config["TESTING"] = True
        app.config["SECURE_COOKIES"] = False
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.from_environment())
    app.config.update(overrides)
    if env == "development" and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret(app.instance_path)
    config_module.check_production(app.config)

    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_uri(
        app.config.get("DATABASE_URL", ""), app.instance_path
    )
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    engine_options.setdefault("hide_parameters", True)  # values never reach logs
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    secure = app.config["SECURE_COOKIES"]
    app.config.update(
        SESSION_COOKIE_NAME="__Host-consult_session" if secure else "consult_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=app.config["SESSION_ABSOLUTE_TIMEOUT"],
        # The cookie is sent only when the session changes: otherwise a response to a
        # request made at the same moment (an autosave while the form is being saved)
        # could put back the cookie as it was before, and with it lose a flash message.
        # The lifetime is absolute anyway; the idle timeout is the server's.
        SESSION_REFRESH_EACH_REQUEST=False,
        # The plain names of static files are revalidated on each use (Flask's default):
        # the pages link the hashed names, cached for a year (consult/assets.py).
        SEND_FILE_MAX_AGE_DEFAULT=None,
    )


def _tune_sqlite(app: Flask) -> None:
    """SQLite: foreign keys on; WAL so that readers never block the one writer, and a
    busy timeout so that concurrent writers (several gunicorn workers) wait, not fail."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _development_secret(instance_path: str) -> str:
    """A random secret kept in instance/ so that development logins survive restarts."""
    path = os.path.join(instance_path, "dev-secret-key")
    if not os.path.exists(path):
        with open(path, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def _init_login(app: Flask) -> None:
    from consult.accounts import sessions

    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side rows instead
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None

    @login_manager.request_loader
    def load_user(_request):
        row = sessions.current_row()
        return row.user if row is not None else None

    @app.before_request
    def load_user_first():
        # Resolve the session before the view starts its own transaction.
        if request.endpoint != "static":
            current_user._get_current_object()


def _register_blueprints(app: Flask) -> None:
    from consult.accounts.reset_views import bp as password_bp
    from consult.accounts.second_factor_views import bp as second_factor_bp
    from consult.accounts.views import bp as accounts_bp
    from consult.admin.views import bp as admin_bp
    from consult.audit.views import bp as audit_bp
    from consult.catalogue.views import bp as catalogue_bp
    from consult.clients.views import bp as clients_bp
    from consult.consents.views import bp as consents_bp
    from consult.consultations.views import bp as consultations_bp
    from consult.consultations.inboxes import physician_bp, teams_bp
    from consult.home.views import bp as home_bp
    from consult.indicators.views import bp as indicators_bp
    from consult.invites.views import bp as invites_bp
    from consult.meetings import agenda_views, run_views  # noqa: F401  (routes on meetings_bp)
    from consult.meetings.views import bp as meetings_bp
    from consult.notifications.views import bp as notifications_bp
    from consult.outbox.views import bp as outbox_bp
    from consult.pages.views import bp as pages_bp
    from consult.followups.views import bp as followups_bp
    from consult.protocols import case_views  # noqa: F401  (routes on protocols_bp)
    from consult.protocols.action_views import bp as actions_bp
    from consult.protocols import print_views  # noqa: F401  (routes on protocols_bp)
    from consult.protocols.views import bp as protocols_bp
    from consult.scheduling.booking_views import bp as booking_bp
    from consult.scheduling.views import bp as availability_bp

    for blueprint in (accounts_bp, home_bp, clients_bp, consents_bp, consultations_bp, audit_bp,
                      teams_bp, physician_bp, availability_bp, booking_bp, meetings_bp,
                      notifications_bp, admin_bp, catalogue_bp, pages_bp, protocols_bp,
                      actions_bp, followups_bp, password_bp, invites_bp, outbox_bp,
                      indicators_bp, second_factor_bp):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from consult.accounts import sessions
    from consult.timeutil import today

    app.jinja_env.globals["today"] = today  # Helsinki's date, e.g. for what is overdue

    @app.context_processor
    def session_timing():
        if not current_user.is_authenticated:
            return {}
        row = sessions.current_row()
        if row is None:
            return {}
        warn = app.config["SESSION_WARNING_BEFORE"].total_seconds()
        return {"session_seconds_left": sessions.seconds_left(row),
                "session_warn_seconds": int(warn)}
