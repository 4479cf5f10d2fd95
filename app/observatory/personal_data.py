"""What the observatory keeps about a person (app/core/privacy.py): the entries they wrote or
reviewed. Entries and their files are their institution's publication: they stay, without the
link to the person."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from app.core.privacy import explain_table, register_personal_data
from app.extensions import db
from app.observatory.models import Entry

explain_table("observatory_file", "an institution's published guide or toolkit, not a person's")


def _entries(user) -> list[dict]:
    rows = db.session.scalars(
        select(Entry)
        .where(or_(Entry.created_by_id == user.id, Entry.reviewed_by_id == user.id))
        .order_by(Entry.id)
    )
    return [
        {
            "entry": e.id,
            "title": e.title,
            "wrote_it": e.created_by_id == user.id,
            "reviewed_it": e.reviewed_by_id == user.id,
        }
        for e in rows
    ]


def _erase_entries(user) -> None:
    for column in (Entry.created_by_id, Entry.reviewed_by_id):
        db.session.execute(
            update(Entry)
            .where(column == user.id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )


register_personal_data(
    "observatory_entries",
    tables=("observatory_entry",),
    export=_entries,
    erase=_erase_entries,
    erase_order=30,
    kept=_l(
        "Observatory entries you wrote for your institution stay published as your "
        "institution's; your name is no longer linked to them."
    ),
)
