"""Cases: a user's tree of saved instance and solution pairs (/case/...)."""
