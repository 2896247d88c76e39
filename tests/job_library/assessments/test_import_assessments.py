"""Import Assessments against a real SFTP server (OpenSSH on loopback) and real databases,
values worked out by hand on tests/job_library/assessments/district.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.jobs.assessments import _import_assessments_work
from job_library.jobs.assessments.import_assessments import (
    ImportAssessments,
    ImportAssessmentsParams,
)
from job_library.schema import processed_files
from job_library.schemas.district_assessments import (
    district_assessment_responses,
    district_assessment_results,
)
from tests.job_library.assessments.district import load_assessments, results
from tests.job_library.district import fingerprint
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
NAME = "results_2026-11-27.csv"
FILE = (
    "\n".join(
        [
            "assessment_id,student_id,item_no,response,completed_at",
            "VEN-1,5,1,B,2026-11-27T10:00:00-05:00",  # 5 answers again: B c D -> 4 of 4
            "VEN-1,5,2,c,2026-11-27T10:00:00-05:00",
            "VEN-1,5,3,D,2026-11-27T10:05:00-05:00",
            "VEN-1,6,1,A,2026-11-27T11:00:00-05:00",  # 6: a first result, 0 of 4
            "VEN-9,1,1,A,2026-11-27T11:00:00-05:00",  # no such assessment
            "VEN-1,99,1,A,2026-11-27T11:00:00-05:00",  # no such student
            "VEN-1,1,x,A,2026-11-27T11:00:00-05:00",  # item not a number
            "VEN-1,1,7,A,2026-11-27T11:00:00-05:00",  # not in the key
            "VEN-1,1,1,A,yesterday",  # not a time
            "VEN-1,1,1,A,2026-11-27T11:00:00",  # no UTC offset
            "VEN-1,6,1,B,2026-11-27T11:00:00-05:00",  # question 1 of student 6 again
        ]
    )
    + "\n"
)
PROCESSED = f"assessments/results/processed/20261128020000-{NAME}"


@pytest.fixture(autouse=True)
def drop_folder(request: pytest.FixtureRequest) -> None:
    """/assessments/results made by the administrator, writable by the SFTP user."""
    if "sftp" in request.fixturenames:
        request.getfixturevalue("sftp").folder("assessments/results")


def _run(engine, sftp, now=NOW):
    with sftp.client() as client:
        return run_in_transaction(
            engine,
            ImportAssessments(),
            ImportAssessmentsParams(),
            now=now,
            remote=SftpFiles(client),
        )


def _answers(engine, student):
    r = district_assessment_responses
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(r.c.item_no, r.c.response).where(
                    r.c.assessment_id == 1, r.c.student_id == student
                )
            ).all()
        )


def test_file_is_imported_scored_and_moved(db, sftp):
    load_assessments(db)
    sftp.put(f"assessments/results/{NAME}", FILE)
    result = _run(db, sftp)
    assert result.success, result.summary
    assert _answers(db, 5) == {1: "B", 2: "c", 3: "D"}
    assert _answers(db, 6) == {1: "A"}
    assert results(db) == {(1, 1): (3, 4), (1, 4): (2, 4), (1, 5): (4, 4), (1, 6): (0, 4)}
    with db.connect() as conn:
        done = conn.execute(
            sa.select(district_assessment_results.c.completed_at).where(
                district_assessment_results.c.student_id == 5
            )
        ).scalar_one()
    assert done.replace(tzinfo=done.tzinfo or dt.UTC) == dt.datetime(
        2026, 11, 27, 15, 5, tzinfo=dt.UTC
    )
    assert dict(result.counts) == {
        "files": 1,
        "rows": 11,
        "rows_not_imported": 7,
        "answers": 4,
        "students": 2,
        "results_changed": 2,
        "unreadable_files": 0,
    }
    text = result.text
    assert "line 6: assessment 'VEN-9': no District Assessment has that id" in text
    assert "line 7: student 99: no such student" in text
    assert "line 8: item_no 'x' is not a whole number" in text
    assert "line 9: question 7 is not in the answer key of assessment VEN-1" in text
    assert "line 10: completed_at 'yesterday' is not a date and time" in text
    assert "line 11: completed_at '2026-11-27T11:00:00' is not a date and time" in text
    assert "line 12: question 1 of student 6 appears again in this file" in text
    assert "assessment 1, student 5, points 4, possible 4" in text
    assert not (sftp.root / "assessments" / "results" / NAME).exists()
    assert (sftp.root / PROCESSED).is_file()


def test_second_run_and_the_same_file_again_change_nothing(db, sftp):
    load_assessments(db)
    sftp.put(f"assessments/results/{NAME}", FILE)
    _run(db, sftp)
    before = fingerprint(db)
    empty = _run(db, sftp)
    assert empty.summary == "Import Assessments: no file in /assessments/results; nothing to do."
    sftp.put(f"assessments/results/{NAME}", FILE)
    again = _run(db, sftp, now=NOW + dt.timedelta(hours=1))
    assert again.success
    assert "identical to /" in again.text and "not applied again" in again.text
    assert fingerprint(db) == before
    assert not (sftp.root / "assessments" / "results" / NAME).exists()


def test_unreadable_file_stays_and_the_run_fails(db, sftp):
    load_assessments(db)
    before = fingerprint(db)
    sftp.put("assessments/results/broken.csv", "student,answer\n1,A\n")
    result = _run(db, sftp)
    assert not result.success
    assert "header 'student,answer': expected assessment_id" in result.text
    assert (sftp.root / "assessments" / "results" / "broken.csv").exists()
    assert fingerprint(db) == before


def test_an_error_midway_changes_nothing_and_the_file_stays(db, sftp, monkeypatch):
    load_assessments(db)
    before = fingerprint(db)
    sftp.put(f"assessments/results/{NAME}", FILE)

    def broken(*args):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_import_assessments_work, "score", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        _run(db, sftp)
    assert fingerprint(db) == before
    assert (sftp.root / "assessments" / "results" / NAME).exists()
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(processed_files)).scalar() == 0


def test_the_dag_waits_for_result_files_on_the_vendor_connection():
    from job_library.base import RemoteSource
    from job_library.jobs.assessments.import_assessment_question_count import (
        ImportAssessmentQuestionCount,
        QuestionCountParams,
    )

    assert ImportAssessments.remote_source(ImportAssessmentsParams()) == RemoteSource(
        "assessments_sftp", "/assessments/results", "*.csv"
    )
    assert ImportAssessmentQuestionCount.remote_source(QuestionCountParams()) == RemoteSource(
        "assessments_sftp", "/assessments/item_banks", "*.csv"
    )
