"""Notification kinds: the registry each area adds the kinds of news it sends to.

A kind says how one line of it reads in the reader's language (from the small JSON values
stored with it), how its preference is labelled, and how it is delivered unless the person
chose otherwise. The centre (services, pages, mails, the digest) loops over this registry
and never names a kind. An area registers its kinds in its own `notification_kinds.py`,
which `app/__init__.py` imports, as item kinds are (app/catalog/kinds.py).
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Delivery(enum.StrEnum):
    PLATFORM = "platform"  # in the platform only
    MAIL = "mail"  # and a mail at once
    DIGEST = "digest"  # and in one mail a day


@dataclass(frozen=True)
class NotificationKind:
    name: str  # "<area>.<what>", stored with each notification
    label: Any  # a lazy string: the preference's name ("Replies to my conversations")
    describe: Callable[[dict], str]  # (stored values) -> one line, in the current language
    default: Delivery = Delivery.PLATFORM
    # A kind whose area already mails the news itself (a review, a certificate) offers no
    # mail of its own: only the platform or the digest, never the same news twice at once.
    mailed_elsewhere: bool = False

    def choices(self) -> list[Delivery]:
        if self.mailed_elsewhere:
            return [Delivery.PLATFORM, Delivery.DIGEST]
        return list(Delivery)


_KINDS: dict[str, NotificationKind] = {}


def register_kind(kind: NotificationKind) -> NotificationKind:
    """Add a kind to the registry (once per name)."""
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise ValueError(f"notification kind {kind.name!r} is registered twice")
    if kind.default not in kind.choices():
        raise ValueError(f"notification kind {kind.name!r}: its default is not a choice")
    _KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> NotificationKind | None:
    return _KINDS.get(name)


def all_kinds() -> list[NotificationKind]:
    """Every kind, in registration order."""
    return list(_KINDS.values())
