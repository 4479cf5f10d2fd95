"""`flask certificates issue|revoke|restore|verify`, calling the same services as the pages."""

import click

certificates_cli = click.Group(
    "certificates", help="Issue, revoke, restore and verify certificates."
)
