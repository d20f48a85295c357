"""Command line (`flask --app app …`, SPEC §9). Scriptable: a clear message and a
non-zero exit on bad input. Never prints client data."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from consult.accounts import services as accounts
from consult.accounts.models import ROLES, User
from consult.extensions import db
from consult.organisations import services as organisations
from consult.organisations.models import ORGANISATION_KINDS, Organisation, Team

users_cli = AppGroup("users", help="Create and list users.")
orgs_cli = AppGroup("orgs", help="Create and list organisations.")
teams_cli = AppGroup("teams", help="Create and list teams.")


def fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema by running the migrations; fill the
    indicators' counts if an upgrade has just added them to a database with cases."""
    from flask_migrate import upgrade

    from consult.indicators import ledger

    upgrade()
    if ledger.missing():
        ledger.rebuild()
        db.session.commit()
        click.echo("The indicators' counts were computed from the cases.")
    click.echo("Database is up to date.")


def refuse_in_production(command: str) -> None:
    """Commands that make logins with published passwords are for development."""
    from flask import current_app

    if current_app.config["CONSULT_ENV"] == "production":
        raise click.ClickException(
            f"{command} makes logins whose passwords are published: it does not run when "
            "CONSULT_ENV is production. Use a development or testing copy.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo world (idempotent) and print the demo logins."""
    from consult.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_TOTP_SECRET, DEMO_PASSWORD, seed

    refuse_in_production("seed-demo")
    people = seed()
    db.session.commit()
    click.echo("Demo data is in place. Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for email, roles in people:
        click.echo(f"  {email:<40} {', '.join(roles)}")
    click.echo(f"{DEMO_ADMIN_EMAIL} second factor: secret {DEMO_ADMIN_TOTP_SECRET} "
               "(add it to an authenticator app; development only)")


@click.command("pause-uncovered")
def pause_uncovered() -> None:
    """Pause open cases whose consent has expired (run daily, e.g. from cron)."""
    from consult.consultations.services import refresh_all_pauses

    changed = refresh_all_pauses()
    db.session.commit()
    click.echo(f"Cases paused or resumed: {changed}.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--org", "org_name", required=True, help="Organisation name or id.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(ROLES), help="Repeat for several roles.")
@click.option("--team", "team_name", help="Join this team according to the roles given.")
@click.option("--language", default="fi", type=click.Choice(["fi", "sv", "en"]))
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from the first line of standard input.")
def users_create(email, name, org_name, roles, team_name, language, password_stdin) -> None:
    org = accounts.find_organisation(org_name)
    if org is None:
        fail(f"Unknown organisation: {org_name}")
    team = None
    if team_name:
        team = organisations.find_team(team_name)
        if team is None:
            fail(f"Unknown team: {team_name}")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(email=email, name=name, organisation=org, roles=roles,
                                    password=password, language=language)
        if team is not None:
            organisations.join_by_roles(team, user)
    except (accounts.AccountError, organisations.OrganisationError) as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created user {user.email} ({', '.join(sorted(user.roles))}).")


@users_cli.command("list")
def users_list() -> None:
    for user in db.session.scalars(select(User).order_by(User.name)):
        state = "" if user.is_active_account else "  [deactivated]"
        click.echo(f"{user.name}\t{user.email}\t{user.organisation.name}\t"
                   f"{','.join(sorted(user.roles))}{state}")


@orgs_cli.command("create")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(ORGANISATION_KINDS))
@click.option("--region", required=True)
def orgs_create(name, kind, region) -> None:
    try:
        org = organisations.create_organisation(name=name, kind=kind, region=region)
    except organisations.OrganisationError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created organisation {org.name} (id {org.id}).")


@orgs_cli.command("list")
def orgs_list() -> None:
    for org in db.session.scalars(select(Organisation).order_by(Organisation.name)):
        click.echo(f"{org.id}\t{org.name}\t{org.kind}\t{org.region}")


@teams_cli.command("create")
@click.option("--name", required=True)
@click.option("--org", "org_name", required=True, help="Host organisation name or id.")
@click.option("--region", help="Defaults to the host organisation's region.")
def teams_create(name, org_name, region) -> None:
    host = accounts.find_organisation(org_name)
    if host is None:
        fail(f"Unknown organisation: {org_name}")
    try:
        team = organisations.create_team(name=name, host=host, region=region)
    except organisations.OrganisationError as error:
        fail(str(error))
    db.session.commit()
    click.echo(f"Created team {team.name} (id {team.id}).")


@teams_cli.command("list")
def teams_list() -> None:
    for team in db.session.scalars(select(Team).order_by(Team.name)):
        people = len(team.memberships) + (1 if team.physician_id else 0)
        click.echo(f"{team.id}\t{team.name}\t{team.host_organisation.name}\t{team.region}\t"
                   f"{people} people")


def register_cli(app: Flask) -> None:
    from consult import backup, retention
    from consult.indicators import cli as indicators_cli
    from consult.outbox import cli as outbox_cli
    from consult.scheduling import cli as scheduling_cli
    from consult.volume import cli as volume_cli

    for command in (init_db, seed_demo, pause_uncovered, users_cli, orgs_cli, teams_cli):
        app.cli.add_command(command)
    scheduling_cli.register(app)
    outbox_cli.register(app)
    volume_cli.register(app)
    indicators_cli.register(app)
    retention.init_app(app)  # also the audit trail's append-only guard
    backup.register(app)
