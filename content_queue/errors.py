"""Errors the officer can act on. Each says what is wrong and how to fix it."""
from __future__ import annotations

from .i18n import ngettext


class UserError(Exception):
    """Bad input or a state the officer must change; shown as one line, never a traceback.

    ``fix`` says how to put it right at the command line; ``web_fix``, where the way differs, says
    it in the workspace's terms (a field, a button) instead of an option or a command."""

    def __init__(self, message: str, *, fix: str | None = None, web_fix: str | None = None) -> None:
        self.message, self.fix, self.web_fix = message, fix, web_fix
        super().__init__(message if not fix else f"{message} {fix}")

    def on_the_web(self) -> str:
        """The error as the workspace shows it."""
        fix = self.web_fix or self.fix
        return f"{self.message} {fix}" if fix else self.message


class NotFound(UserError):
    pass


class ValidationFailed(UserError):
    """One or more rules broken; ``problems`` lists every one of them."""

    def __init__(self, problems: list) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        head = ngettext("{n} problem found:", "{n} problems found:", len(lines))
        super().__init__(head + "\n" + "\n".join(f"  - {line}" for line in lines))
