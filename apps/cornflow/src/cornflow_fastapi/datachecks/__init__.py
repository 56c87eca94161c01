"""Data-check runs on executions, instances and cases (/data-check/..., /data-check-kpis/...)."""
