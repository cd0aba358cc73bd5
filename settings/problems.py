"""Config problems, collected across a whole file and reported together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: where (section, key) and what."""

    section: str
    key: str | None
    message: str

    def render(self, path: str) -> str:
        """One line naming file, section, key and the problem."""
        where = f"[{self.section}]" + (f" {self.key}" if self.key else "")
        return f"{path}: {where}: {self.message}"


class ConfigError(Exception):
    """A config file that cannot be used; `problems` lists everything wrong in it."""

    def __init__(self, path: str, problems: list[ConfigProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """The full report, one problem a line."""
        head = f"{self.path}: {len(self.problems)} problem(s) in the configuration:"
        return "\n".join([head] + ["  " + p.render(self.path) for p in self.problems])
