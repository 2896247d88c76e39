"""The district's shared files folder: where uploads and photos live, and paths inside it."""

from __future__ import annotations

import os
from pathlib import Path

from job_library.base import JobContext


class OutsideFolder(ValueError):
    """A stored path that leads outside its folder (``..``, absolute, or through a link)."""


def district_folder(context: JobContext, *parts: str) -> Path:
    """The folder ``parts`` under the district's files (the job's own folder when unset)."""
    root = context.district_files if context.district_files is not None else context.file_store
    return root.joinpath(*parts)


def inside(folder: Path, stored_path: str) -> Path:
    """``folder / stored_path`` when it stays inside ``folder`` once every link is followed.

    :raises OutsideFolder: naming the path, when it is absolute, climbs out with ``..`` or
        reaches outside through a symbolic link.
    """
    if not stored_path or os.path.isabs(stored_path) or "\x00" in stored_path:
        raise OutsideFolder(f"{stored_path!r} is not a path inside the folder")
    base = folder.resolve()
    candidate = (folder / stored_path).resolve()
    if candidate != base and base not in candidate.parents:
        raise OutsideFolder(f"{stored_path!r} leads outside {folder} (to {candidate})")
    return candidate
