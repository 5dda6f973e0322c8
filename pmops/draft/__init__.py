"""Drafters: a deterministic one from evidence alone, and an LLM one that stays grounded."""
