"""Evidence sources: one module per source, each answering with plain model types."""
