"""One module per CLI command; each imports its heavy dependencies only when it runs."""
