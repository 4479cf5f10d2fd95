"""`flask privacy ...`: a person's data for the operator, when that person cannot sign in.

The web pages give each person their own data only; no administrator page shows or deletes
another person's. Someone who has lost access to their email and password, though, may ask
the centre by another channel (the notice says to write to it). Whoever runs these commands
already holds the server and its database; the commands give them the same export and the same
deletion the person would get, through the same registry, and log that they ran.
"""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.accounts import privacy, services
from app.core.commands import one_commit
from app.extensions import db


@click.group("privacy", help="A person's data on their request: export it, or delete it.")
def privacy_cli():
    pass


def _person(email: str):
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account uses {email}")
    return user


@privacy_cli.command("export")
@click.argument("email")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON here (default: standard output).",
)
@with_appcontext
def export(email, output):
    """Everything the platform holds about EMAIL, as the person would download it."""
    user = _person(email)
    text = json.dumps(privacy.export_personal_data(user), ensure_ascii=False, indent=2)
    privacy.log.info("personal data of account %s exported from the command line", user.id)
    db.session.rollback()  # nothing to keep: an export reads
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}.")


@privacy_cli.command("delete")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete(email, yes):
    """Delete EMAIL's account and everything about them, as they could themselves."""
    user = _person(email)
    if not yes:
        click.confirm(f"Delete {user.email} ({user.full_name}) and all their data?", abort=True)
    with one_commit(privacy.PrivacyError) as say:
        privacy.erase_account(user, by="the command line")
        say(f"Deleted the account of {email}; certificates keep their public record.")
