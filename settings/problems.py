"""Config problems, collected across a whole file and reported together."""

from __future__ import annotations

from dataclasses import dataclass

WHOLE_FILE = "-"  # the section of a problem of the whole file (not found, not text, not parsed)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: where (section, key) and what."""

    section: str
    key: str | None
    message: str

    def render(self, path: str) -> str:
        """One line naming file, section, key and the problem (the file alone for a problem of the whole file: its
        section "-" printed as "[-]", which a user took for a section of that name)."""
        if self.section == WHOLE_FILE:
            return f"{path}: {self.message}"
        where = f"[{self.section}]" + (f" {self.key}" if self.key else "")
        return f"{path}: {where}: {self.message}"


class ConfigError(Exception):
    """A config file that cannot be used; `problems` lists everything wrong in it, `warnings` what would only
    have been warned about (a typo's "did you mean" often explains an error: both are shown at once)."""

    def __init__(self, path: str, problems: list[ConfigProblem], warnings: list[ConfigProblem] | None = None) -> None:
        self.path = path
        self.problems = problems
        self.warnings = list(warnings or [])
        super().__init__(self.render())

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, list[ConfigProblem], list[ConfigProblem]]]:
        # (pickled as its own arguments: raised in a worker process of the benchmark or of `simulation tune`, it came
        # back as "BrokenProcessPool", Exception's pickling passing the message alone to __init__)
        return (self.__class__, (self.path, self.problems, self.warnings))

    def render(self) -> str:
        """The full report, one problem a line, then one warning a line."""
        lines = [f"{self.path}: {len(self.problems)} problem(s) in the configuration:"]
        lines += ["  " + p.render(self.path) for p in self.problems]
        if self.warnings:
            lines.append(f"{self.path}: {len(self.warnings)} warning(s) as well:")
            lines += ["  " + w.render(self.path) for w in self.warnings]
        return "\n".join(lines)
