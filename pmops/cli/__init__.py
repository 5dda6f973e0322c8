"""The `pmops` command line:
parse arguments, call the library, report.
"""
