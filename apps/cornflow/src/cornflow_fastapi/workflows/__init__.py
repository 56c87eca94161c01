"""Workflows (DAGs): the worker write-back (/dag/...), deployed workflows, schemas and examples."""
