"""`flask capstones ...`: daily reminders, rubrics as CSV."""

import click


@click.group("capstones", help="Capstone projects: reminders and rubrics.")
def capstones_cli():
    pass
