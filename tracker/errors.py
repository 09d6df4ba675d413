"""Errors that reach a user as one Chinese line (the CLI prints them without a traceback)."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix: bad config, bad argument, unknown name."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(UserError):
    """A bad configuration file or environment variable; the message names file, line and key.

    Always one line: a value quoted from the file may hold line breaks (TOML's \\n), shown as ⏎."""

    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎").split()))
