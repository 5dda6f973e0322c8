"""GitHub REST access over PyGithub: pagination, retries, rate limits, request counting."""
