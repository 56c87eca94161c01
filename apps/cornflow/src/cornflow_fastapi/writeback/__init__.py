"""What a solve writes back to its execution (state, logs, solution, checks, KPIs), from Airflow
through /dag/ and from the local runner alike."""
