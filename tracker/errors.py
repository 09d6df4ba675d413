"""Errors that reach a user as one Chinese line (the CLI prints them without a traceback)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad config, bad argument, unknown name."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(UserError):
    """A bad configuration file or environment variable; the message names file, line and key."""

    exit_code = 3
