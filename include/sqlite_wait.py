"""How long the embedded default's Airflow processes wait for SQLite's write lock.

The api-server, scheduler, dag-processor and triggerer share one SQLite file. Python's driver
gives up on a lock after 5 seconds, which a busy two-core machine can exceed while another
process writes (the api-server then answers 500 "Database error"). Airflow imports these
through ``[database] sql_alchemy_connect_args`` and ``sql_alchemy_connect_args_async``, set by
``include.local_airflow.airflow_env`` only when it chose the SQLite database itself.
"""

SECONDS = 60

CONNECT_ARGS = {"timeout": SECONDS}
CONNECT_ARGS_ASYNC = {"timeout": SECONDS}
