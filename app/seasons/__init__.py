"""Seasons of courses, cohorts with seats and tutors, enrolment and waiting lists."""
