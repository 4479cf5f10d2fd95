"""Courses: the content format, its import, and the catalog learners browse."""
