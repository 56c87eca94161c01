"""What instances, executions and cases share: ids and hashes, list filters, ownership, schemas."""
