"""Realistic incidents as real git repositories, each knowing its culprit commit.

`catalog.SCENARIOS` holds the declarative scenarios; `build.build_scenario` turns one into a
git repository plus an incident file (schemas/incident.schema.json).
"""
