"""Errors that stop a run with exit code 2 (usage, configuration, rule files)."""

from __future__ import annotations


class PcilintError(Exception):
    """A user-facing error: one line, naming the file, line and field where it can."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        from pcilint.masking import mask_text

        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        what = f"{self.field}: " if self.field else ""
        # One line, and never a card number or key a config or rule file happened to contain.
        return mask_text(" ".join(f"{where}{what}{self.detail}".split()))


class ConfigError(PcilintError):
    pass


class RuleError(PcilintError):
    pass
