"""Import Assessment Question Count against a real SFTP server and real databases."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.jobs.assessments.import_assessment_question_count import (
    ImportAssessmentQuestionCount,
    QuestionCountParams,
)
from job_library.schemas.district_assessments import item_bank_question_counts
from tests.job_library.district import fingerprint, load
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
BEFORE = {("focus", "MA.1"): 10, ("focus", "MA.9"): 5, ("certica", "ELA.1"): 7}
FILE = (
    "\n".join(
        [
            "item_bank,standard,question_count",
            "focus,MA.1,12",
            "focus,MA.2,0",
            "Certica,MA.1,40",
            "pearson,MA.1,3",  # no such bank
            "focus,,3",  # no standard
            "focus,MA.3,many",  # not a number
            "focus,MA.1,13",  # MA.1 of focus again
        ]
    )
    + "\n"
)


@pytest.fixture(autouse=True)
def drop_folder(request: pytest.FixtureRequest) -> None:
    if "sftp" in request.fixturenames:
        request.getfixturevalue("sftp").folder("assessments/item_banks")


def _district(engine):
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(item_bank_question_counts),
            [
                dict(item_bank=b, standard=s, question_count=n, updated_at=NOW)
                for (b, s), n in BEFORE.items()
            ],
        )


def _counts(engine):
    t = item_bank_question_counts
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.item_bank, t.c.standard, t.c.question_count)).all()
    return {(b, s): n for b, s, n in rows}


def _run(engine, sftp, now=NOW, **params):
    with sftp.client() as client:
        return run_in_transaction(
            engine,
            ImportAssessmentQuestionCount(),
            QuestionCountParams(**params),
            now=now,
            remote=SftpFiles(client),
        )


def test_each_named_bank_is_replaced_by_the_file(db, sftp):
    _district(db)
    sftp.put("assessments/item_banks/counts.csv", FILE)
    result = _run(db, sftp)
    assert result.success, result.summary
    assert _counts(db) == {
        ("focus", "MA.1"): 12,
        ("focus", "MA.2"): 0,
        ("certica", "MA.1"): 40,
    }
    assert result.counts["counts_changed"] == 5
    assert result.counts["rows_not_imported"] == 4
    assert "line 5: item_bank 'pearson' is not one of focus, certica" in result.text
    assert "line 6: standard is empty or longer than 40 characters" in result.text
    assert "line 7: question_count 'many' is not a whole number" in result.text
    assert "line 8: standard MA.1 of focus appears again" in result.text
    assert "item bank focus, standard MA.9, questions before 5, questions now -" in result.text
    processed = sftp.root / "assessments" / "item_banks" / "processed"
    assert [p.name for p in processed.iterdir()] == ["20261128020000-counts.csv"]


def test_changed_counts_listing_is_capped(db, sftp):
    _district(db)
    sftp.put("assessments/item_banks/counts.csv", FILE)
    result = _run(db, sftp, max_listed=2)
    # Five changes as in test_each_named_bank_is_replaced_by_the_file; by bank and standard
    # the first two are certica's ELA.1 (dropped) and MA.1 (new); all five are written.
    assert result.counts["counts_changed"] == 5
    assert result.text.count("  item bank ") == 2
    assert "item bank certica, standard ELA.1, questions before 7, questions now -" in result.text
    assert "item bank certica, standard MA.1, questions before -, questions now 40" in result.text
    assert "... and 3 more (listing capped at 2)." in result.text
    assert _counts(db) == {
        ("focus", "MA.1"): 12,
        ("focus", "MA.2"): 0,
        ("certica", "MA.1"): 40,
    }


def test_a_bank_the_file_does_not_name_is_untouched(db, sftp):
    _district(db)
    sftp.put(
        "assessments/item_banks/focus.csv", "item_bank,standard,question_count\nfocus,MA.1,10\n"
    )
    result = _run(db, sftp)
    assert _counts(db) == {("focus", "MA.1"): 10, ("certica", "ELA.1"): 7}
    assert result.counts["counts_changed"] == 1  # MA.9 dropped


def test_second_run_changes_nothing(db, sftp):
    _district(db)
    sftp.put("assessments/item_banks/counts.csv", FILE)
    _run(db, sftp)
    before = fingerprint(db)
    sftp.put("assessments/item_banks/again.csv", FILE.replace("focus,MA.1,13\n", ""))
    again = _run(db, sftp, now=NOW + dt.timedelta(hours=1))
    assert again.counts["counts_changed"] == 0
    assert fingerprint(db) == before


def test_an_error_midway_changes_nothing_and_the_file_stays(db, sftp, monkeypatch):
    from job_library.jobs.assessments import _question_count_work

    _district(db)
    before = fingerprint(db)
    sftp.put("assessments/item_banks/counts.csv", FILE)

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_question_count_work, "scratch_table", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        _run(db, sftp)
    assert fingerprint(db) == before
    assert (sftp.root / "assessments" / "item_banks" / "counts.csv").exists()
