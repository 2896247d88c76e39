"""Glue between the job catalog, the Focus database and Airflow."""
