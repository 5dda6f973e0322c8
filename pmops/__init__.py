"""pmops: incident postmortems drafted from evidence, reviewed and published as pull requests."""

__version__ = "0.1.0"
