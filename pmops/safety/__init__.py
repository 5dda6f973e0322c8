"""Untrusted text in, safe text out:
the markdown policy, secrets, every sink's outbound policy, atomic writes.
"""
