"""A learner's side of courses: enrolment, the course player, progress, quizzes, completion."""
