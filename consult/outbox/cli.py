"""`flask --app app outbox run | send-due | remind` (SPEC §9): the outbox worker loop,
one sending pass, and the daily reminder pass on its own."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from consult.outbox import reminders, worker

outbox_cli = AppGroup("outbox", help="Send the e-mail waiting in the outbox.")


@outbox_cli.command("run")
@click.option("--poll", "poll_seconds", type=click.FloatRange(0.1, 3600), default=None,
              help="Seconds between passes (default OUTBOX_POLL_SECONDS).")
def run_command(poll_seconds: float | None) -> None:
    """The worker: the daily reminders, then every due message, again and again."""
    click.echo("Outbox worker started; Ctrl-C or SIGTERM stops it.")
    try:
        worker.run(poll_seconds=poll_seconds, remind=reminders.run_daily)
    except worker.SmtpNotConfigured as problem:
        raise click.ClickException(str(problem)) from None
    except KeyboardInterrupt:
        pass
    click.echo("Outbox worker stopped.")


@outbox_cli.command("send-due")
def send_due_command() -> None:
    """One pass: the daily reminders if their time has come, then every due message."""
    try:
        reminded = reminders.run_daily()
        result = worker.send_due()
    except worker.SmtpNotConfigured as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"Reminders queued: {reminded}. Sent: {result.sent}. Failed, to be tried "
               f"again: {result.failed - result.dead}. Given up: {result.dead}.")


@outbox_cli.command("remind")
def remind_command() -> None:
    """Queue today's reminders now (once a day; a second run queues nothing)."""
    click.echo(f"Reminders queued: {reminders.run_daily()}.")


def register(app: Flask) -> None:
    app.cli.add_command(outbox_cli)
