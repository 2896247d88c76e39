"""The work of Symlink Photos: the newest photo per person in SQL, links made without following."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.system._district_files import OutsideFolder, district_folder, inside
from job_library.output import listed_result

if TYPE_CHECKING:
    from job_library.jobs.system.symlink_photos import SymlinkPhotosParams

PHOTOS = "photos"  # under the district's files
PORTAL = "portal"  # under the photos folder: portal/students, portal/users
EXTENSIONS = {".jpg": ".jpg", ".jpeg": ".jpg", ".png": ".png", ".gif": ".gif"}
KIND_FOLDERS = {"student": "students", "user": "users"}

# The newest upload of each person (ties: the later row).
_NEWEST = sa.text(
    """
SELECT p.person_kind, p.person_id, p.stored_path FROM photo_uploads p
WHERE NOT EXISTS (
  SELECT 1 FROM photo_uploads q
  WHERE q.person_kind = p.person_kind AND q.person_id = p.person_id
    AND (q.uploaded_at > p.uploaded_at
         OR (q.uploaded_at = p.uploaded_at AND q.photo_id > p.photo_id)))
ORDER BY p.person_kind, p.person_id
"""
)


@dataclass(frozen=True)
class _Change:
    kind: str
    person_id: int | str
    link: str
    action: str


def _real_folder(path: Path, base: Path) -> None:
    """Create ``path`` (under ``base``) as real folders; OutsideFolder when any part of it is
    a link or not a folder: it is never followed."""
    current = base
    for part in path.relative_to(base).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            current.mkdir()
            continue
        if not stat.S_ISDIR(mode):
            raise OutsideFolder(f"{current} is a link or a file, not a folder; it is not used")


def _replace_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one step (a new link renamed over the old one)."""
    fresh = link.with_name(f".{link.name}.new")
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(target)
    os.replace(fresh, link)


def link_photos(context: JobContext, params: SymlinkPhotosParams) -> JobResult:
    photos = district_folder(context, PHOTOS)
    photos.mkdir(parents=True, exist_ok=True)
    changes: list[_Change] = []
    refused: list[_Change] = []
    portal = photos / PORTAL
    wanted: dict[Path, str] = {}
    try:
        for folder in KIND_FOLDERS.values():
            _real_folder(portal / folder, photos)
    except OutsideFolder as exc:
        refused.append(_Change("portal", "-", str(portal), str(exc)))
        return _report(changes, refused, 0, params)
    for kind, person_id, stored in context.connection.execute(_NEWEST):
        folder = portal / KIND_FOLDERS[kind]
        suffix = EXTENSIONS.get(Path(stored).suffix.lower())
        if suffix is None:
            refused.append(_Change(kind, person_id, stored, "not a JPEG, PNG or GIF photo"))
            continue
        try:
            photo = inside(photos, stored)
        except OutsideFolder as exc:
            refused.append(_Change(kind, person_id, stored, f"not linked: {exc}"))
            continue
        if not photo.is_file():
            refused.append(
                _Change(kind, person_id, stored, "not linked: the photo file is missing")
            )
            continue
        link = folder / f"{person_id}{suffix}"
        wanted[link] = os.path.relpath(photo, folder.resolve())
    unchanged = 0
    for link, target in wanted.items():
        kind = link.parent.name[:-1]
        try:
            mode = os.lstat(link).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISLNK(mode):
            refused.append(
                _Change(
                    kind, link.stem, str(link), "not linked: a file that is not a link is there"
                )
            )
            continue
        if mode is not None and os.readlink(link) == target:
            unchanged += 1
            continue
        _replace_link(link, target)
        changes.append(_Change(kind, link.stem, target, "replaced" if mode else "linked"))
    # Links of people with no photo (or another type) any more; only links are removed.
    for folder in KIND_FOLDERS.values():
        for entry in sorted((portal / folder).iterdir()):
            if entry not in wanted and entry.is_symlink():
                entry.unlink()
                changes.append(_Change(folder[:-1], entry.stem, entry.name, "removed"))
    return _report(changes, refused, unchanged, params)


def _report(
    changes: list[_Change], refused: list[_Change], unchanged: int, params: SymlinkPhotosParams
) -> JobResult:
    summary = f"{len(changes)} photo link(s) made, replaced or removed; {unchanged} already right."
    if refused:
        summary += f" {len(refused)} photo(s) not linked (listed below)."
    lines = [summary]
    rows = []
    for c in changes + refused:
        lines.append(f"  {c.kind} {c.person_id}: {c.action}: {c.link}")
        rows.append((c.kind, c.person_id, c.link, c.action))
    rows = rows[: params.max_listed]
    lines = lines[: params.max_listed + 1]
    counts = {
        "linked": sum(c.action == "linked" for c in changes),
        "replaced": sum(c.action == "replaced" for c in changes),
        "removed": sum(c.action == "removed" for c in changes),
        "unchanged": unchanged,
        "refused": len(refused),
    }
    return listed_result(
        summary,
        lines,
        ("Kind", "Id", "Photo", "Action"),
        rows,
        total=len(changes) + len(refused),
        cap=params.max_listed,
        counts=counts,
    )
