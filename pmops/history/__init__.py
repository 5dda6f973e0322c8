"""Past postmortems read back:
the history step, the search index, similar incidents, stats, the index page, import.
"""
