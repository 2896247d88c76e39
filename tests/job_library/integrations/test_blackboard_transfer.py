"""Transfer Blackboard API Data against a fake Blackboard Learn checked against its swagger."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.integrations import _blackboard_work as work
from job_library.jobs.integrations.blackboard_transfer import (
    BlackboardParams,
    TransferBlackboardApiData,
)
from job_library.schemas.enrollment import students
from job_library.schemas.integrations import sent_records
from tests.job_library.integrations.conftest import bb_endpoints
from tests.job_library.jobs_context import run_in_transaction


def run(engine, fake, **params):
    return run_in_transaction(
        engine, TransferBlackboardApiData(), BlackboardParams(**params), http=bb_endpoints(fake)
    )


def by_external(store: dict) -> dict[str, dict]:
    return {r["externalId"]: r for r in store.values()}


def test_the_years_people_and_sections_are_created(bb_district, blackboard, bb_waits):
    result = run(bb_district, blackboard)
    assert result.success, result.text
    assert blackboard.invalid == []
    users = by_external(blackboard.users)
    assert sorted(users) == [
        "focus-staff-10",
        "focus-student-1",
        "focus-student-2",
        "focus-student-3",
    ]
    assert users["focus-student-2"]["studentId"] == "2"
    assert users["focus-student-2"]["name"] == {"given": "Bo", "family": "Stu"}
    assert "password" not in users["focus-student-2"]  # the fake keeps no passwords
    assert sorted(by_external(blackboard.courses)) == ["focus-section-500", "focus-section-501"]
    assert by_external(blackboard.courses)["focus-section-500"]["courseId"] == "FOCUS-2026-500"
    assert result.counts == {"created": 6, "updated": 0, "unchanged": 0, "refused": 0}
    assert blackboard.issued == 1


def test_only_changed_records_are_sent_again_with_patch(bb_district, blackboard, bb_waits):
    run(bb_district, blackboard)
    with bb_district.begin() as conn:
        conn.execute(students.update().where(students.c.student_id == 1).values(first_name="Anna"))
    calls = len(blackboard.calls)
    again = run(bb_district, blackboard)
    assert again.counts == {"created": 0, "updated": 1, "unchanged": 5, "refused": 0}
    assert [c for c in blackboard.calls[calls:] if c[1] != "/learn/api/public/v1/oauth2/token"] == [
        ("PATCH", "/learn/api/public/v1/users/externalId:focus-student-1")
    ]
    assert by_external(blackboard.users)["focus-student-1"]["name"]["given"] == "Anna"
    assert blackboard.invalid == []


def test_a_school_filter_sends_only_that_schools_records(bb_district, blackboard, bb_waits):
    result = run(bb_district, blackboard, schools=[2])
    assert result.success
    assert sorted(by_external(blackboard.users)) == ["focus-staff-10", "focus-student-3"]
    assert sorted(by_external(blackboard.courses)) == ["focus-section-501"]


def test_a_user_already_in_blackboard_is_updated_not_duplicated(bb_district, blackboard, bb_waits):
    blackboard.add_user(externalId="focus-student-3", userName="focus-s3", name={"given": "C"})
    result = run(bb_district, blackboard)
    assert result.success and result.counts["created"] == 5 and result.counts["updated"] == 1
    assert len([u for u in blackboard.users.values() if u["externalId"] == "focus-student-3"]) == 1
    assert by_external(blackboard.users)["focus-student-3"]["name"]["given"] == "Cy"


def test_a_record_blackboard_refuses_is_listed_and_the_rest_go(bb_district, blackboard, bb_waits):
    # Someone else in Blackboard already has the user name Focus gives student 2: the create
    # is refused (409) and no Blackboard user has the student's external id to update (404).
    blackboard.add_user(externalId="someone-else", userName="focus-s2", name={"given": "X"})
    result = run(bb_district, blackboard)
    assert result.counts["refused"] == 1 and result.counts["created"] == 5
    assert "refused: focus-student-2: HTTP 404: No record with externalId focus-student-2" in (
        result.text
    )


def test_a_run_cut_short_is_continued_without_duplicates(bb_district, blackboard, bb_waits):
    blackboard.server.fail_next(5, 503, path="/learn/api/public/v3/courses")
    first = run(bb_district, blackboard)
    assert not first.success and "Stopped at focus-section-500" in first.summary
    assert len(by_external(blackboard.users)) == 4 and blackboard.courses == {}
    second = run(bb_district, blackboard)
    assert second.success and second.counts == {
        "created": 2,
        "updated": 0,
        "unchanged": 4,
        "refused": 0,
    }
    assert len(blackboard.users) == 4 and len(blackboard.courses) == 2


def test_a_failure_midway_rolls_back_the_ledger(bb_district, blackboard, bb_waits, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(work, "sections", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run(bb_district, blackboard)
    with bb_district.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sent_records)).scalar() == 0


def test_an_unknown_school_is_named(bb_district, blackboard, bb_waits):
    result = run(bb_district, blackboard, schools=[77])
    assert not result.success and "77" in result.summary


def test_a_429_waits_as_retry_after_says_and_sends_nothing_twice(bb_district, blackboard, bb_waits):
    blackboard.server.fail_next(1, 429, {"Retry-After": "7"}, path="/learn/api/public/v1/users")
    result = run(bb_district, blackboard)
    assert result.success, result.text
    assert bb_waits == [7.0]
    assert result.counts == {"created": 6, "updated": 0, "unchanged": 0, "refused": 0}
    statuses = [
        a.status
        for r, a in blackboard.server.answers
        if r.method == "POST" and r.path.endswith("/v1/users")
    ]
    assert statuses == [429, 201, 201, 201, 201]  # four users, the first of them sent twice
    assert len(by_external(blackboard.users)) == 4 and blackboard.invalid == []


def test_the_listing_is_capped_and_says_how_many_more(bb_district, blackboard, bb_waits):
    result = run(bb_district, blackboard, max_listed=2)
    created = [line for line in result.text.splitlines() if line.startswith("  created: ")]
    assert len(created) == 2
    assert result.text.splitlines()[-1] == "  ... and 4 more (listing capped at 2)."
