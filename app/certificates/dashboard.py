"""The learner's certificates as a section of their dashboard (app/learning/dashboard.py)."""

from app.certificates.forms import LanguageChoiceForm, NameCorrectionForm
from app.certificates.services import certificates_of
from app.learning.dashboard import DashboardSection, register_section


def _certificates(user) -> list:
    """(certificate, PDF ready, the form to print it in another language, the name of a
    correction waiting for an answer, the form to ask for one), newest first."""
    return [
        (
            certificate,
            ready,
            LanguageChoiceForm(formdata=None, language=certificate.language),
            waiting,
            NameCorrectionForm(formdata=None),
        )
        for certificate, ready, waiting in certificates_of(user)
    ]


register_section(
    DashboardSection(
        name="certificates", template="certificates/_dashboard.html", load=_certificates
    )
)
