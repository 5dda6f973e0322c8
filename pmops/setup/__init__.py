"""Setting a repository up:
`pmops init`, `init --site`, `doctor`, `demo`.
"""
