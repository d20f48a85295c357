"""Login, logout, the user's own profile and the session keep-alive."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.access import login_only
from consult.accounts import notices, second_factor, services, sessions
from consult.accounts.passwords import verify_password
from consult.audit import services as audit
from consult.extensions import db
from consult.forms import choices
from consult.forms.accounts import EndSessionsForm, LanguageForm, LoginForm, PasswordChangeForm
from consult.i18n import LANG_COOKIE, fmt_datetime

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home.my_work"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            user = result.user
            chosen = request.cookies.get(LANG_COOKIE)
            if chosen in ("fi", "sv", "en") and chosen != user.language:
                services.set_language(user, chosen)
            if second_factor.needed_at_login(user):
                # Not logged in yet: the code (or setting one up) comes first.
                second_factor.remember_password_ok(user, safe_next(request.args.get("next")))
                db.session.commit()
                step = "login_code" if second_factor.is_on(user) else "login_setup"
                return redirect(url_for(f"second_factor.{step}"))
            sessions.start(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("home.my_work"))
        db.session.commit()  # the failed attempt counts in every worker
        status = 429 if result.throttled else 200
        error = (
            _("Too many failed attempts. Try again in 15 minutes.")
            if result.throttled
            else _("The e-mail address or password is wrong.")
        )
        form.password.data = ""
    elif request.method == "POST":
        status = 422

    return render_template("accounts/login.html", form=form, error=error,
                           expired=g.get("session_ended", False)), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":
        sessions.end_current()
        db.session.commit()
        flash(_("You have logged out."), "success")
        return redirect(url_for("accounts.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout.html")


@bp.route("/session/continue", methods=["POST"])
@login_only
def continue_session():
    sessions.touch()
    db.session.commit()
    if request.headers.get("HX-Request"):
        return "", 204
    return redirect(safe_next(request.form.get("next")) or url_for("home.my_work"))


@bp.route("/profile")
@login_only
def profile():
    return render_template(
        "accounts/profile.html",
        language_form=LanguageForm(language=current_user.language),
        password_form=PasswordChangeForm(user=current_user),
    )


def _session_label(row) -> str:
    return _("Started %(started)s, last active %(seen)s, from %(address)s",
             started=fmt_datetime(row.created_at), seen=fmt_datetime(row.last_seen_at),
             address=row.remote_addr or "?")


@bp.app_template_global()
def sessions_section(form=None) -> dict:
    """The profile's sessions: this browser's, and the others with a form to end them."""
    current = sessions.current_row()
    others = [row for row in sessions.live_sessions_of(current_user)
              if current is None or row.id != current.id]
    form = form or EndSessionsForm(formdata=None, prefix="sessions")
    form.chosen.choices = choices((row.id, _session_label(row)) for row in others)
    return {"current": current, "others": others, "form": form}


@bp.route("/profile/sessions/end", methods=["POST"])
@login_only
def end_sessions():
    """End the user's other sessions (another device, a browser left open), behind the
    password, which counts in the login throttle when wrong."""
    user = current_user._get_current_object()
    form = EndSessionsForm(prefix="sessions")
    form.chosen.choices = choices((row.id, "") for row in sessions.live_sessions_of(user))
    if form.validate_on_submit():
        if services.throttled(user, request.remote_addr):
            form.password.errors.append(_("Too many failed attempts. Try again in 15 minutes."))
        elif not verify_password(user.password_hash, form.password.data):
            services.count_failure(user, request.remote_addr)
            db.session.commit()
            form.password.errors.append(_("The password is wrong."))
        else:
            ended = sessions.end_others(user, form.chosen.data)
            db.session.commit()
            flash(ngettext("%(num)s session ended.", "%(num)s sessions ended.", ended),
                  "success")
            return redirect(url_for("accounts.profile", _anchor="sessions"), 303)
    return render_template("accounts/profile.html",
                           language_form=LanguageForm(formdata=None, language=current_user.language),
                           password_form=PasswordChangeForm(formdata=None, user=current_user),
                           sessions_form=form), 422


@bp.route("/profile/language", methods=["POST"])
@login_only
def change_language():
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_language(current_user, form.language.data)
        db.session.commit()

        g.lang_choice = form.language.data
        flash(_("Language changed."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", language_form=form,
                           password_form=PasswordChangeForm(user=current_user)), 422


@bp.route("/profile/password", methods=["POST"])
@login_only
def change_password():
    form = PasswordChangeForm(user=current_user)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
            audit.record("update", object_type="user", object_id=current_user.id,
                         purpose="password_change", outcome="denied",
                         detail="wrong current password")
            db.session.commit()
        else:
            user = current_user._get_current_object()
            services.set_password(user, form.new_password.data)
            audit.record("update", object_type="user", object_id=user.id,
                         purpose="password_change")
            notices.tell(user, "password_changed")
            sessions.start(user)  # this browser stays in; every other session ended
            db.session.commit()
            flash(_("Password changed. You were logged out everywhere else."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html",
                           language_form=LanguageForm(language=current_user.language),
                           password_form=form), 422
