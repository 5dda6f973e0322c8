"""One handler per GitHub event, dispatched from one table."""
