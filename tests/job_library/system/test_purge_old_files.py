"""Purge Old Files on SQLite and Postgres: retention by upload or withdrawal date, hold, dry run."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.system import _purge_work
from job_library.jobs.system.purge_old_files import PurgeOldFiles, PurgeOldFilesParams
from job_library.schemas.system import document_text, student_uploads
from job_library.site import AddOn
from tests.job_library.jobs_context import run_in_transaction
from tests.job_library.system.files_district import base, enroll, hold, upload, upload_field

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=NY)  # three years back: 28 Nov 2023


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


@pytest.fixture
def district(db, tmp_path):
    """Field 1: B, 3 years from upload. Field 2: B, 2 years from withdrawal. Field 3: A.
    Field 4: B without retention years. Uploads are numbered as in the comments."""
    uploads = tmp_path / "_district" / "uploads"
    with db.begin() as conn:
        base(conn, [1, 10, 11, 12, 13, 14, 15, 16])
        upload_field(conn, 1, "B", 3)
        upload_field(conn, 2, "B", 2, "withdrawal")
        upload_field(conn, 3, "A", 1)
        upload_field(conn, 4, "B", None)
        upload(conn, uploads, 1, 1, 1, at(2023, 11, 28, 23, 30))  # the anniversary: due
        upload(conn, uploads, 2, 1, 1, at(2023, 11, 29, 0, 30))  # one day short
        upload(conn, uploads, 3, 1, 3, at(2010, 1, 1))  # category A
        upload(conn, uploads, 4, 1, 4, at(2010, 1, 1))  # no retention years
        recent = at(2026, 1, 5)
        enroll(conn, 10, dt.date(2024, 8, 10), dt.date(2024, 11, 28))  # withdrew 2 years ago
        upload(conn, uploads, 10, 10, 2, recent)
        enroll(conn, 11, dt.date(2024, 8, 10), dt.date(2024, 11, 29))  # one day short
        upload(conn, uploads, 11, 11, 2, recent)
        enroll(conn, 12, dt.date(2020, 8, 10), dt.date(2021, 5, 30))
        enroll(conn, 12, dt.date(2026, 8, 10), None)  # enrolled again: no withdrawal date
        upload(conn, uploads, 12, 12, 2, at(2019, 1, 1))
        upload(conn, uploads, 13, 13, 2, at(2019, 1, 1))  # never enrolled
        upload(conn, uploads, 14, 14, 1, at(2015, 1, 1))
        hold(conn, 14)
        upload(conn, uploads, 15, 15, 1, at(2015, 1, 1))
        hold(conn, 15, on=False)
        upload(conn, uploads, 16, 16, 1, at(2015, 1, 1), name="../escape.pdf")
        conn.execute(
            sa.insert(document_text).values(
                upload_id=1, status="read", method="pdf", content="x", processed_at=NOW
            )
        )
    (tmp_path / "_district" / "escape.pdf").write_bytes(b"outside")
    return uploads


def _run(db, tmp_path, **params):
    return run_in_transaction(
        db,
        PurgeOldFiles(),
        PurgeOldFilesParams(**params),
        now=NOW,
        tmp=tmp_path / "job",
        district_files=tmp_path / "_district",
    )


def _left(db) -> list[int]:
    with db.connect() as conn:
        return sorted(conn.execute(sa.select(student_uploads.c.upload_id)).scalars())


ALL = [1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16]


def test_purges_due_category_b_files_by_upload_and_withdrawal_date(db, district, tmp_path):
    result = _run(db, tmp_path)
    assert _left(db) == [2, 3, 4, 11, 12, 13, 14, 16]
    assert result.success
    assert dict(result.counts) == {"purged": 3, "due": 3, "held": 1, "not_purged": 1}
    assert not (district / "s1/u1.pdf").exists()
    assert not (district / "s10/u10.pdf").exists()
    assert (district / "s1/u2.pdf").exists()
    assert (district / "s14/u14.pdf").exists()
    assert (tmp_path / "_district" / "escape.pdf").read_bytes() == b"outside"
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(document_text)).scalar() == 0
    assert result.summary == (
        "Purged 3 category B file(s) past their retention. 1 file(s) kept for students on "
        "Document Hold. 1 file(s) not purged (see below)."
    )
    assert "  purged: student 10 (Last10, First10), Field 2: u10.pdf (withdrawn 2024-11-28)" in (
        result.text
    )
    assert "kept (Document Hold): student 14 (Last14, First14): u14.pdf" in result.text
    assert (
        "student 16 (Last16, First16): escape.pdf: not purged: '../escape.pdf' leads outside"
        in (result.text)
    )


def test_second_run_purges_nothing(db, district, tmp_path):
    _run(db, tmp_path)
    again = _run(db, tmp_path)
    assert dict(again.counts) == {"purged": 0, "due": 0, "held": 1, "not_purged": 1}
    assert _left(db) == [2, 3, 4, 11, 12, 13, 14, 16]


def test_the_next_day_takes_the_files_one_day_short(db, district, tmp_path):
    _run(db, tmp_path)
    result = run_in_transaction(
        db,
        PurgeOldFiles(),
        PurgeOldFilesParams(),
        now=NOW + dt.timedelta(days=1),
        tmp=tmp_path / "job",
        district_files=tmp_path / "_district",
    )
    assert result.counts["purged"] == 2
    assert _left(db) == [3, 4, 12, 13, 14, 16]


def test_dry_run_lists_and_changes_nothing(db, district, tmp_path):
    result = _run(db, tmp_path, dry_run=True)
    assert _left(db) == ALL
    assert (district / "s1/u1.pdf").exists()
    assert dict(result.counts) == {"purged": 0, "due": 3, "held": 1, "not_purged": 1}
    assert result.summary.startswith("Dry run: 3 file(s) are due to be purged; nothing was")
    assert (
        "would purge: student 1 (Last1, First1), Field 1: u1.pdf (uploaded 2023-11-28)"
        in result.text
    )


def test_hold_released_lets_the_file_go(db, district, tmp_path):
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE custom_field_values SET value = 'N' WHERE record_id = 14"))
    assert _run(db, tmp_path).counts["purged"] == 4


def test_a_failure_midway_deletes_no_row_and_no_file(db, district, tmp_path, monkeypatch):
    def broken(files):
        raise AssertionError("never reached: the rows were rolled back")

    monkeypatch.setattr(_purge_work, "_unlink", broken)
    original = sa.delete

    def delete(table):
        if table is student_uploads:
            raise RuntimeError("disk full")
        return original(table)

    monkeypatch.setattr(_purge_work.sa, "delete", delete)
    with pytest.raises(RuntimeError, match="disk full"):
        _run(db, tmp_path)
    assert _left(db) == ALL
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(document_text)).scalar() == 1
    assert (district / "s1/u1.pdf").exists()


def test_listing_is_capped(db, district, tmp_path):
    # Five files to list: 16 not purged, 1, 10 and 15 due, 14 kept on hold.
    three = _run(db, tmp_path, max_listed=3, dry_run=True)
    assert three.text.splitlines()[2:] == [
        "  would purge: student 1 (Last1, First1), Field 1: u1.pdf (uploaded 2023-11-28)",
        "  would purge: student 10 (Last10, First10), Field 2: u10.pdf (withdrawn 2024-11-28)",
        "  ... and 2 more (listing capped at 3).",
    ]
    assert _run(db, tmp_path, max_listed=0, dry_run=True).text.splitlines()[1:] == [
        "  ... and 5 more (listing capped at 0)."
    ]
    result = _run(db, tmp_path, max_listed=1)
    lines = result.text.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith(
        "  student 16 (Last16, First16): escape.pdf: not purged: '../escape.pdf' leads outside"
    )
    assert lines[2] == "  ... and 4 more (listing capped at 1)."
    assert result.html.endswith("<p>4 more not listed.</p>")


def test_needs_the_document_management_add_on():
    assert PurgeOldFiles.needs_add_ons == frozenset({AddOn.DOCUMENT_MANAGEMENT})


def test_a_leap_day_counts_back_to_the_28th():
    assert _purge_work._years_back(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)
    assert _purge_work._years_back(dt.date(2028, 2, 29), 4) == dt.date(2024, 2, 29)
