"""`flask users ...` and `flask institutions ...` commands."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from app.accounts import clean_up as cleaning
from app.accounts import factors, services
from app.accounts.models import Role
from app.core.commands import one_commit

ROLE_NAMES = {"admin": Role.ADMIN, "tutor": Role.TUTOR, "learner": Role.LEARNER}


@click.group("users", help="Manage people's accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name as printed on certificates.")
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), default="learner", show_default=True)
@click.option("--country", default="UY", show_default=True, help="ISO country code.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given.",
)
@with_appcontext
def create_user(email, name, role, country, password):
    """Create a confirmed account with the given role."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"not a valid email address: {error}") from error
    with one_commit(services.AccountError) as say:
        user = services.create_user(
            email, name, ROLE_NAMES[role], password, country_code=country.upper()
        )
        say(f"Created {user.email} ({role}).")


@users_cli.command("set-role")
@click.argument("email")
@click.option("--tutor/--no-tutor", default=None)
@click.option("--admin/--no-admin", default=None)
@with_appcontext
def set_role(email, tutor, admin):
    """Grant or remove the tutor and administrator roles."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    with one_commit(services.AccountError) as say:
        services.set_roles(
            user,
            user,
            tutor=user.is_tutor if tutor is None else tutor,
            admin=user.is_admin if admin is None else admin,
        )
        say(f"{user.email}: {', '.join(sorted(r.value for r in user.roles))}")


@users_cli.command("end-sessions")
@click.argument("email")
@with_appcontext
def end_sessions(email):
    """Sign a person out everywhere (recorded in their security log)."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    with one_commit(services.AccountError) as say:
        ended = services.end_other_sessions(user)
        say(f"{user.email}: {ended} session(s) signed out.")


@users_cli.command("reset-factors")
@click.argument("email")
@with_appcontext
def reset_factors(email):
    """Remove a person's second factors (lost phone and codes) and sign them out everywhere;
    recorded in their security log. Check who is asking first (README, "A lost factor")."""
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    with one_commit(services.AccountError) as say:
        factors.reset_factors(None, user)
        say(f"{user.email}: second factors removed, signed out everywhere.")


option_unconfirmed_days = click.option(
    "--unconfirmed-days",
    type=click.IntRange(min=1, max=36500),
    default=None,
    help="Remove accounts never confirmed this many days after registering "
    "(default: UNCONFIRMED_ACCOUNT_DAYS).",
)


@users_cli.command("clean-up")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days of the security log (default: SECURITY_LOG_DAYS).",
)
@option_unconfirmed_days
@with_appcontext
def clean_up(days, unconfirmed_days):
    """What the schedule runs daily (accounts.clean_up): remove security log lines past their
    keeping period, ended sessions, and accounts never confirmed."""
    with one_commit(services.AccountError) as say:
        done = cleaning.clean_up(days, unconfirmed_days)
        say(
            f"Security log: {done.events} old line(s) removed; {done.sessions} ended session(s)"
            f" removed; {done.accounts} account(s) never confirmed removed."
        )


@click.group("institutions", help="Manage the network's institutions.")
def institutions_cli():
    pass


@institutions_cli.command("load")
@click.argument(
    "csv_path",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
    default=services.DEFAULT_INSTITUTIONS_CSV,
)
@with_appcontext
def load(csv_path):
    """Add or update institutions from a CSV (acronym, country_code, name_es, name_pt, name_en;
    or one `name` for every language)."""
    with one_commit(services.InstitutionError) as say:
        added, updated = services.load_institutions(csv_path)
        say(f"Institutions: {added} added, {updated} updated.")
