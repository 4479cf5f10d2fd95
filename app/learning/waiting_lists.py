"""The learner's waiting lists as a section of their dashboard (app/learning/dashboard.py):
each cohort they wait for, with their place in line. Most learners wait for none: the
dashboard asks whether they do with its other sections, in one statement."""

from sqlalchemy import bindparam, select

from app.learning.dashboard import DashboardSection, register_section
from app.seasons.models import WaitlistEntry
from app.seasons.services import waiting_for

register_section(
    DashboardSection(
        name="waiting lists",
        template="learning/_waiting_lists.html",
        load=waiting_for,
        present=select(WaitlistEntry.id).where(WaitlistEntry.user_id == bindparam("user")).exists(),
    )
)
