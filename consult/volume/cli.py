"""`flask --app app seed-volume --cases N [--seed S]` (SPEC §9). Prints what it made,
never client data."""
from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext

from consult.extensions import db


@click.command("seed-volume")
@click.option("--cases", required=True, type=int,
              help="How many consultation requests to make (at least 1).")
@click.option("--seed", default=1, show_default=True, type=int,
              help="The same seed makes the same data (on the same day).")
@with_appcontext
def seed_volume_command(cases: int, seed: int) -> None:
    """Realistic bulk data: a region's organisations, teams and people, and N requests
    over the last three years in every state, with their meetings, bookings, protocols
    and follow-ups."""
    from consult.cli import refuse_in_production
    from consult.volume import seed_volume

    refuse_in_production("seed-volume")
    if cases < 1:
        raise click.BadParameter(f"must be at least 1, not {cases}.", param_hint="'--cases'")
    started = time.perf_counter()
    try:
        summary = seed_volume(cases, seed)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"Volume data in place ({summary.prefix}…, region Pirkanmaa), "
               f"{cases} requests in {time.perf_counter() - started:.1f} s.")
    click.echo("Rows written:")
    for table, count in sorted(summary.rows.items()):
        click.echo(f"  {table:<24} {count:>9}")
    click.echo("Requests by state:")
    for state, count in sorted(summary.states.items()):
        click.echo(f"  {state:<24} {count:>9}")
    click.echo(f"Logins (password for all: {summary.password}):")
    for role, email in summary.logins:
        click.echo(f"  {email:<48} {role}")


def register(app: Flask) -> None:
    app.cli.add_command(seed_volume_command)
