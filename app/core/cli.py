"""`flask demo ...`: what `make run` needs to show a working platform."""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts import services
from app.accounts.models import Role
from app.extensions import db

DEMO_ADMIN_EMAIL = "admin@aula.example"


@click.group("demo", help="Demo content for development.")
def demo_cli():
    pass


@demo_cli.command("setup")
@with_appcontext
def setup():
    """Load the institutions and make sure a demo administrator exists (idempotent)."""
    if current_app.config["AULA_ENV"] == "production":
        raise click.ClickException("demo setup is for development; AULA_ENV is production")
    added, updated = services.load_institutions()
    password_file = Path(current_app.instance_path) / "demo_admin_password"
    admin = services.find_user_by_email(DEMO_ADMIN_EMAIL)
    if admin is None or not password_file.exists():
        password = secrets.token_urlsafe(12)
        if admin is None:
            services.create_user(
                DEMO_ADMIN_EMAIL, "Demo Administrator", Role.ADMIN, password, check_strength=False
            )
        else:
            services.set_password(admin, password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    db.session.commit()
    click.echo(f"Institutions: {added} added, {updated} updated.")
    click.echo("")
    click.echo("  Sign in as an administrator at http://127.0.0.1:5000/login")
    click.echo(f"    email:    {DEMO_ADMIN_EMAIL}")
    click.echo(f"    password: {password_file.read_text().strip()}")
    click.echo("  Mail is not sent in development: read it at /admin/outbox or in this log.")
    click.echo("")
