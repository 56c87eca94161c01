"""Executions: runs of a workflow on an instance, and what they write back."""
