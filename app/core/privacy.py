"""What the platform holds about a person, area by area: a registry.

Each area owns its rows, so each area says what it keeps about a person: in its own
`personal_data.py` it registers a name, the tables it answers for, a function that exports
that person's rows (JSON-ready values) and one that erases them (deletes, or anonymises what
must stay, such as a certificate's public record), with a sentence on what stays and why.
The export page and account deletion (app/accounts/privacy.py) loop over the registry and
never name an area. Tables that hang off a person's rows but hold nothing about them are
explained here (`explain_table`), so `tests/accounts/test_privacy_registry.py` can fail on
any table that points at a person and is neither exported nor explained.

Erasing runs in `erase_order`, lowest first: an area erases its rows before the rows they
hang on (certificates, projects and progress before enrolments; the account itself last).
Every erase function only flushes: one transaction, committed or rolled back whole.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class PersonalData:
    name: str  # the key of this part in the export
    tables: tuple[str, ...]  # the tables whose rows about a person this part answers for
    export: Callable[[Any], Any]  # (user) -> JSON-ready data (dates are turned into text)
    erase: Callable[[Any], None]  # (user) -> None: delete or anonymise, flush only
    erase_order: int = 50
    kept: Any = None  # a (lazy) sentence: what stays after the account is deleted, and why


_PARTS: dict[str, PersonalData] = {}
_EXPLAINED: dict[str, str] = {}


def register_personal_data(
    name: str,
    *,
    tables: tuple[str, ...] | list[str],
    export: Callable[[Any], Any],
    erase: Callable[[Any], None],
    erase_order: int = 50,
    kept: Any = None,
) -> PersonalData:
    """Declare what an area keeps about a person: its tables, export and erase."""
    part = PersonalData(name, tuple(tables), export, erase, erase_order, kept)
    _PARTS[name] = part
    return part


def explain_table(table: str, why: str) -> None:
    """Declare that a table pointing at a person's rows holds nothing to export about them."""
    _EXPLAINED[table] = why


def parts() -> list[PersonalData]:
    """Every registered part, in registration order."""
    return list(_PARTS.values())


def covered_tables() -> dict[str, str]:
    """{table: the part that answers for it}."""
    return {table: part.name for part in _PARTS.values() for table in part.tables}


def explained_tables() -> dict[str, str]:
    return dict(_EXPLAINED)


def kept_after_erasure() -> list:
    """What stays after an account is deleted, one sentence per part that keeps something."""
    ordered = sorted(_PARTS.values(), key=lambda part: part.erase_order)  # certificates first
    return [part.kept for part in ordered if part.kept]


def jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO text, recursively; everything else as it is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        raise TypeError("bytes in a personal data export: give a name, size or digest instead")
    if isinstance(value, enum.Enum):
        return value.value
    return value


def export_everything(user) -> dict[str, Any]:
    """{part name: what it holds about the user}, in registration order."""
    return {part.name: jsonable(part.export(user)) for part in _PARTS.values()}


def erase_everything(user) -> None:
    """Erase what every part holds about the user, in erase order (flushes, never commits)."""
    for part in sorted(_PARTS.values(), key=lambda p: p.erase_order):
        part.erase(user)
