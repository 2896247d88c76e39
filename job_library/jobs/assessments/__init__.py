"""Assessments: District Assessments scoring, scheduling and item-bank imports."""
