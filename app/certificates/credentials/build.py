"""A certificate as an Open Badges 3.0 `OpenBadgeCredential` (W3C Verifiable Credentials 2.0).

It says what the certificate prints, as issued: the holder's name (frozen at issue), the course
as the achievement (its hours, its outcomes as the criteria), the season, cohort and dates, and
the issuer (our did:web). Its `credentialStatus` points at its place in a status list.
"""

import uuid

from flask import current_app

from app.accounts.services import external_url
from app.catalog.models import Course
from app.certificates.credentials import jsonld
from app.certificates.models import Certificate
from app.core.i18n import localise
from app.extensions import db

# Words in the certificate's language that the credential needs (it is a document, not a page,
# so they are not in the interface's catalogs).
WORDS = {
    "es": ("{hours} horas", "Quien lo obtuvo completó el curso «{course}» y puede:"),
    "pt": ("{hours} horas", "Quem o obteve concluiu o curso «{course}» e é capaz de:"),
    "en": ("{hours} hours", "The holder completed the course “{course}” and is able to:"),
}


def _iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def outcomes_of(certificate: Certificate, course: Course | None, language: str) -> list[str]:
    """The outcomes in `language` as frozen on the certificate at issue; for certificates
    issued before that, the course's (none once the course is gone)."""
    frozen = (certificate.printed or {}).get("outcomes", {})
    if frozen:
        return [text for text in frozen.get(language) or next(iter(frozen.values()), []) if text]
    if course is None:
        return []
    texts = []
    for outcome in course.outcomes or []:
        if isinstance(outcome, dict):
            texts.append(str(localise(outcome, course.language, language)))
        elif isinstance(outcome, str):
            texts.append(outcome)
    return [text for text in texts if text]


def credential_for(
    certificate: Certificate, issuer_did: str, status_entry: dict, language: str | None = None
) -> dict:
    """The unsigned credential of the certificate's current edition, in `language` (default:
    the certificate's current one): every text as frozen at issue."""
    language = language or certificate.language
    title = (certificate.printed or {}).get("titles", {}).get(language) or certificate.course_title
    hours_words, criteria_words = WORDS.get(language, WORDS["en"])
    hours = hours_words.format(hours=certificate.hours)
    course = db.session.get(Course, certificate.course_id) if certificate.course_id else None
    outcomes = outcomes_of(certificate, course, language)
    narrative = criteria_words.format(course=title)
    if outcomes:
        narrative += "\n" + "\n".join(f"- {outcome}" for outcome in outcomes)
    verify_url = external_url("certificates.verify", code=certificate.grouped_code)
    # The achievement is the course: its public page names it (the verification page when
    # the course is gone).
    course_url = external_url("catalog.course", course_slug=course.slug) if course else verify_url
    subject = {
        "type": ["AchievementSubject"],
        "name": certificate.learner_name,
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": certificate.learner_name,
            }
        ],
        "achievement": {
            "id": course_url,
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": title,
            "description": f"{title} ({hours})",
            "criteria": {"narrative": narrative},
            "humanCode": certificate.grouped_code,
        },
        "activityEndDate": certificate.completed_on.isoformat(),
        "term": " · ".join(filter(None, [certificate.season_name, certificate.cohort_name])),
    }
    edition = uuid.uuid5(uuid.NAMESPACE_URL, f"{verify_url}#{certificate.edition}")
    return {
        "@context": [jsonld.VC_V2, jsonld.OB_V3],
        "id": f"urn:uuid:{edition}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "description": f"{certificate.learner_name} · {title} · {hours}",
        "issuer": {
            "id": issuer_did,
            "type": ["Profile"],
            "name": current_app.config["CERTIFICATE_ISSUER"],
            "url": current_app.config["BASE_URL"] + "/",
        },
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": subject,
        "credentialStatus": status_entry,
    }
