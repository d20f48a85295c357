"""`flask --app app indicators rebuild`: every fact and count the indicators keep,
computed again from the tables (after loading data around the application, e.g. with
SQL of one's own; `seed-volume` and `purge-expired` keep them themselves)."""
from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from consult.extensions import db

indicators_cli = AppGroup("indicators", help="The counts behind the indicators page.")


@indicators_cli.command("rebuild")
def rebuild_command() -> None:
    """Compute every kept fact and count again from the tables."""
    from consult.indicators import ledger

    started = time.perf_counter()
    facts = ledger.rebuild()
    db.session.commit()
    click.echo(f"Indicators rebuilt: {facts} facts in {time.perf_counter() - started:.1f} s.")


def register(app: Flask) -> None:
    app.cli.add_command(indicators_cli)
