"""The one exception family: each carries a message meant for the user, never a traceback."""


class PmopsError(Exception):
    """Base of every error pmops reports to a user; `exit_code` is what the CLI returns."""

    exit_code = 2


class InputError(PmopsError):
    """A file, flag or payload the user gave is malformed or inconsistent."""


class ConfigError(InputError):
    """`.github/pmops.yml` is invalid; the message names the key and line."""


class SourceError(PmopsError):
    """An evidence source (git, GitHub, a metrics backend) failed."""


class TransitionError(PmopsError):
    """A lifecycle transition that the status machine refuses."""
