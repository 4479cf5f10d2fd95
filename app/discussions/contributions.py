"""What discussions add to other areas' pages: the learner's boards on the dashboard, and
unanswered private questions on the tutor's cohorts page (their start page)."""

from app.discussions import services
from app.learning.dashboard import DashboardSection, register_section
from app.seasons.tutor_panels import CohortsPanel, register_panel


def _questions_panel(user, cohorts):
    """Every led cohort with its board link and how many private questions wait (1 query)."""
    if not cohorts:
        return None
    waiting = services.unanswered_private_questions(cohorts)
    return [(cohort, waiting.get(cohort.id, 0)) for cohort in cohorts]


register_section(
    DashboardSection(
        name="discussions",
        template="discussions/_dashboard.html",
        load=services.boards_of,
    )
)
register_panel(
    CohortsPanel(
        name="discussions",
        template="discussions/_tutor_panel.html",
        load=_questions_panel,
    )
)
