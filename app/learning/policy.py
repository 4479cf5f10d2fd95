"""Who may enrol where. The one seam the Seasons work replaces: until seasons exist,
self-paced courses are open to any signed-in learner and tutor-led ones to nobody."""

from app.catalog.models import Course, CourseKind


def enrolment_open(course: Course) -> bool:
    """Whether learners can enrol in the course now."""
    return course.kind == CourseKind.SELF_PACED
