"""Generate Test Score Report records on SQLite and Postgres, with a folder laid out by hand."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.defaults import default_document
from job_library.jobs.florida import test_score_reports as module
from job_library.jobs.florida.test_score_reports import (
    GenerateTestScoreReportRecords,
    ScoreReportFilesParams,
    name_problem,
)
from job_library.schemas.enrollment import students
from job_library.schemas.florida_reporting import test_score_reports
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 19, 0, tzinfo=ZoneInfo("America/New_York"))
SETTLED = NOW.timestamp() - 61  # older than the settle time
FRESH = NOW.timestamp() - 59  # still being uploaded


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        for sid in (1, 2, 3):
            conn.execute(
                sa.update(students)
                .where(students.c.student_id == sid)
                .values(fleid=f"FL{sid:012d}")
            )


def _put(tmp_path, name: str, mtime: float = SETTLED) -> None:
    folder = tmp_path / "uploaded-assets" / "test_score_reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"%PDF-1.4 report")
    os.utime(path, (mtime, mtime))


def _run(engine, tmp_path, **params):
    return run_in_transaction(
        engine,
        GenerateTestScoreReportRecords(),
        ScoreReportFilesParams(**params),
        now=NOW,
        district_files=tmp_path,
    )


def _rows(engine) -> set[tuple]:
    t = test_score_reports
    with engine.connect() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.select(t.c.file_name, t.c.student_id, t.c.test_name, t.c.report_year)
            )
        }


FOLDER = {
    "FL000000000001_FAST_2026.pdf": SETTLED,  # student 1
    "fl000000000002_fast_2025.PDF": SETTLED,  # any letter case: student 2, test FAST
    "FL000000000003_EOC_2026.pdf": FRESH,  # 59 s old: waits
    "FL000000000001_B.E.S.T_2026.pdf": SETTLED,  # dots in the test name: invalid
    "FL000000000009_FAST_2026.pdf": SETTLED,  # nobody has this FLEID
    "FL000000000000_FAST_2026.pdf": SETTLED,  # all zeros
    "FL00000000001_FAST_2026.pdf": SETTLED,  # eleven digits
    "notes.txt": SETTLED,
    ".hidden_FL000000000001_X_2026.pdf": SETTLED,  # hidden: silently skipped
}


def _folder(tmp_path) -> None:
    for name, mtime in FOLDER.items():
        _put(tmp_path, name, mtime)


def test_valid_files_add_rows_bad_ones_are_listed_fresh_ones_wait(db, tmp_path):
    _district(db)
    _folder(tmp_path)
    result = _run(db, tmp_path)
    assert _rows(db) == {
        ("FL000000000001_FAST_2026.pdf", 1, "FAST", 2026),
        ("fl000000000002_fast_2025.PDF", 2, "FAST", 2025),
    }
    assert result.success
    assert result.counts == {"added": 2, "removed": 0, "ignored": 5, "waiting": 1}
    assert result.summary == (
        "Added 2 and removed 0 test score report record(s); 5 file(s) ignored, 1 still being "
        "uploaded (next run)."
    )
    text = result.text
    assert "  added: FL000000000001_FAST_2026.pdf (student 1, Last1, First1)" in text
    assert (
        "  ignored: FL000000000001_B.E.S.T_2026.pdf: the name is not <FLEID>_<TEST>_<YEAR>.pdf"
        in text
    )
    assert "  ignored: FL000000000000_FAST_2026.pdf: the FLEID is all zeros" in text
    assert "  ignored: FL000000000009_FAST_2026.pdf: no student has this FLEID" in text
    assert "  ignored: notes.txt: the name is not <FLEID>_<TEST>_<YEAR>.pdf" in text
    assert "  waiting: FL000000000003_EOC_2026.pdf" in text
    assert "hidden" not in text
    assert "<td>FL000000000009_FAST_2026.pdf</td><td>no student has this FLEID</td>" in result.html


def test_second_run_changes_nothing_then_settled_and_deleted_files_are_applied(db, tmp_path):
    _district(db)
    _folder(tmp_path)
    _run(db, tmp_path)
    again = _run(db, tmp_path)
    assert again.counts == {"added": 0, "removed": 0, "ignored": 5, "waiting": 1}
    assert len(_rows(db)) == 2
    folder = tmp_path / "uploaded-assets" / "test_score_reports"
    os.utime(folder / "FL000000000003_EOC_2026.pdf", (SETTLED, SETTLED))
    (folder / "FL000000000001_FAST_2026.pdf").unlink()
    third = _run(db, tmp_path)
    assert third.counts == {"added": 1, "removed": 1, "ignored": 5, "waiting": 0}
    assert "  removed: FL000000000001_FAST_2026.pdf (student 1, Last1, First1)" in third.text
    assert _rows(db) == {
        ("fl000000000002_fast_2025.PDF", 2, "FAST", 2025),
        ("FL000000000003_EOC_2026.pdf", 3, "EOC", 2026),
    }


def test_a_file_still_uploading_keeps_its_row(db, tmp_path):
    _district(db)
    _put(tmp_path, "FL000000000001_FAST_2026.pdf")
    _run(db, tmp_path)
    _put(tmp_path, "FL000000000001_FAST_2026.pdf", FRESH)  # replaced by a new upload
    result = _run(db, tmp_path)
    assert result.counts == {"added": 0, "removed": 0, "ignored": 0, "waiting": 1}
    assert _rows(db) == {("FL000000000001_FAST_2026.pdf", 1, "FAST", 2026)}


def test_a_link_is_never_followed(db, tmp_path):
    _district(db)
    _put(tmp_path, "FL000000000001_FAST_2026.pdf")
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"x")
    link = tmp_path / "uploaded-assets" / "test_score_reports" / "FL000000000002_FAST_2026.pdf"
    link.symlink_to(outside)
    result = _run(db, tmp_path)
    assert _rows(db) == {("FL000000000001_FAST_2026.pdf", 1, "FAST", 2026)}
    assert (
        "  ignored: FL000000000002_FAST_2026.pdf: a symbolic link: links are never followed"
        in result.text
    )


def test_an_empty_folder_removes_every_row_and_a_missing_one_changes_nothing(db, tmp_path):
    _district(db)
    _put(tmp_path, "FL000000000001_FAST_2026.pdf")
    _run(db, tmp_path)
    missing = _run(db, tmp_path / "nowhere")
    assert not missing.success
    assert missing.summary == (
        "The report folder uploaded-assets/test_score_reports does not exist in the district's "
        "files (or is a link): create it and upload the reports there. Nothing changed."
    )
    assert len(_rows(db)) == 1
    (tmp_path / "uploaded-assets" / "test_score_reports" / "FL000000000001_FAST_2026.pdf").unlink()
    assert _run(db, tmp_path).counts["removed"] == 1
    assert _rows(db) == set()


def test_listing_is_capped(db, tmp_path):
    _district(db)
    _folder(tmp_path)
    result = _run(db, tmp_path, max_listed=1)
    assert "  ... and 5 more (listing capped at 1)." in result.text  # 1 of 2 added, 1 of 5 ignored
    assert result.html.count("<tr><td>") == 2


def test_a_failure_midway_leaves_the_table_as_it_was(db, tmp_path, monkeypatch):
    _district(db)
    _folder(tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk went away while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="disk went away"):
        _run(db, tmp_path)
    assert _rows(db) == set()


def test_name_rules_and_default_schedule():
    assert name_problem("FL123456789012_FAST_2026.pdf") is None
    assert name_problem("FL123456789012_FAST_26.pdf") == (
        "the name is not <FLEID>_<TEST>_<YEAR>.pdf"
    )
    assert name_problem("FL123456789012_ABCDEFGHIJKLMNOPQRSTU_2026.pdf") is not None  # 21
    assert name_problem("FL123456789012_ABCDEFGHIJKLMNOPQRST_2026.pdf") is None  # 20
    document = default_document(GenerateTestScoreReportRecords, "reports")
    assert document["weekdays"] == ["mon", "tue", "wed", "thu", "fri"]
    assert document["run_time"] == "19:00"
