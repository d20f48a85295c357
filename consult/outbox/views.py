"""The outbox for admins (`/admin/outbox`: what waits, what failed for good, sending
again) and, in development, every message on a page instead of sent (`/dev/outbox`)."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from consult.access import deployment_wide, load_or_404, roles_required
from consult.extensions import db
from consult.forms.admin import ConfirmForm
from consult.outbox import review
from consult.outbox.models import OutboxMessage
from consult.query import page_arg
from consult.timeutil import utcnow

bp = Blueprint("outbox", __name__)
admin_only = roles_required("admin")
PER_PAGE = 50


def state_labels():
    return {"pending": _l("Waiting"), "sending": _l("Being sent"), "sent": _l("Sent"),
            "dead": _l("Failed for good"), "superseded": _l("Replaced by a later version")}


def kind_labels():
    return {"notification": _l("Notification"), "invite": _l("Calendar invite"),
            "reset": _l("Password reset"), "reminder": _l("Reminder"),
            "feedback": _l("Accessibility feedback"), "security": _l("Account security")}


@bp.context_processor
def labels():
    return {"state_labels": state_labels(), "kind_labels": kind_labels()}


@bp.route("/admin/outbox", endpoint="admin")
@admin_only
def admin_page():
    now = utcnow()
    summary = review.summary(now)
    age = summary.oldest_pending_age(now)
    dead = db.paginate(review.dead_messages(), page=page_arg(),
                       per_page=PER_PAGE, error_out=False)
    return render_template(
        "outbox/admin.html", summary=summary, dead=dead,
        overdue=review.overdue_messages(now) if summary.overdue else [],
        oldest_pending_age=format_timedelta(age, threshold=1) if age is not None else None,
        overdue_minutes=int(review.OVERDUE_AFTER.total_seconds() // 60))


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"], endpoint="retry")
@admin_only
def retry(message_id: int):
    message = load_or_404(OutboxMessage, message_id, deployment_wide)
    if ConfirmForm().validate_on_submit():
        try:
            review.send_again(message)
        except review.RetryRefused:
            flash(_("Only a message that failed for good can be sent again. "
                    "This one is waiting, on its way, sent or replaced."), "error")
        else:
            db.session.commit()
            flash(_("The message to %(recipient)s is back in the queue and will be sent shortly.",
                    recipient=message.recipient), "success")
    return redirect(url_for("outbox.admin"), 303)


@bp.route("/dev/outbox", endpoint="development")
def development_page():
    # No login: a developer reads the password-reset e-mail of someone logged out. The
    # page exists only where e-mail is not sent (development).
    if not current_app.config["OUTBOX_PAGE"]:
        abort(404)
    recipient = request.args.get("to", "").strip()
    return render_template("outbox/development.html", recipient=recipient,
                           messages=review.newest_messages(recipient),
                           shown=review.DEVELOPMENT_SHOWN)
