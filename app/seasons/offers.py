"""The seasons' side of the catalog's pages (app/catalog/offers.py): which courses are open
for enrolment, which the learner holds a place in, and each course page's enrolment panel."""

from app.accounts.models import User
from app.catalog.offers import Offers, register_offers
from app.core import page_cache
from app.seasons import enrollments, services
from app.seasons.models import Cohort, Offering, Season

# What the catalog's pages show of seasons (for visitors, from the page cache): the offers,
# cohorts with their seats and dates, and the names of their tutors.
page_cache.depends("catalog", Season, Offering, Cohort)
page_cache.depends("catalog", User, attributes=("full_name",))


def _panel(course, user) -> tuple[str, dict]:
    offerings = services.current_offerings(course)
    enrollment = waiting = None
    if user is not None:
        enrollment = enrollments.find_enrollment(user, course)
        waiting = services.waiting_positions(user, offerings)
    return "seasons/_course_offer.html", {
        "offerings": offerings,
        "enrollment": enrollment,
        "waiting": waiting or {},
        "enrollment_open": services.enrollment_open,
    }


register_offers(
    Offers(
        open_courses=services.enrollable_course_ids,
        enrolled_courses=enrollments.enrolled_course_ids,
        panel=_panel,
    )
)
