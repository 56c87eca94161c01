"""Raw table reads for service users (/table/...)."""
