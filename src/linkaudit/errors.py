"""Errors that end in a one-line message and a distinct exit code, never a traceback."""

from __future__ import annotations


class LinkauditError(Exception):
    """Base class; ``exit_code`` follows DESIGN.md (2 input/usage, 3 could not run)."""

    exit_code = 2


class InputError(LinkauditError):
    """The user's input cannot be read at all (missing, binary, empty, too large)."""

    exit_code = 2


class ConfigError(LinkauditError):
    """A configuration file or option is invalid."""

    exit_code = 2


class AuditError(LinkauditError):
    """The audit itself could not run (e.g. no network at all)."""

    exit_code = 3
