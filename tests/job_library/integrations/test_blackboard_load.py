"""Load Data From Blackboard API against a fake Blackboard Learn checked against its swagger."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.integrations import _blackboard_work as work
from job_library.jobs.integrations.blackboard_load import LoadDataFromBlackboardApi
from job_library.jobs.integrations.blackboard_transfer import BlackboardParams
from job_library.schemas.integrations import blackboard_links
from tests.job_library.integrations.conftest import bb_endpoints
from tests.job_library.jobs_context import run_in_transaction


def run(engine, fake, page_size=2, **params):
    return run_in_transaction(
        engine,
        LoadDataFromBlackboardApi(),
        BlackboardParams(**params),
        http=bb_endpoints(fake, page_size=page_size),
    )


def links(engine) -> dict[tuple[str, int], str]:
    b = blackboard_links
    with engine.connect() as conn:
        return dict(
            ((k, i), bid)
            for k, i, bid in conn.execute(sa.select(b.c.kind, b.c.focus_id, b.c.blackboard_id))
        )


@pytest.fixture
def populated(blackboard):
    ids = {
        "s1": blackboard.add_user(externalId="focus-student-1", userName="focus-s1"),
        # Made in Blackboard by hand, with the Focus student id: linked by student id.
        "s2": blackboard.add_user(externalId="sis-0002", userName="bo.stu", studentId="2"),
        "t10": blackboard.add_user(externalId="focus-staff-10", userName="focus-t10"),
        "ghost": blackboard.add_user(externalId="focus-student-999", userName="ghost"),
        "other": blackboard.add_user(externalId="bb-admin", userName="admin"),
        "c500": blackboard.add_course(
            externalId="focus-section-500", courseId="FOCUS-2026-500", name="Algebra I"
        ),
        "org": blackboard.add_course(externalId="org-1", courseId="ORG-1", name="Staff Room"),
    }
    return ids


def test_users_and_courses_are_read_page_by_page_and_linked(
    bb_district, blackboard, populated, bb_waits
):
    result = run(bb_district, blackboard)
    assert result.success, result.text
    assert blackboard.invalid == []
    assert links(bb_district) == {
        ("student", 1): populated["s1"],
        ("student", 2): populated["s2"],
        ("staff", 10): populated["t10"],
        ("section", 500): populated["c500"],
    }
    assert result.counts == {
        "users_read": 5,
        "courses_read": 2,
        "linked": 4,
        "relinked": 0,
        "unlinked": 0,
        "unmatched": 3,
    }
    assert "no Focus student 999" in result.text
    user_pages = [p for m, p in blackboard.calls if p.endswith("/v1/users")]
    assert len(user_pages) == 3  # 5 users, 2 a page: followed paging.nextPage


def test_a_second_run_changes_nothing(bb_district, blackboard, populated, bb_waits):
    run(bb_district, blackboard)
    before = links(bb_district)
    again = run(bb_district, blackboard)
    assert (again.counts["linked"], again.counts["relinked"], again.counts["unlinked"]) == (0, 0, 0)
    assert links(bb_district) == before


def test_links_follow_blackboard_when_records_change_or_go(
    bb_district, blackboard, populated, bb_waits
):
    run(bb_district, blackboard)
    del blackboard.users[populated["t10"]]
    moved = blackboard.add_user(externalId="focus-student-1", userName="focus-s1-new")
    del blackboard.users[populated["s1"]]
    result = run(bb_district, blackboard)
    assert result.counts["relinked"] == 1 and result.counts["unlinked"] == 1
    assert links(bb_district)[("student", 1)] == moved
    assert ("staff", 10) not in links(bb_district)


def test_a_failing_page_changes_nothing(bb_district, blackboard, populated, bb_waits):
    run(bb_district, blackboard)
    before = links(bb_district)
    del blackboard.users[populated["t10"]]
    blackboard.server.fail_next(5, 500, path="/learn/api/public/v3/courses")
    result = run(bb_district, blackboard)
    assert not result.success and "Nothing was changed" in result.summary
    assert links(bb_district) == before
    assert len(bb_waits) == 4


def test_an_expired_token_is_replaced(bb_district, blackboard, populated, bb_waits):
    blackboard.server.fail_next(1, 401, path="/learn/api/public/v3/courses")
    result = run(bb_district, blackboard)
    assert result.success and blackboard.issued == 2


def test_a_failure_midway_rolls_back(bb_district, blackboard, populated, bb_waits, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected after the links were written")

    monkeypatch.setattr(work, "html_table", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run(bb_district, blackboard)
    assert links(bb_district) == {}


def test_the_listing_is_capped_and_says_how_many_more(bb_district, blackboard, populated, bb_waits):
    result = run(bb_district, blackboard, max_listed=1)
    lines = result.text.splitlines()
    assert len([line for line in lines if line.startswith("  linked: ")]) == 1
    assert "  no Focus student 999 (Blackboard " in result.text  # the one unmatched, listed
    # Four links made, one listed: three more.
    assert lines[-1] == "  ... and 3 more (listing capped at 1)."
