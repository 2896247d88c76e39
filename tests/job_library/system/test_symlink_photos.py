"""Symlink Photos on SQLite and Postgres: newest photo linked, never a link out of the folder."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from job_library.jobs.system.symlink_photos import SymlinkPhotos, SymlinkPhotosParams
from job_library.schemas.system import photo_uploads
from tests.job_library.jobs_context import run_in_transaction

UTC = dt.UTC


@pytest.fixture
def photos(db, tmp_path):
    """Students 1 (two uploads), 2 (a link out), 3 (a path out), 4 (a BMP), 5 (a link inside),
    6 (a regular file where its link goes), 8 (file gone); user 7. A stale link for 9."""
    root = tmp_path / "_district" / "photos"
    uploads = root / "uploads"
    uploads.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"secret")
    for name in ("s1-old.jpg", "s1-new.JPEG", "u7.png", "s4.bmp", "s5.jpg", "s6.jpg"):
        (uploads / name).write_bytes(name.encode())
    (uploads / "evil.jpg").symlink_to(outside / "secret.jpg")
    (uploads / "inner.jpg").symlink_to("s5.jpg")
    students = root / "portal" / "students"
    students.mkdir(parents=True)
    (students / "6.jpg").write_bytes(b"put here by hand")
    (students / "9.jpg").symlink_to(outside / "secret.jpg")
    rows = [
        ("student", 1, "uploads/s1-old.jpg", 1),
        ("student", 1, "uploads/s1-new.JPEG", 2),
        ("student", 2, "uploads/evil.jpg", 1),
        ("student", 3, "../../outside/secret.jpg", 1),
        ("student", 4, "uploads/s4.bmp", 1),
        ("student", 5, "uploads/inner.jpg", 1),
        ("student", 6, "uploads/s6.jpg", 1),
        ("student", 8, "uploads/gone.jpg", 1),
        ("user", 7, "uploads/u7.png", 1),
    ]
    with db.begin() as conn:
        conn.execute(
            sa.insert(photo_uploads),
            [
                dict(
                    person_kind=k,
                    person_id=i,
                    stored_path=p,
                    uploaded_at=dt.datetime(2026, month, 1, tzinfo=UTC),
                )
                for k, i, p, month in rows
            ],
        )
    return root


def _run(db, tmp_path, **params):
    return run_in_transaction(
        db,
        SymlinkPhotos(),
        SymlinkPhotosParams(**params),
        tmp=tmp_path / "job",
        district_files=tmp_path / "_district",
    )


def _links(root) -> dict[str, str]:
    found = {}
    for folder in ("students", "users"):
        for entry in sorted((root / "portal" / folder).iterdir()):
            found[f"{folder}/{entry.name}"] = os.readlink(entry) if entry.is_symlink() else "FILE"
    return found


def test_links_the_newest_photo_and_refuses_anything_leading_outside(db, photos, tmp_path):
    result = _run(db, tmp_path)
    assert _links(photos) == {
        "students/1.jpg": "../../uploads/s1-new.JPEG",
        "students/5.jpg": "../../uploads/s5.jpg",
        "students/6.jpg": "FILE",
        "users/7.png": "../../uploads/u7.png",
    }
    assert (photos / "portal/students/1.jpg").read_bytes() == b"s1-new.JPEG"
    assert (tmp_path / "outside" / "secret.jpg").read_bytes() == b"secret"
    assert dict(result.counts) == {
        "linked": 3,
        "replaced": 0,
        "removed": 1,
        "unchanged": 0,
        "refused": 5,
    }
    text = result.text
    assert "  student 2: not linked: 'uploads/evil.jpg' leads outside" in text
    assert "  student 3: not linked: '../../outside/secret.jpg' leads outside" in text
    assert "  student 4: not a JPEG, PNG or GIF photo: uploads/s4.bmp" in text
    assert "  student 8: not linked: the photo file is missing: uploads/gone.jpg" in text
    assert "  student 6: not linked: a file that is not a link is there" in text
    assert "  student 9: removed: 9.jpg" in text


def test_second_run_changes_nothing_and_a_new_upload_replaces_the_link(db, photos, tmp_path):
    _run(db, tmp_path)
    again = _run(db, tmp_path)
    assert (again.counts["linked"], again.counts["replaced"], again.counts["removed"]) == (0, 0, 0)
    assert again.counts["unchanged"] == 3
    (photos / "uploads" / "s1-2027.png").write_bytes(b"newer")
    with db.begin() as conn:
        conn.execute(
            sa.insert(photo_uploads).values(
                person_kind="student",
                person_id=1,
                stored_path="uploads/s1-2027.png",
                uploaded_at=dt.datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
    third = _run(db, tmp_path)
    assert _links(photos)["students/1.png"] == "../../uploads/s1-2027.png"
    assert "students/1.jpg" not in _links(photos)
    assert (third.counts["linked"], third.counts["removed"]) == (1, 1)


def test_a_stale_link_to_an_older_photo_is_replaced_not_followed(db, photos, tmp_path):
    (photos / "portal/students/1.jpg").symlink_to(tmp_path / "outside" / "secret.jpg")
    result = _run(db, tmp_path)
    assert _links(photos)["students/1.jpg"] == "../../uploads/s1-new.JPEG"
    assert result.counts["replaced"] == 1
    assert (tmp_path / "outside" / "secret.jpg").read_bytes() == b"secret"


def test_a_portal_folder_that_is_a_link_is_not_used(db, photos, tmp_path):
    os.rename(photos / "portal", tmp_path / "outside" / "portal")
    (photos / "portal").symlink_to(tmp_path / "outside" / "portal")
    result = _run(db, tmp_path)
    assert result.counts["refused"] == 1 and result.counts["linked"] == 0
    assert "is a link or a file, not a folder" in result.text
    assert sorted(p.name for p in (tmp_path / "outside/portal/students").iterdir()) == [
        "6.jpg",
        "9.jpg",
    ]


def test_a_failure_midway_is_finished_by_the_next_run(db, photos, tmp_path, monkeypatch):
    from job_library.jobs.system import _photo_work

    real = _photo_work._replace_link
    made = []

    def fail_second(link, target):
        if made:
            raise OSError("No space left on device")
        made.append(link)
        real(link, target)

    monkeypatch.setattr(_photo_work, "_replace_link", fail_second)
    with pytest.raises(OSError, match="No space left"):
        _run(db, tmp_path)
    monkeypatch.setattr(_photo_work, "_replace_link", real)
    result = _run(db, tmp_path)
    assert (result.counts["linked"], result.counts["unchanged"]) == (2, 1)
    assert _links(photos)["users/7.png"] == "../../uploads/u7.png"
    assert not list((photos / "portal" / "students").glob(".*.new"))


def test_listing_is_capped(db, photos, tmp_path):
    # Nine to list: links for students 1 and 5 and user 7, the stale link of 9 removed, then
    # the five refused (students 2, 3, 4, 8, then 6 whose link place holds a file).
    result = _run(db, tmp_path, max_listed=2)
    assert result.text.splitlines()[1:] == [
        "  student 1: linked: ../../uploads/s1-new.JPEG",
        "  student 5: linked: ../../uploads/s5.jpg",
        "  ... and 7 more (listing capped at 2).",
    ]
    assert result.html.count("<tr>") == 3  # the header and two rows
    assert result.html.endswith("<p>7 more not listed.</p>")
    assert result.counts["refused"] == 5
