"""Password reset by e-mail (SPEC §5): asking for a link, and setting a new password
with it. Both pages are public: whoever forgot their password is not logged in.

The token is in the reset page's URL and is never logged; the app's headers already
keep the page out of caches (`Cache-Control: no-store`) and its URL out of other
sites' Referer (`Referrer-Policy: same-origin`)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.accounts import reset, sessions
from consult.accounts.models import User
from consult.accounts.services import AccountError
from consult.extensions import db
from consult.forms.password_reset import ForgotPasswordForm, ResetPasswordForm

bp = Blueprint("password", __name__, url_prefix="/password")


def _valid_minutes() -> int:
    return int(current_app.config["PASSWORD_RESET_VALID"].total_seconds() // 60)


def _link_does_not_work():
    """Unknown, malformed, expired and used links alike: one friendly page."""
    return render_template("accounts/reset_password.html", form=None,
                           minutes=_valid_minutes()), 404


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Logged-in users may use it too: it only ever writes to the address's owner."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        reset.request_reset(form.email.data, request.remote_addr)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If the address belongs to an active account, we have sent a link for "
                "setting a new password. The link is valid for %(minutes)s minutes.",
                minutes=_valid_minutes()), "success")
        return redirect(url_for("password.forgot"), 303)
    status = 422 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"], endpoint="reset")
def reset_password(token: str):
    found = reset.find_valid(token)
    if found is None:
        return _link_does_not_work()
    form = ResetPasswordForm(user=db.session.get(User, found.user_id))
    if form.validate_on_submit():
        try:
            user = reset.complete_reset(found, form.new_password.data)
        except AccountError as error:
            db.session.rollback()
            form.new_password.errors.append(str(error))
        else:
            if user is None:  # another request used the link a moment ago
                db.session.rollback()
                return _link_does_not_work()
            if current_user.is_authenticated:
                # Whoever was logged in here is logged out too: the next step is
                # logging in with the new password.
                sessions.end_current()
            db.session.commit()
            flash(_("Your password has been changed. Log in with the new password."),
                  "success")
            return redirect(url_for("accounts.login"), 303)
    status = 422 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form), status
