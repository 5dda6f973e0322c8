"""The lifecycle rules (DESIGN §4-5):
status transitions, quota, code owners, approvals, the publish gate, trailers.
"""
