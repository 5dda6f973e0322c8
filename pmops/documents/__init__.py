"""The postmortem file format (DESIGN §3):
frontmatter and sections, render, template, schemas, checks.
"""
