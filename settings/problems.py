"""Config problems, collected across a whole file and reported together."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

WHOLE_FILE = "-"  # the section of a problem of the whole file (not found, not text, not parsed)
# Where the summary of the keys PySEB does not use sends a user for each one's reason: the daemon's start and its
# check (which lists them), a refused config (whose check lists nothing until its problems are fixed).
UNUSED_WHY = "why, for each: --check, and docs/migrating-from-the-seed.md"
UNUSED_WHY_REFUSED = "why, for each: docs/migrating-from-the-seed.md, or --check once the problems above are fixed"


def unused_why_elsewhere(path: str) -> str:
    """Where a tool other than the daemon (the calibration sweep, the lag measure) sends a user for each unused key's
    reason: the daemon's check of the file at `path`, named whole (the tool has no --check of its own)."""
    return f"why, for each: python3 regulation.py -c {shlex.quote(path)} --check, and docs/migrating-from-the-seed.md"


def unused_why_refused_elsewhere(path: str) -> str:
    """UNUSED_WHY_REFUSED for a tool other than the daemon (`simulation replay`, `tune`) refusing the daemon's own
    problems of the file at `path`: the daemon's check named whole (the tool has no --check of its own)."""
    return (f"why, for each: docs/migrating-from-the-seed.md, or python3 regulation.py -c {shlex.quote(path)} --check "
            "once the problems above are fixed")


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a config file: where (section, key) and what."""

    section: str
    key: str | None
    message: str
    # A key or section PySEB accepts and does nothing with (the seed's [debug] simul_prod, a spare load's section):
    # nothing to do but delete it. Named together in one line (unused_summary), each with its reason only where asked
    # for (the start's debug level, --check): the seed's sample had ten such lines at every start, burying the
    # warnings that ask for something.
    unused: bool = False

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

    def render(self, why: str = UNUSED_WHY_REFUSED) -> str:
        """The full report, one problem a line, then one warning a line (the keys PySEB does not use in one line of
        their own, as at a start, telling where each one's reason is: `why`)."""
        lines = [f"{self.path}: {len(self.problems)} problem(s) in the configuration:"]
        lines += ["  " + p.render(self.path) for p in self.problems]
        warned = warning_lines(self.path, self.warnings, why)
        if warned:
            lines.append(f"{self.path}: {len(warned)} warning(s) as well:")
            lines += ["  " + w for w in warned]
        return "\n".join(lines)


def warning_lines(path: str, warnings: Sequence[ConfigProblem], why: str = UNUSED_WHY) -> list[str]:
    """The warnings of the file at `path` as said: each one a line, those of the keys PySEB does not use (`unused`)
    in one line at the end, telling where each one's reason is (`why`)."""
    lines = [w.render(path) for w in warnings if not w.unused]
    unused = [w for w in warnings if w.unused]
    if unused:
        lines.append(unused_summary(path, unused, why))
    return lines


def unused_summary(path: str, unused: Sequence[ConfigProblem], why: str = UNUSED_WHY) -> str:
    """One line naming the keys and sections PySEB does not use, by section in the order the loader reads them:
    `config.ini: 3 keys and 1 section that PySEB does not use, ignored: [debug] simul_prod, debug_file; [evaluate]
    ecs_full_capacity; section [soufflant_a]; delete them to silence this (why, for each: ...)`."""
    keys: dict[str, list[str]] = {}
    sections: list[str] = []
    for problem in unused:
        if problem.key is None:
            sections.append(problem.section)
        elif problem.key not in keys.setdefault(problem.section, []):
            keys[problem.section].append(problem.key)
    key_count = sum(len(names) for names in keys.values())
    counted = [f"{count} {what}{'s' if count > 1 else ''}"
               for count, what in ((key_count, "key"), (len(sections), "section")) if count]
    named = [f"[{section}] {', '.join(names)}" for section, names in keys.items() if names]
    named += [f"section [{section}]" for section in sections]
    them = "them" if key_count + len(sections) > 1 else "it"  # (a key named once, however many warnings it has)
    return (f"{path}: {' and '.join(counted)} that PySEB does not use, ignored: {'; '.join(named)}; delete {them} to "
            f"silence this ({why})")
