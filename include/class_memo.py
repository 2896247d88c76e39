"""What the dag-processor's build needs of the job classes, kept from one parse to the next.

The dag-processor parses the DAG file every half minute, each time in a new process. A job's
DAG needs a few facts of its class (title, description, Focus module, what the site profile
must have, whether it counts school days, whether and where it waits for a file) and the
knowledge that its parameters are valid. Finding those out means importing the class's module
and validating the parameters with its model: for a district's mix of classes that import is
about a tenth of the whole parse. None of it changes unless the job library does, so the
build keeps what it learnt in a small JSON file beside the last good snapshot and, on the next
parse, imports a class only for a class or parameters it has not seen.

The file is tied to the job library's code: its version is made of the name, size and
modification time of every Python file under ``job_library/`` (as Python's own byte-code
cache is) and the pydantic version, and a file of another version is ignored. It remembers
only parameters that passed validation (a row with bad parameters is checked in full on every
parse), and only what the current rows use. A missing, unreadable or damaged file, or one that
cannot be written, costs the import and nothing else: the DAGs are the same either way
(tests/dags/test_class_memo.py). A worker never reads it: its task validates the row in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import job_library
from job_library.registry import get_job_class

if TYPE_CHECKING:
    from include.definitions import JobDefinition

log = logging.getLogger(__name__)

_LIBRARY = Path(job_library.__file__).resolve().parent
_FORMAT = 1


@dataclass(frozen=True)
class ClassFacts:
    """What a DAG needs of its job class (the attributes keep the class's names, so
    ``job_library.site.unavailable_reason`` takes either)."""

    key: str
    title: str
    description: str
    module: str
    needs_state: str | None
    needs_add_ons: frozenset[str]
    school_days_only_default: bool

    @classmethod
    def of(cls, job_class: Any) -> ClassFacts:
        return cls(
            key=job_class.key,
            title=job_class.title,
            description=job_class.description,
            module=str(job_class.module),
            needs_state=job_class.needs_state,
            needs_add_ons=frozenset(str(a) for a in job_class.needs_add_ons),
            school_days_only_default=bool(job_class.school_days_only_default),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "module": self.module,
            "needs_state": self.needs_state,
            "needs_add_ons": sorted(self.needs_add_ons),
            "school_days_only_default": self.school_days_only_default,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClassFacts:
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            description=str(data["description"]),
            module=str(data["module"]),
            needs_state=None if data["needs_state"] is None else str(data["needs_state"]),
            needs_add_ons=frozenset(str(a) for a in data["needs_add_ons"]),
            school_days_only_default=bool(data["school_days_only_default"]),
        )


# Where a file job's DAG waits: (connection, folder, pattern), or None for a job without one.
FileWait = tuple[str, str, str] | None


def library_version() -> str:
    """The job library's code as the memo knows it: every module's name, size and mtime."""
    import pydantic

    digest = hashlib.blake2b(f"{_FORMAT}:{pydantic.VERSION}".encode(), digest_size=16)
    stack = [_LIBRARY]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    digest.update(f"{entry.path}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()


def _params_key(job_class: str, params: dict[str, Any]) -> str:
    return job_class + "\n" + json.dumps(params, sort_keys=True, separators=(",", ":"))


class ClassMemo:
    """The facts of the classes and the valid parameters one parse uses, read from and
    written back to ``path`` (None: remember nothing between parses)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._version = ""
        self._classes: dict[str, ClassFacts] = {}
        self._params: dict[str, FileWait] = {}
        self._used_classes: set[str] = set()
        self._used_params: set[str] = set()
        self._learnt = False
        if path is None:
            return
        try:
            self._version = library_version()
        except Exception as exc:  # the library's folder unreadable: remember nothing
            log.warning("the job library's version cannot be read (%s); no memo", exc)
            self._path = None
            return
        self._read(path)

    def _read(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != self._version:
                return
            classes = {k: ClassFacts.from_json(v) for k, v in data["classes"].items()}
            params = {k: None if v is None else (str(v[0]), str(v[1]), str(v[2]))
                      for k, v in data["params"].items()}  # fmt: skip
        except FileNotFoundError:
            return
        except Exception as exc:  # damaged, unreadable: learnt again, the parse goes on
            log.warning("the job-class memo %s is unusable (%s); it is rebuilt", path, exc)
            return
        self._classes, self._params = classes, params

    def params_known(self, job_class: str, params: dict[str, Any]) -> bool:
        """Whether these parameters of this class passed validation before (with this code)."""
        return job_class in self._classes and _params_key(job_class, params) in self._params

    def facts(self, definition: JobDefinition) -> tuple[ClassFacts | None, FileWait]:
        """The facts of a valid definition's class (None when it is not in the catalog) and
        where its DAG waits for a file; the class is imported only when not known yet."""
        key = _params_key(definition.job_class, definition.params)
        known = self._classes.get(definition.job_class)
        if known is None or key not in self._params:
            job_class = get_job_class(definition.job_class)
            if job_class is None:
                return None, None
            known = self._classes.get(definition.job_class) or ClassFacts.of(job_class)
            self._classes[definition.job_class] = known
            self._params[key] = _file_wait(definition)
            self._learnt = True
        self._used_classes.add(definition.job_class)
        self._used_params.add(key)
        return known, self._params[key]

    def save(self) -> None:
        """Write what this parse used, when it learnt something or the file holds more; a
        failure is logged, never raised."""
        if self._path is None:
            return
        stale = set(self._classes) - self._used_classes or set(self._params) - self._used_params
        if not self._learnt and not stale:
            return
        data = {
            "version": self._version,
            "classes": {k: self._classes[k].to_json() for k in sorted(self._used_classes)},
            "params": {k: self._params[k] for k in sorted(self._used_params)},
        }
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self._path)
        except Exception as exc:  # disk full, folder unwritable: the next parse imports again
            log.warning("the job-class memo %s could not be written: %s", self._path, exc)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def _file_wait(definition: JobDefinition) -> FileWait:
    from include.job_task import file_source  # the tasks' own answer, in the memo's form

    source = file_source(definition)
    return None if source is None else (source.connection, source.folder, source.pattern)
