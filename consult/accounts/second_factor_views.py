"""The second factor's pages: the second step of logging in (and the set-up that a user
who must use a second factor does before their first login with it), and turning it
on and off on the profile page.

The two login pages answer users who are not logged in yet: they work only while the
signed session remembers a right password from a moment ago, and send everyone else
back to the password step."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import login_only
from consult.accounts import second_factor as sf
from consult.accounts import sessions
from consult.accounts.views import safe_next
from consult.audit import services as audit
from consult.extensions import db
from consult.forms.accounts import LanguageForm, PasswordChangeForm
from consult.forms.second_factor import (
    EnrolForm,
    LoginCodeForm,
    RecoveryCodesForm,
    TurnOffForm,
)

bp = Blueprint("second_factor", __name__)


def _wrong_code() -> str:
    return _("The code is wrong or has already been used.")


def _back_to_password(message: str | None = None):
    next_url = (sf.pending() or {}).get("next") or None
    sf.forget_pending()
    if message:
        flash(message, "error")
    return redirect(url_for("accounts.login", next=next_url))


def _setup_page(user, form, *, during_login: bool, status: int = 200):
    secret = sf.enrolment_secret(user)
    uri = sf.provisioning_uri(user, secret)
    return render_template(
        "accounts/second_factor_setup.html", form=form, during_login=during_login,
        secret=sf.grouped(secret), uri=uri, qr=sf.qr_data_uri(uri), email=user.email,
        action=url_for("second_factor.login_setup" if during_login else "second_factor.enrol"),
    ), status


def _recovery_codes_page(codes: list[str], continue_url: str, *, first: bool):
    return render_template("accounts/recovery_codes.html",
                           codes=[sf.format_recovery_code(c) for c in codes],
                           continue_url=continue_url, first=first)


# The second step of logging in ----------------------------------------------------------

@bp.route("/login/second-factor", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("home.my_work"))
    user = sf.pending_user()
    if user is None:
        return _back_to_password(
            _("Logging in took too long. Log in again.") if sf.pending() else None)
    if not sf.is_on(user):
        return redirect(url_for("second_factor.login_setup"))
    form = LoginCodeForm()
    error = None
    status = 200
    if form.validate_on_submit():
        result = sf.check_login_code(user, form.code.data, request.remote_addr)
        if result.kind:
            next_url = sf.pending().get("next")
            sessions.start(user)
            db.session.commit()
            if result.kind == "recovery":
                left = sf.recovery_codes_left(user)
                flash(_("You logged in with a recovery code; it no longer works. Recovery "
                        "codes left: %(n)s. You can make new ones on your profile page.",
                        n=left), "info")
            return redirect(safe_next(next_url) or url_for("home.my_work"))
        db.session.commit()  # the failure counts in every worker
        if result.throttled:
            status = 429
            error = _("Too many failed attempts. Try again in 15 minutes.")
        else:
            if sf.count_pending_failure() >= sf.MAX_CODE_FAILURES:
                return _back_to_password(_("Too many wrong codes. Log in again."))
            status = 422
            form.code.errors.append(_wrong_code())
        form.code.data = ""
    elif request.method == "POST":
        status = 422
    return render_template("accounts/second_factor_login.html", form=form,
                           error=error), status


@bp.route("/login/second-factor/setup", methods=["GET", "POST"])
def login_setup():
    """A user who must use a second factor and has none sets it up before the login
    completes."""
    if current_user.is_authenticated:
        return redirect(url_for("home.my_work"))
    user = sf.pending_user(setup=True)
    if user is None:
        return _back_to_password(
            _("Logging in took too long. Log in again.") if sf.pending() else None)
    if sf.is_on(user):
        return redirect(url_for("second_factor.login_code"))
    if not sf.must_use(user):
        return _back_to_password()
    form = EnrolForm()
    if form.validate_on_submit():
        codes = sf.enable(user, sf.enrolment_secret(user), form.code.data)
        if codes:
            next_url = sf.pending().get("next")
            sessions.start(user)  # also forgets the pending login and the set-up secret
            db.session.commit()
            return _recovery_codes_page(codes, safe_next(next_url) or url_for("home.my_work"),
                                        first=True)
        form.code.errors.append(_wrong_code())
        form.code.data = ""
    return _setup_page(user, form, during_login=True, status=422 if form.errors else 200)


# On the profile page ---------------------------------------------------------------------

def _panel(**forms) -> SimpleNamespace:
    """What the profile's second factor section shows; forms given by a view that
    re-renders the page with errors take the place of empty ones."""
    user = current_user._get_current_object()
    on = sf.is_on(user)
    return SimpleNamespace(
        on=on, enabled_at=user.totp_enabled_at, must_use=sf.must_use(user),
        is_admin=user.has_role("admin"),
        codes_left=sf.recovery_codes_left(user) if on else 0,
        recovery_form=forms.get("recovery_form") or RecoveryCodesForm(
            formdata=None, prefix="recovery"),
        turn_off_form=forms.get("turn_off_form") or TurnOffForm(formdata=None, prefix="off"),
    )


@bp.app_context_processor
def second_factor_panel():
    # A function, so that only the profile page (which calls it) pays for the query.
    return {"second_factor_panel": _panel}


def _profile(status: int, **forms):
    return render_template(
        "accounts/profile.html",
        language_form=LanguageForm(formdata=None, language=current_user.language),
        password_form=PasswordChangeForm(formdata=None, user=current_user),
        **forms,
    ), status


@bp.route("/profile/second-factor", methods=["GET", "POST"])
@login_only
def enrol():
    user = current_user._get_current_object()
    if sf.is_on(user):
        flash(_("The second factor is already on."), "info")
        return redirect(url_for("accounts.profile"))
    form = EnrolForm()
    if request.method == "POST":
        secret = sf.stored_enrolment_secret(user)
        if secret is None:
            flash(_("The set-up had expired. Add the new key to your app and try again."),
                  "error")
            return redirect(url_for("second_factor.enrol"), 303)
        if form.validate_on_submit():
            codes = sf.enable(user, secret, form.code.data)
            if codes:
                sf.forget_enrolment()
                db.session.commit()
                flash(_("The second factor is on. From now on you log in with a code "
                        "from your app."), "success")
                return _recovery_codes_page(codes, url_for("accounts.profile"), first=True)
            form.code.errors.append(_wrong_code())
            form.code.data = ""
    return _setup_page(user, form, during_login=False, status=422 if form.errors else 200)


@bp.route("/profile/second-factor/recovery-codes", methods=["POST"])
@login_only
def recovery_codes():
    user = current_user._get_current_object()
    if not sf.is_on(user):
        return redirect(url_for("accounts.profile"), 303)
    form = RecoveryCodesForm(prefix="recovery")
    if form.validate_on_submit():
        try:
            codes = sf.regenerate_recovery_codes(user, form.code.data, request.remote_addr)
        except sf.Throttled:
            form.code.errors.append(_("Too many failed attempts. Try again in 15 minutes."))
            form.code.data = ""
            return _profile(429, recovery_form=form)
        db.session.commit()  # a wrong code's audit event and failed attempt too
        if codes:
            return _recovery_codes_page(codes, url_for("accounts.profile"), first=False)
        form.code.errors.append(_wrong_code())
        form.code.data = ""
    return _profile(422, recovery_form=form)


@bp.route("/profile/second-factor/off", methods=["POST"])
@login_only
def turn_off():
    user = current_user._get_current_object()
    form = TurnOffForm(prefix="off")
    if sf.must_use(user):
        db.session.rollback()
        audit.record("update", object_type="user", object_id=user.id,
                     purpose="second_factor_off", outcome="denied", detail="must use")
        db.session.commit()
        return _profile(403)
    if form.validate_on_submit():
        try:
            done = sf.turn_off(user, form.password.data, form.code.data, request.remote_addr)
        except sf.Throttled:
            form.code.errors.append(_("Too many failed attempts. Try again in 15 minutes."))
            form.code.data = ""
            return _profile(429, turn_off_form=form)
        if done:
            db.session.commit()
            flash(_("The second factor is off. You log in with your password only."),
                  "success")
            return redirect(url_for("accounts.profile"), 303)
        db.session.commit()  # the refusal's audit event
        form.code.errors.append(_("The password or the code is wrong."))
        form.code.data = ""
    return _profile(422, turn_off_form=form)
