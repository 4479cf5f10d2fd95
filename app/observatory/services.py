"""Drafting, reviewing and publishing observatory entries, and the public reads.

Every check runs before the first row is written: a refused entry stores nothing. Markdown is
rendered and sanitised by the course content's renderer when saved (app/catalog/content).
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, false, func, literal_column, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Institution, User
from app.accounts.services import external_url
from app.capstones.uploads import UploadRefused, check_upload
from app.catalog.content.markdown import render
from app.core.db import utcnow
from app.core.i18n import fold, is_country, localise
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.core.storage import store_file
from app.extensions import db
from app.observatory.models import (
    LANGUAGES,
    SEARCH_INDEX,
    SEARCH_VECTOR,
    Entry,
    EntryFile,
    EntryState,
)
from app.observatory.vocabulary import AUDIENCES, THEMES

TITLE_MAX = 200
SUMMARY_MAX = 1_000
BODY_MAX = 50_000
LINKS_MAX = 10
URL_MAX = 500
LABEL_MAX = 120
FILES_MAX = 10
COMMENT_MAX = 5_000
SEARCH_TERMS_MAX = 8
FIRST_YEAR, LAST_YEAR = 1900, 2100

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # newlines and tabs are text
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


class ObservatoryError(Refusal):
    """A rule about observatory entries was broken; the message is for the person."""


@dataclass
class EntryTexts:
    title: str = ""
    summary: str = ""
    body: str = ""


@dataclass
class EntryDraft:
    """What a coordinator writes: texts by language and the entry's facts."""

    texts: dict[str, EntryTexts] = field(default_factory=dict)
    country_code: str = ""
    themes: list[str] = field(default_factory=list)
    audience: str = ""
    period_from: int | None = None
    period_to: int | None = None
    links: str = ""  # one per line: "https://... optional label"


# Checks -----------------------------------------------------------------------------------


def _clean_line(value: str, limit: int, what) -> str:
    value = (value or "").strip()
    if _LINE_CONTROL.search(value):
        raise ObservatoryError(_l("%(what)s has control characters.", what=what))
    if len(value) > limit:
        raise ObservatoryError(
            _l("%(what)s has more than %(max)s characters.", what=what, max=limit)
        )
    return value


def _clean_text(value: str, limit: int, what) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if _CONTROL.search(value):
        raise ObservatoryError(_l("%(what)s has control characters.", what=what))
    if len(value) > limit:
        raise ObservatoryError(
            _l("%(what)s has more than %(max)s characters.", what=what, max=limit)
        )
    return value


def parse_links(text: str) -> list[dict]:
    """Links written one per line ("URL label"): http(s) only, at most LINKS_MAX."""
    links = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        url, _space, label = line.partition(" ")
        url = _clean_line(url, URL_MAX, _l("A link"))
        label = _clean_line(label, LABEL_MAX, _l("A link's label"))
        if not _URL.match(url):
            raise ObservatoryError(
                _l("“%(link)s” is not a web address (http:// or https://).", link=url[:60])
            )
        links.append({"url": url, "label": label})
    if len(links) > LINKS_MAX:
        raise ObservatoryError(_l("An entry has at most %(max)s links.", max=LINKS_MAX))
    return links


def _no_pictures(kind: str, target: str) -> str:
    """Pictures from elsewhere would weigh on every reader and tell others who reads: none."""
    return "" if kind == "image" else target


def render_body(text: str) -> str:
    return render(text, rewrite=_no_pictures) if text else ""


@dataclass
class _Checked:
    titles: dict
    summaries: dict
    bodies: dict
    languages: list
    links: list


def _check(draft: EntryDraft) -> _Checked:
    titles, summaries, bodies = {}, {}, {}
    for language in LANGUAGES:
        texts = draft.texts.get(language) or EntryTexts()
        title = _clean_line(texts.title, TITLE_MAX, _l("A title"))
        summary = _clean_text(texts.summary, SUMMARY_MAX, _l("A summary"))
        body = _clean_text(texts.body, BODY_MAX, _l("A text"))
        if not (title or summary or body):
            continue
        if not (title and summary):
            raise ObservatoryError(
                _l(
                    "Each language written needs a title and a summary (%(language)s).",
                    language=language,
                )
            )
        titles[language], summaries[language], bodies[language] = title, summary, body
    if not titles:
        raise ObservatoryError(_l("Write a title and a summary in at least one language."))
    if not is_country(draft.country_code or ""):
        raise ObservatoryError(_l("Choose a country."))
    if not draft.themes or any(theme not in THEMES for theme in draft.themes):
        raise ObservatoryError(_l("Choose at least one theme from the list."))
    if draft.audience not in AUDIENCES:
        raise ObservatoryError(_l("Choose an audience from the list."))
    for year in (draft.period_from, draft.period_to):
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise ObservatoryError(
                _l("Years go from %(first)s to %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
            )
    if draft.period_from and draft.period_to and draft.period_to < draft.period_from:
        raise ObservatoryError(_l("The period ends before it starts."))
    return _Checked(titles, summaries, bodies, list(titles), parse_links(draft.links))


def _search_text(entry: Entry, institution: Institution) -> str:
    parts = [institution.acronym, *institution.names.values()]
    for texts in (entry.title, entry.summary, entry.body):
        parts.extend(texts.values())
    return fold(" ".join(parts))[:200_000]


# Drafting -------------------------------------------------------------------------------


def save_entry(entry: Entry | None, institution: Institution, draft: EntryDraft, author: User):
    """Create or change a draft (or an entry sent back); checks all, then writes."""
    if entry is not None and not entry.editable:
        raise ObservatoryError(
            _l("This entry is waiting for review or published: it cannot change.")
        )
    checked = _check(draft)
    if entry is None:
        entry = Entry(
            institution_id=institution.id, state=EntryState.DRAFT, created_by_id=author.id
        )
        db.session.add(entry)
    entry.title, entry.summary, entry.body = checked.titles, checked.summaries, checked.bodies
    entry.body_html = {language: render_body(text) for language, text in checked.bodies.items()}
    entry.main_language = checked.languages[0]
    entry.languages = "," + ",".join(checked.languages) + ","
    entry.country_code = draft.country_code
    entry.themes = "," + ",".join(t for t in THEMES if t in draft.themes) + ","
    entry.audience = draft.audience
    entry.period_from, entry.period_to = draft.period_from, draft.period_to
    entry.links = checked.links
    entry.updated_at = utcnow()
    entry.search_text = _search_text(entry, institution)
    db.session.flush()
    return entry


def draft_from(
    institution: Institution, author: User, language: str, title: str, summary: str, body: str
) -> Entry:
    """A draft entry from text written elsewhere (a survey answer), with the institution's
    country and the theme "other": the coordinator completes it before sending it."""
    draft = EntryDraft(
        texts={language: EntryTexts(title[:TITLE_MAX], summary[:SUMMARY_MAX], body[:BODY_MAX])},
        country_code=institution.country_code,
        themes=["other"],
        audience="everyone",
    )
    return save_entry(None, institution, draft, author)


def submit_entry(entry: Entry) -> None:
    """Send a draft to the administrators for review."""
    if not entry.editable:
        raise ObservatoryError(_l("This entry has already been sent."))
    entry.state = EntryState.SUBMITTED
    db.session.flush()


def add_file(entry: Entry, filename: str, data: bytes) -> EntryFile:
    """Attach a checked file (as capstone files are checked) to an editable entry."""
    if not entry.editable:
        raise ObservatoryError(
            _l("This entry is waiting for review or published: it cannot change.")
        )
    if len(entry.files) >= FILES_MAX:
        raise ObservatoryError(_l("An entry has at most %(max)s files.", max=FILES_MAX))
    try:
        checked = check_upload(filename, data)
    except UploadRefused as error:
        raise ObservatoryError(str(error)) from None
    stored = store_file(checked.data, checked.filename, checked.content_type)
    row = EntryFile(
        entry=entry,
        stored_file_id=stored.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
    )
    db.session.add(row)
    db.session.flush()
    return row


def remove_file(entry: Entry, entry_file: EntryFile) -> None:
    if not entry.editable:
        raise ObservatoryError(
            _l("This entry is waiting for review or published: it cannot change.")
        )
    entry.files.remove(entry_file)
    db.session.flush()


# Review -----------------------------------------------------------------------------------


def publish_entry(entry: Entry, reviewer: User) -> None:
    if entry.state != EntryState.SUBMITTED:
        raise ObservatoryError(_l("Only an entry sent for review can be published."))
    entry.state = EntryState.PUBLISHED
    entry.reviewed_by_id = reviewer.id
    entry.review_comment = None
    entry.published_at = entry.published_at or utcnow()
    db.session.flush()
    _tell_author(
        entry,
        "observatory/mail/published",
        _l("Your observatory entry is published"),
        external_url("observatory.entry", entry_id=entry.id),
    )


def return_entry(entry: Entry, reviewer: User, comment: str) -> None:
    """Send an entry back to its institution with a comment (a published one is withdrawn)."""
    comment = _clean_text(comment, COMMENT_MAX, _l("The comment"))
    if not comment:
        raise ObservatoryError(_l("Say what should change."))
    if entry.state not in (EntryState.SUBMITTED, EntryState.PUBLISHED):
        raise ObservatoryError(_l("Only an entry sent for review or published can be sent back."))
    entry.state = EntryState.RETURNED
    entry.reviewed_by_id = reviewer.id
    entry.review_comment = comment
    db.session.flush()
    _tell_author(
        entry,
        "observatory/mail/returned",
        _l("Your observatory entry was sent back"),
        external_url(
            "observatory_coordinator.edit_entry",
            institution_id=entry.institution_id,
            entry_id=entry.id,
        ),
        comment=comment,
    )


def _tell_author(entry: Entry, template: str, subject, url: str, **context) -> None:
    """Mail the person who wrote the entry, in their language (if their account remains)."""
    author = db.session.get(User, entry.created_by_id) if entry.created_by_id else None
    if author is None:
        return
    send_template_mail(
        author.email,
        author.locale,
        template,
        subject,
        user=author,
        title=localise(entry.title, entry.main_language, author.locale),
        url=url,
        **context,
    )


# Reads ------------------------------------------------------------------------------------


@dataclass
class Filters:
    """The public list's filters, each already checked (unknown values are dropped)."""

    country: str = ""
    theme: str = ""
    language: str = ""
    institution: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        country = (args.get("country") or "")[:2].upper()
        theme = args.get("theme") or ""
        language = args.get("language") or ""
        institution = args.get("institution") or ""
        return cls(
            country=country if is_country(country) else "",
            theme=theme if theme in THEMES else "",
            language=language if language in LANGUAGES else "",
            institution=_row_id(institution),
            q=(args.get("q") or "")[:200],
        )

    def as_args(self) -> dict:
        values = {"country": self.country, "theme": self.theme, "language": self.language,
                  "institution": self.institution, "q": self.q}  # fmt: skip
        return {key: value for key, value in values.items() if value}


def _row_id(value: str) -> int | None:
    """A row id written in a query string, if an id column can hold it (32 bits)."""
    if value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) < 2**31:
        return int(value)
    return None


def published_query(filters: Filters):
    """Published entries matching the filters, newest first (a select for pagination); with
    words searched, the entries where the words weigh most first, then the newest."""
    statement = select(Entry).where(Entry.state == EntryState.PUBLISHED)
    if filters.country:
        statement = statement.where(Entry.country_code == filters.country)
    if filters.theme:
        statement = statement.where(Entry.themes.like(f"%,{filters.theme},%"))
    if filters.language:
        statement = statement.where(Entry.languages.like(f"%,{filters.language},%"))
    if filters.institution:
        statement = statement.where(Entry.institution_id == filters.institution)
    order = [Entry.published_at.desc(), Entry.id.desc()]
    if filters.q.strip():
        terms = search_terms(filters.q)
        if not terms:  # punctuation alone matches nothing
            statement = statement.where(false())
        elif _postgresql():
            statement = statement.where(_matches(terms))
            order.insert(0, func.ts_rank(literal_column(SEARCH_VECTOR), _tsquery(terms)).desc())
        else:
            found = SEARCH_INDEX.matching(terms)
            statement = statement.join(found, found.c.id == Entry.id)
            order.insert(0, found.c.score)  # FTS5's bm25: lower is better
    return statement.order_by(*order)


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _tsquery(terms: list[str]):
    query = " & ".join(f"{term}:*" for term in terms)  # words only: a safe tsquery
    return func.to_tsquery(literal_column("'simple'::regconfig"), query)


def search_terms(query: str) -> list[str]:
    """The words searched for: folded (no accents, no case), at most SEARCH_TERMS_MAX."""
    return [word[:40] for word in _WORD.findall(fold(query))][:SEARCH_TERMS_MAX]


def _matches(terms: list[str]):
    """PostgreSQL: entries holding every term as the start of a word, written as the full-text
    index's expression so that the index answers it."""
    return literal_column(SEARCH_VECTOR).op("@@")(_tsquery(terms))


def filter_options() -> tuple[list[str], list[Institution]]:
    """The countries and institutions that have published entries (two queries)."""
    countries = db.session.scalars(
        select(Entry.country_code)
        .where(Entry.state == EntryState.PUBLISHED)
        .group_by(Entry.country_code)
    ).all()
    institutions = db.session.scalars(
        select(Institution)
        .where(
            Institution.id.in_(
                select(Entry.institution_id).where(Entry.state == EntryState.PUBLISHED)
            )
        )
        .order_by(Institution.acronym)
    ).all()
    return sorted(countries), list(institutions)


def load_entry(entry_id: int, *, with_files: bool = True) -> Entry | None:
    statement = select(Entry).where(Entry.id == entry_id)
    if with_files:
        statement = statement.options(selectinload(Entry.files))
    return db.session.scalar(statement)


def entries_of(institution: Institution) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.institution_id == institution.id)
            .order_by(Entry.updated_at.desc(), Entry.id.desc())
        )
    )


def review_queue() -> list[Entry]:
    """Entries waiting for review first, then the others, most recent first."""
    waiting = case((Entry.state == EntryState.SUBMITTED, 0), else_=1)
    return list(
        db.session.scalars(
            select(Entry)
            .options(joinedload(Entry.institution))
            .order_by(waiting, Entry.updated_at.desc(), Entry.id.desc())
            .limit(500)
        )
    )


def latest_published(limit: int = 50) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry)
            .where(Entry.state == EntryState.PUBLISHED)
            .order_by(Entry.published_at.desc(), Entry.id.desc())
            .limit(limit)
        )
    )
