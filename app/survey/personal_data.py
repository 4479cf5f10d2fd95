"""What the network survey keeps about a person (app/core/privacy.py): which of their
institution's responses they last saved. The answers are the institution's, and stay."""

from sqlalchemy import select, update

from app.core.privacy import explain_table, register_personal_data
from app.extensions import db
from app.survey.models import SurveyResponse

explain_table("survey_answer", "an institution's answer to the network survey, not a person's")


def _responses(user) -> list[dict]:
    rows = db.session.execute(
        select(SurveyResponse.survey_id, SurveyResponse.institution_id).where(
            SurveyResponse.answered_by_id == user.id
        )
    )
    return [{"survey": s, "for_institution": i} for s, i in rows]


def _erase_responses(user) -> None:
    db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.answered_by_id == user.id)
        .values(answered_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "survey_responses",
    tables=("survey_response",),
    export=_responses,
    erase=_erase_responses,
    erase_order=30,
)
