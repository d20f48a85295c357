"""Notifications (`/notifications`): the user's own, newest first; marking them read.
The page names requests by number only, never the client."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from consult.access import login_only
from consult.extensions import db
from consult.forms.admin import ConfirmForm
from consult.notifications import services
from consult.notifications.labels import notification_labels
from consult.query import page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 50


def unread_notifications() -> int:
    """The current user's unread count: one statement per request, and only when a
    page asks (the header does for logged-in users)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = services.unread_count(current_user)
        except SQLAlchemyError:
            # The header of an error page must render even when the database is what failed.
            return 0
    return g.unread_notifications


@bp.app_context_processor
def notification_helpers():
    return {"unread_notifications": unread_notifications}


@bp.route("", endpoint="list")
@login_only
def notifications_list():
    page = db.paginate(services.notifications_of(current_user),
                       page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("notifications/list.html", page=page,
                           kind_labels=notification_labels())


@bp.route("/read", methods=["POST"])
@login_only
def mark_all_read():
    form = ConfirmForm()
    if form.validate_on_submit():
        services.mark_all_read(current_user)
        db.session.commit()
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.list"), 303)
