"""Public pages: health check and the accessibility statement with its feedback form."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, text

from consult.extensions import db
from consult.forms.feedback import AccessibilityFeedbackForm
from consult.i18n import current_language
from consult.outbox import services as outbox
from consult.outbox.models import OutboxMessage
from consult.timeutil import utcnow

bp = Blueprint("pages", __name__)

# A brake on a flood, not a quota: past this many in an hour the form asks the sender
# to use the e-mail address shown beside it (which is always there).
FEEDBACK_PER_HOUR = 30


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}, 200


def _feedback_flood() -> bool:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "feedback", OutboxMessage.created_at >= since)) >= FEEDBACK_PER_HOUR


@bp.route("/accessibility", methods=["GET", "POST"])
def accessibility():
    """The statement (Act 306/2019), and its feedback channel: a form whose message is
    e-mailed, through the outbox, to the feedback address only. No login: anyone who
    meets a barrier, also on the login page, must be able to say so."""
    form = AccessibilityFeedbackForm()
    recipient = current_app.config["ACCESSIBILITY_FEEDBACK_TO"]
    if form.validate_on_submit():
        if _feedback_flood():
            form.message.errors.append(_(
                "Too much feedback has arrived in the last hour. Please try again later, or "
                "send your feedback by e-mail to %(address)s.", address=recipient))
        else:
            outbox.enqueue_rendered(
                "accessibility_feedback", kind="feedback", recipient=recipient,
                language="fi", context={
                    "name": form.name.data or "", "email": form.email.data or "",
                    "message": form.message.data, "page_language": current_language(),
                    "sent_at": utcnow()})
            db.session.commit()
            flash(_("Thank you for your feedback. It has been sent to the service provider."
                    ), "success")
            return redirect(url_for("pages.accessibility"), 303)
    status = 422 if form.errors else 200
    return render_template("pages/accessibility.html", form=form,
                           feedback_email=recipient), status
