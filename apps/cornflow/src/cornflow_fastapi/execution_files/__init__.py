"""Files a run produced, stored as zip archives (/execution/files/...)."""
