"""Discussions: a board per cohort (and per self-paced course in a season), threads and
replies in Markdown, attachments, announcements, questions with a marked answer, private
questions to a cohort's tutors, reports and moderation with an audit trail."""
