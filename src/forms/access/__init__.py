"""Who may do what: the console's accounts (clerks and admins)."""
