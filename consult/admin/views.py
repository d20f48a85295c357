"""Administration: organisations, teams and users. Admins never see case content."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.access import deployment_wide, load_or_404, roles_required
from consult.accounts import notices, second_factor
from consult.accounts import services as accounts
from consult.accounts.models import User, UserRole
from consult.audit import services as audit
from consult.consultations import services as consultations
from consult.extensions import db
from consult.forms import choices
from consult.forms.admin import (
    ConfirmForm,
    OrganisationForm,
    PasswordResetForm,
    TeamForm,
    TeamMemberForm,
    UserCreateForm,
    UserForm,
    organisation_kind_labels,
    role_labels,
)
from consult.forms.consultations import HandoverForm
from consult.organisations import services as organisations
from consult.organisations.models import Organisation, Team, TeamMembership

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = roles_required("admin")


def _recorded(action: str, obj, purpose: str, detail: str = "") -> None:
    """Administration is audited like any change: who changed which account,
    organisation or team, and (in `detail`) what, never a password."""
    audit.record(action, object_type=obj.__tablename__, object_id=obj.id, purpose=purpose,
                 detail=detail)


def _roles_detail(user: User) -> str:
    return "roles=" + ",".join(sorted(user.roles)) + f" organisation={user.organisation_id}"


def _person(user: User) -> str:
    return f"{user.name} ({user.organisation.name})"


def _organisation_choices():
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name))
    return choices((o.id, o.name) for o in orgs)


@bp.context_processor
def labels():
    return {"kind_labels": organisation_kind_labels(), "role_labels": role_labels()}


@bp.route("/")
@admin_only
def index():
    return render_template("admin/index.html")


# Organisations ---------------------------------------------------------------

@bp.route("/organisations")
@admin_only
def organisations_list():
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/organisations.html", organisations=orgs)


@bp.route("/organisations/new", methods=["GET", "POST"])
@admin_only
def organisation_new():
    form = OrganisationForm()
    if form.validate_on_submit():
        org = organisations.create_organisation(
            name=form.name.data, kind=form.kind.data, region=form.region.data)
        org.requires_second_factor = form.requires_second_factor.data
        db.session.flush()
        _recorded("create", org, "administration",
                  f"requires_second_factor={org.requires_second_factor}")
        db.session.commit()
        flash(_("Organisation %(name)s created.", name=org.name), "success")
        return redirect(url_for("admin.organisations_list"))
    return render_template("admin/organisation_form.html", form=form, organisation=None), \
        (422 if form.errors else 200)


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@admin_only
def organisation_edit(org_id: int):
    org = load_or_404(Organisation, org_id, deployment_wide)
    form = OrganisationForm(obj=org, editing=org)
    if form.validate_on_submit():
        organisations.update_organisation(org, name=form.name.data, kind=form.kind.data,
                                          region=form.region.data)
        org.requires_second_factor = form.requires_second_factor.data
        second_factor.log_out_those_who_now_must(
            db.session.scalars(select(User).where(User.organisation_id == org.id)))
        _recorded("update", org, "administration",
                  f"requires_second_factor={org.requires_second_factor}")
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.organisations_list"))
    return render_template("admin/organisation_form.html", form=form, organisation=org), \
        (422 if form.errors else 200)


# Teams -----------------------------------------------------------------------

@bp.route("/teams")
@admin_only
def teams_list():
    teams = db.session.scalars(
        select(Team).options(selectinload(Team.host_organisation)).order_by(Team.name)
    ).all()
    return render_template("admin/teams.html", teams=teams)


def _team_form(team: Team | None) -> TeamForm:
    form = TeamForm(obj=team, editing=team)
    form.host_organisation_id.choices = _organisation_choices()
    physicians = db.session.scalars(
        select(User).where(User.role_rows.any(role="physician"), User.is_active_account)
        .order_by(User.name)
    ).all()
    form.physician_id.choices = choices(
        [(0, _("No team physician"))] + [(u.id, _person(u)) for u in physicians])
    if team is not None and request.method == "GET":
        form.physician_id.data = team.physician_id or 0
    return form


def _team_values(form: TeamForm) -> dict:
    return {
        "name": form.name.data,
        "region": form.region.data,
        "meeting_weekday": form.meeting_weekday.data,
        "meeting_time": form.meeting_time.data,
        "meeting_minutes": form.meeting_minutes.data,
        "minutes_per_case": form.minutes_per_case.data,
        "meeting_location": form.meeting_location.data or "",
        "meeting_video_link": form.meeting_video_link.data or "",
    }


@bp.route("/teams/new", methods=["GET", "POST"])
@admin_only
def team_new():
    form = _team_form(None)
    if form.validate_on_submit():
        values = _team_values(form)
        host = db.session.get(Organisation, form.host_organisation_id.data)
        team = organisations.create_team(name=values.pop("name"), host=host,
                                         region=values.pop("region"), **values)
        organisations.set_physician(team, db.session.get(User, form.physician_id.data or 0))
        _recorded("create", team, "administration")
        db.session.commit()
        flash(_("Team %(name)s created. Add its coordinators and members next.", name=team.name),
              "success")
        return redirect(url_for("admin.team_edit", team_id=team.id))
    return render_template("admin/team_form.html", form=form, team=None), \
        (422 if form.errors else 200)


def _member_form(team: Team) -> TeamMemberForm:
    form = TeamMemberForm()
    people = db.session.scalars(
        select(User).where(User.is_active_account,
                           User.role_rows.any(UserRole.role.in_(("coordinator", "member"))))
        .order_by(User.name)
    ).all()
    form.user_id.choices = choices((u.id, _person(u)) for u in people)
    return form


def _render_team(team: Team, form: TeamForm, member_form: TeamMemberForm, status: int = 200):
    return render_template("admin/team_form.html", form=form, team=team,
                           member_form=member_form, confirm_form=ConfirmForm()), status


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_only
def team_edit(team_id: int):
    team = load_or_404(Team, team_id, deployment_wide)
    form = _team_form(team)
    if form.validate_on_submit():
        organisations.update_team(
            team, host=db.session.get(Organisation, form.host_organisation_id.data),
            physician=db.session.get(User, form.physician_id.data or 0), **_team_values(form))
        _recorded("update", team, "administration", f"physician={team.physician_id or ''}")
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.team_edit", team_id=team.id))
    return _render_team(team, form, _member_form(team), 422 if form.errors else 200)


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@admin_only
def team_member_add(team_id: int):
    team = load_or_404(Team, team_id, deployment_wide)
    member_form = _member_form(team)
    if member_form.validate_on_submit():
        user = db.session.get(User, member_form.user_id.data)
        if user is not None and user.has_role(member_form.role.data):
            organisations.add_member(team, user, member_form.role.data)
            _recorded("update", team, "administration",
                      f"added user={user.id} as {member_form.role.data}")
            db.session.commit()
            flash(_("%(name)s added to the team.", name=user.name), "success")
            return redirect(url_for("admin.team_edit", team_id=team.id))
        member_form.role.errors.append(_("The person does not have this role. Give it on the user's page first."))
    return _render_team(team, _team_form(team), member_form, 422)


def _membership_of(team: Team):
    return lambda _user, membership: membership.team_id == team.id


@bp.route("/teams/<int:team_id>/members/<int:membership_id>/remove", methods=["POST"])
@admin_only
def team_member_remove(team_id: int, membership_id: int):
    team = load_or_404(Team, team_id, deployment_wide)
    membership = load_or_404(TeamMembership, membership_id, _membership_of(team))
    if ConfirmForm().validate_on_submit():
        name = membership.user.name
        _recorded("update", team, "administration",
                  f"removed user={membership.user_id} as {membership.role}")
        organisations.remove_member(team, membership)
        db.session.commit()
        flash(_("%(name)s removed from the team.", name=name), "success")
    return redirect(url_for("admin.team_edit", team_id=team.id))


# Users -----------------------------------------------------------------------

@bp.route("/users")
@admin_only
def users_list():
    users = db.session.scalars(
        select(User).options(selectinload(User.role_rows)).order_by(User.name)
    ).all()
    return render_template("admin/users.html", users=users)


def _user_form(form_class, user: User | None):
    form = form_class(obj=user, editing=user)
    form.organisation_id.choices = _organisation_choices()
    if user is not None and request.method == "GET":
        form.roles.data = sorted(user.roles)
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def user_new():
    form = _user_form(UserCreateForm, None)
    if form.validate_on_submit():
        user = accounts.create_user(
            email=form.email.data, name=form.name.data,
            organisation=db.session.get(Organisation, form.organisation_id.data),
            roles=form.roles.data, password=form.password.data, language=form.language.data)
        _recorded("create", user, "administration", _roles_detail(user))
        db.session.commit()
        flash(_("User %(name)s created.", name=user.name), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None), \
        (422 if form.errors else 200)


def _render_user(user: User, form: UserForm, reset_form: PasswordResetForm, status=200):
    return render_template("admin/user_form.html", form=form, user=user,
                           reset_form=reset_form, confirm_form=ConfirmForm()), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def user_edit(user_id: int):
    user = load_or_404(User, user_id, deployment_wide)
    form = _user_form(UserForm, user)
    if form.validate_on_submit():
        accounts.update_user(
            user, email=form.email.data, name=form.name.data,
            organisation=db.session.get(Organisation, form.organisation_id.data),
            roles=form.roles.data, language=form.language.data)
        second_factor.log_out_those_who_now_must([user])
        _recorded("update", user, "administration", _roles_detail(user))
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, form, PasswordResetForm(user=user), 422 if form.errors else 200)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_only
def user_password(user_id: int):
    user = load_or_404(User, user_id, deployment_wide)
    reset_form = PasswordResetForm(user=user)
    if reset_form.validate_on_submit():
        accounts.set_password(user, reset_form.password.data)
        _recorded("update", user, "password_set_by_admin")
        notices.tell(user, "password_set_by_admin")
        db.session.commit()
        flash(_("Password set. Every session of %(name)s has ended.", name=user.name), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, _user_form(UserForm, user), reset_form, 422)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_only
def user_deactivate(user_id: int):
    user = load_or_404(User, user_id, deployment_wide)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate yourself."), "error")
        else:
            accounts.deactivate(user)
            _recorded("update", user, "administration", "deactivated")
            db.session.commit()
            flash(_("%(name)s deactivated; their sessions have ended.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/second-factor/reset", methods=["POST"])
@admin_only
def user_second_factor_reset(user_id: int):
    """For a user who lost both the authenticator app and the recovery codes."""
    user = load_or_404(User, user_id, deployment_wide)
    if ConfirmForm().validate_on_submit():
        try:
            second_factor.reset_by_admin(user, current_user)
        except second_factor.SecondFactorError:
            db.session.rollback()
            flash(_("Only another administrator can remove your second factor, and only "
                    "when it is on."), "error")
        else:
            db.session.commit()
            flash(_("The second factor of %(name)s was removed; their sessions have ended "
                    "and they were told by e-mail.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@admin_only
def user_activate(user_id: int):
    user = load_or_404(User, user_id, deployment_wide)
    if ConfirmForm().validate_on_submit():
        accounts.reactivate(user)
        _recorded("update", user, "administration", "reactivated")
        db.session.commit()
        flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/cases", methods=["GET", "POST"])
@admin_only
def user_cases(user_id: int):
    """Hand every open case of a referrer to another referrer of the same
    organisation. The administrator sees how many cases, never what they are."""
    user = load_or_404(User, user_id, deployment_wide)
    open_count = len(consultations.open_cases_of(user))
    form = HandoverForm()
    colleagues = db.session.scalars(select(User).where(
        User.organisation_id == user.organisation_id, User.id != user.id,
        User.is_active_account, User.role_rows.any(UserRole.role == "referrer"))
        .order_by(User.name)).all()
    form.referrer_id.choices = choices((u.id, u.name) for u in colleagues)
    if open_count and form.validate_on_submit():
        try:
            moved = consultations.hand_over_all(
                user, db.session.get(User, form.referrer_id.data), by=current_user)
        except consultations.TransitionRefused as refused:
            form.referrer_id.errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(_("%(count)s cases handed over.", count=moved), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_cases.html", user=user, form=form,
                           open_count=open_count), (422 if form.errors else 200)

