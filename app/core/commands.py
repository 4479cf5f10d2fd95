"""What every area's `flask <area> ...` commands share."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from app.extensions import db


@contextmanager
def one_commit(*refusals: type[Exception]) -> Iterator[Callable[[str], None]]:
    """Commit what the block changed, or roll all of it back; a `refusals` error exits with
    its message (in the person's words), anything else is re-raised.

    The block reports through the function it is given; the lines are printed once the
    changes are committed, so a refused command never claims to have done part of its work.
    """
    lines: list[str] = []
    try:
        yield lines.append
    except refusals as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    for line in lines:
        click.echo(line)
