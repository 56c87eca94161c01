"""Where executions are solved: Airflow today (Cornflow's engine)."""
