"""The Focus scheduled-job catalog: plain Python, no Airflow."""
