"""Analysis: the incident window, one ordered timeline, ranked suspects, similar incidents."""
