"""The INI file itself: its text read (settings.slips) and parsed with PySEB's rules (`%%` read as `%`, no other
interpolation, `;` comments, keys in lower case). The daemon, the simulator and the calibration sweep all parse with
`read_parser`; a config written back (tune's and the benchmark's variants, the demo's) doubles each `%` again."""

from __future__ import annotations

import configparser
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from settings.problems import WHOLE_FILE, ConfigError, ConfigProblem
from settings.slips import config_text, shown_line, without_secret_lines
from settings.version import DEFAULT_CONFIG, PYSEB_NAME


class NoConfigHere(Exception):
    """A tool was given no config (-c) and the current folder has no DEFAULT_CONFIG; the message says so."""


def given_or_default_config(config: str | Path | None, who: str, why: str) -> Path:
    """The config given with -c, else DEFAULT_CONFIG when the current folder has one, as regulation.py takes it;
    NoConfigHere, saying that `who` (a command, "a date") needs -c `why` (what for) when neither."""
    if config is not None:
        return Path(config)
    if not Path(DEFAULT_CONFIG).exists():
        # (regulation.py's 'file not found; start from the sample' would be wrong advice for a user who has a config
        # elsewhere and ran the tool from another folder: the usual case when the tool is not run from PySEB's)
        raise NoConfigHere(f"{who} needs -c {DEFAULT_CONFIG} {why}, and there is no {DEFAULT_CONFIG} in the current "
                           f"folder")
    return Path(DEFAULT_CONFIG)


class DoubledPercent(configparser.Interpolation):
    """`%%` in a value is one `%`, as the seed's parser (configparser's BasicInterpolation) read it: a seed config
    that works says `"brightness": 100%%` (a single `%` crashed the seed), and PySEB sent `100%%` to Domoticz. A single
    `%` stays as it is (PySEB's own users may have written one), and nothing else is interpolated (`%(name)s` is
    text). Applied once, as the file is read: the parser then holds the values, and `raw` reads see them too. A
    parser written back doubles every `%`, so that the file it writes reads as the same values."""

    def before_read(self, parser: Any, section: str, option: str, value: str) -> str:
        """The value as read: each `%%` one `%`."""
        return value.replace("%%", "%")

    def before_write(self, parser: Any, section: str, option: str, value: str) -> str:
        """The value as written: each `%` doubled (`100%` is written `100%%`, and read back `100%`)."""
        return value.replace("%", "%%")


def read_parser(path: Path) -> configparser.ConfigParser:
    """Parse the INI file itself; syntax errors become a ConfigError."""
    # Values such as json_on = {"command": ...} hold '%' and ':' freely: no interpolation but the seed's `%%`.
    cp = configparser.ConfigParser(interpolation=DoubledPercent(), inline_comment_prefixes=(";",), strict=True)
    cp.optionxform = str.lower  # type: ignore[assignment,method-assign]
    text = ""
    try:
        text = config_text(path.read_bytes())
        cp.read_string(text, str(path))
    except FileNotFoundError:
        missing = ConfigProblem(WHOLE_FILE, None, f"file not found; {_sample_hint(path)}")
        raise ConfigError(str(path), [missing]) from None
    except IsADirectoryError:  # ("cannot parse: [Errno 21] Is a directory": -c ~/pyseb for -c ~/pyseb/config.ini)
        folder = ConfigProblem(WHOLE_FILE, None, f"is a folder, not a config file: give the file, -c "
                                                 f"{shlex.quote(str(path / DEFAULT_CONFIG))}")
        raise ConfigError(str(path), [folder]) from None
    except PermissionError:
        # ("cannot parse: [Errno 13] Permission denied" sent users to look for a syntax error: a config copied with
        # sudo is root's, and the service runs as its own user)
        user = _user_name()
        closed = next((folder for folder in reversed(path.absolute().parents) if not os.access(folder, os.X_OK)), None)
        why = (f"{user} cannot enter the folder {closed}: sudo chmod o+x {closed}, or put the config in a folder of "
               f"{user}'s" if closed is not None else
               f"give it to {user}: sudo chown {user} {path} (not chmod a+r: it may hold the broker's password)")
        raise ConfigError(str(path), [ConfigProblem(WHOLE_FILE, None,
                                                    f"cannot read it as {user} (permission denied): {why}")]) from None
    except ValueError as exc:  # (not text: a configparser.Error is none)
        raise ConfigError(str(path), [ConfigProblem(WHOLE_FILE, None, str(exc))]) from None
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
        # (the parser stops at a duplicate before it says the lines it could not read: a header missing its ']' moved
        # the keys under it into the section above, said "set twice" there, the line at fault never named)
        raise ConfigError(str(path), [*_unparsed(text), _twice(exc, text)]) from None
    except configparser.ParsingError as exc:  # (MissingSectionHeaderError too: a line before any header)
        raise ConfigError(str(path), _unparsed(text) or [_parse_failure(exc)]) from None
    except (configparser.Error, OSError) as exc:
        raise ConfigError(str(path), [_parse_failure(exc)]) from None
    return cp


def _parse_failure(exc: Exception) -> ConfigProblem:
    """configparser's own words, the line it quotes cut where it holds a password or a key."""
    message = without_secret_lines(str(exc)).replace("\n", " ")
    return ConfigProblem(WHOLE_FILE, None, f"cannot parse: {message}")


def _unparsed(text: str) -> list[ConfigProblem]:
    """Each line of `text` the parser cannot read, by its number, with what to write instead: configparser's
    "Source contains parsing errors: 'config.ini' [line 18]: 'max_power 1000\\n'" and "File contains no section
    headers" said nothing of what to do. (Its lines quoted as they are, cut where they hold a password or a key.)"""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",), strict=False)
    lines = text.split("\n")  # (as the parser counts them: not splitlines(), which splits at a form feed too)
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as exc:
        return [ConfigProblem(WHOLE_FILE, None, f"cannot parse: line {exc.lineno}, {_quoted(lines[exc.lineno - 1])}, "
                              "comes before any [section] header: move it under the section it belongs to "
                              "(docs/configuration.md lists each key's)")]
    except configparser.ParsingError as exc:
        return [_unparsed_line(number, lines[number - 1]) for number, _ in exc.errors]
    except configparser.Error:
        return []
    return []


def _unparsed_line(number: int, line: str) -> ConfigProblem:
    """Line `number`, `line`, which is no header nor a key = value line."""
    line = line.strip()
    if line.startswith("[") and "]" not in line:
        advice = f"is a section's header without its closing ']': write {line}]"
    else:
        advice = ("is neither a [section] header nor a key = value line: write the key, then =, then its value (a "
                  "comment's line starts with # or ;)")
    return ConfigProblem(WHOLE_FILE, None, f"cannot parse: line {number}, {_quoted(line)}, {advice}")


def _quoted(line: str) -> str:
    """A line of the file as a message quotes it: stripped, in quotes, cut where it holds a password or a key (its
    name in quotes too, `'password' s3cret`)."""
    line = line.strip()
    bare = line.lstrip("'\"")
    shown = shown_line(bare)
    return without_secret_lines(repr(shown if shown != bare else line))


def _twice(exc: configparser.DuplicateSectionError | configparser.DuplicateOptionError, text: str) -> ConfigProblem:
    """A section or a key written twice, said with both lines and what to do: configparser's "While reading from
    'config.ini' [line 347]: section 'radiator' already exists" named the second only, and no way out. (Names and line
    numbers only: a password's value is never shown.)"""
    lines = text.splitlines()
    if isinstance(exc, configparser.DuplicateSectionError):
        first = next((number for number, _ in _keys(lines, exc.section)), None)
        load = exc.section.lower() in {key for _, key in _keys(lines, "equipments")}
        return ConfigProblem(exc.section, None, f"the section is written twice (lines {first} and {exc.lineno}): "
                             "merge the second one's keys into the first, then delete it"
                             + (" (for a second load, give it a name of its own, in [equipments] too)" if load else ""))
    first = next((number for number, key in _keys(lines, exc.section) if key == exc.option), None)
    return ConfigProblem(exc.section, exc.option, f"set twice in the section (lines {first} and {exc.lineno}): delete "
                         "the line you do not mean")


def _keys(lines: list[str], section: str) -> Iterator[tuple[int, str | None]]:
    """The first header of `section` in `lines` (its line number, None), then each key it sets (line number, the key
    in lower case, as the parser names it), up to the next header."""
    header = re.compile(rf"\s*\[{re.escape(section)}\]")
    inside = False
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("["):
            if inside:
                return
            inside = header.match(line) is not None
            if inside:
                yield number, None
        elif inside and line and not line[0].isspace() and line[0] not in "#;" \
                and (found := re.match(r"([^=:]+?)\s*[=:]", line)):
            yield number, found.group(1).strip().lower()


def _user_name() -> str:
    """Who this process runs as, by name where the system has one."""
    try:
        import pwd  # (not on Windows)

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):  # (KeyError: a uid with no name, as in some containers)
        return str(os.geteuid()) if hasattr(os, "geteuid") else "the user PySEB runs as"  # (chown takes a uid)


def _sample_hint(path: Path) -> str:
    """How to make the missing file: copy the sample that sits beside regulation.py (a checkout), or the one `pip
    install .` put in <prefix>/share/pyseb (regulation.py is then in <prefix>/lib/pythonX.Y/site-packages)."""
    root = Path(__file__).resolve().parent.parent
    candidates = [root / "config.ini.sample"]
    if len(root.parents) > 2:
        candidates.append(root.parents[2] / "share" / PYSEB_NAME / "config.ini.sample")
    sample = next((c for c in candidates if c.is_file()), candidates[0])
    try:
        shown = sample.relative_to(Path.cwd())
    except ValueError:
        shown = sample
    # (quoted for a shell where needed: `cp config.ini.sample my pyseb/house.ini` copied nothing)
    return f"start from the sample: cp {shlex.quote(str(shown))} {shlex.quote(str(path))}, then edit it"
