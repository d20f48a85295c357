"""Public pages: health check and the accessibility statement."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import text

from consult.extensions import db

bp = Blueprint("pages", __name__)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.route("/accessibility")
def accessibility():
    return render_template(
        "pages/accessibility.html",
        feedback_email=current_app.config.get("ACCESSIBILITY_FEEDBACK_EMAIL")
        or current_app.config["MAIL_FROM"],
    )
