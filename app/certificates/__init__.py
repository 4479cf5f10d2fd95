"""Certificates: issued once per completed enrolment, rendered to PDF, verified by anyone."""
