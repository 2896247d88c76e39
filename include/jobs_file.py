"""The jobs YAML file: read safely within fixed limits, written with every time quoted."""

from __future__ import annotations

import re
from typing import Any

import yaml

# Limits of one import (CLI and screen); README "Bad input" lists them.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_JOBS = 5000
# Deep enough for any job's params (a mapping inside params inside a job inside the list).
MAX_DEPTH = 20

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_BASE = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one short line."""


class _JobsLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader without YAML 1.1's base-60 numbers (an unquoted 14:30 stays "14:30")
    and without merge keys (anchors and aliases are refused before loading)."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                raise ImportFileError(
                    f"line {key_node.start_mark.line + 1}: merge keys (<<) are not allowed: "
                    "write each job's fields out"
                )
        super().flatten_mapping(node)


# The YAML 1.1 int and float patterns minus their sexagesimal (base 60) forms.
_JobsLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_JobsLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_JobsLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}" if mark is not None else "the file"


def _scan(text: str) -> None:
    """Refuse anchors, aliases, deep nesting and too many jobs from the event stream alone.

    This runs before anything is built, so a refused file costs no more than reading it up to
    the first offending event (an alias bomb is never expanded).
    """
    depth = 0
    jobs = 0
    for event in yaml.parse(text, Loader=_BASE):
        if isinstance(event, yaml.AliasEvent):
            raise ImportFileError(
                f"{_where(event.start_mark)}: aliases (*{str(event.anchor)[:40]}) are not "
                "allowed: write the value out"
            )
        if getattr(event, "anchor", None):
            raise ImportFileError(
                f"{_where(event.start_mark)}: anchors (&{str(event.anchor)[:40]}) are not "
                "allowed: write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            if depth == 2 and isinstance(event, yaml.MappingStartEvent):
                jobs += 1
                if jobs > MAX_IMPORT_JOBS:
                    raise ImportFileError(
                        f"more than {MAX_IMPORT_JOBS} jobs: split the file (the limit of one "
                        "import)"
                    )
            depth += 1
            if depth > MAX_DEPTH:
                raise ImportFileError(
                    f"{_where(event.start_mark)}: nested deeper than {MAX_DEPTH} levels"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_jobs_file(data: bytes, source: str) -> list[Any]:
    """The job entries of an import file; ImportFileError (one line) when it cannot be used.

    :param data: the file's bytes (at most MAX_IMPORT_BYTES).
    :param source: how to name the file in the message (a path, ``upload``, ``-``).
    """
    try:
        return _read(data)
    except ImportFileError as exc:
        raise ImportFileError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "unreadable"
        if "nesting depth" in str(problem):  # libyaml's own limit, far above ours
            raise ImportFileError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None
        where = _where(getattr(exc, "problem_mark", None))
        raise ImportFileError(f"{source}: not valid YAML, {where}: {str(problem)[:200]}") from None
    except RecursionError:
        raise ImportFileError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None


def _read(data: bytes) -> list[Any]:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            f"{len(data):,} bytes is more than the {MAX_IMPORT_BYTES // (1024 * 1024)} MB an "
            "import may hold: split the file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    _scan(text)
    document = yaml.load(text, Loader=_JobsLoader)  # (a SafeLoader subclass)
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), list):
        raise ImportFileError("expected a mapping with a 'jobs' list (see README)")
    return document["jobs"]


class _JobsDumper(yaml.SafeDumper):
    """SafeDumper that always quotes a clock time, so no YAML reader takes it for a number,
    and writes a value shared by two jobs out twice (the import refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _CLOCK.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_JobsDumper.add_representer(str, _represent_str)


def dump_jobs(documents: list[dict[str, Any]], left_out: list[str] = ()) -> str:  # type: ignore[assignment]
    """The YAML file of ``documents``; jobs left out (invalid rows) are named in comments."""
    header = "".join(
        "# left out, invalid: " + re.sub(r"[\x00-\x1f\x7f]", " ", line)[:300] + "\n"
        for line in left_out
    )
    body = yaml.dump({"jobs": documents}, Dumper=_JobsDumper, sort_keys=False, allow_unicode=True)
    return header + body
