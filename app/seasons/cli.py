"""`flask seasons ...`: open, copy, add cohorts, close and list seasons."""

import click


@click.group("seasons", help="Seasons of courses and their cohorts.")
def seasons_cli():
    pass
