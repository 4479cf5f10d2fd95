"""Capstone projects of tutor-led courses: submissions, versions, reviews, downloads."""
