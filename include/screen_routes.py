"""Where Airflow's own page shows the Jobs screen: the react_apps url_routes of the plugin.

A module of its own so that the plugin names them without importing the screen's API.
"""

NAV_ROUTE = "scheduled-jobs"
OUTPUT_ROUTE = "job-output"
