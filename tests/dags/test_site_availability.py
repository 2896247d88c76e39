"""A class the site profile does not allow: its DAG is flagged and its runs change nothing."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import sqlalchemy as sa

from include.dag_builder import build_dags
from include.focus_db.engine import get_engine
from include.repository import get_definition
from include.runner import run_job
from job_library.schema import job_output
from job_library.site import AddOn, SiteProfile, write_site_profile
from tests.rows import good_row, insert_rows


def _engine() -> sa.Engine:
    return get_engine(os.environ["FOCUS_DB_URL"])


def test_a_class_the_site_may_not_run_is_tagged_like_a_missing_one(focus_env: Path):
    insert_rows(
        _engine(),
        good_row("fl-ids", job_class="florida_test_id_assignment"),
        good_row("fix-addresses"),
    )
    # Not set: nothing is flagged.
    assert "unavailable-class" not in build_dags()["fl-ids"].tags
    with _engine().begin() as conn:
        write_site_profile(conn, SiteProfile(state="GA", add_ons={AddOn.SSS}), user="t")
    dags = build_dags()
    assert "unavailable-class" in dags["fl-ids"].tags
    assert dags["fl-ids"].doc_md.startswith(
        "### Job fl-ids\n\n**Unavailable on this site**: Florida Test ID Assignment is for FL "
        "districts; this site's state is GA (focus-jobs site --state)."
    )
    assert "unavailable-class" not in dags["fix-addresses"].tags
    # The one-DAG parse a worker does before the task reads the profile too.
    assert "unavailable-class" in build_dags("fl-ids")["fl-ids"].tags


def test_the_runner_refuses_a_class_the_site_may_not_run_and_says_why(engine, tmp_path):
    insert_rows(engine, good_row("erp-leave", job_class="frontline_leave"))
    with engine.begin() as conn:
        write_site_profile(conn, SiteProfile(state="FL"), user="t")
        definition = get_definition(conn, "erp-leave")
    result = run_job(
        definition,
        engine=engine,
        timezone="America/New_York",
        file_store=tmp_path,
        log=logging.getLogger("t"),
        run_id="manual__1",
    )
    assert not result.success
    assert result.summary == (
        "Not run: Frontline Leave needs the ERP add-on, which this site has not purchased. "
        "Nothing was changed."
    )
    with engine.connect() as conn:
        stored = conn.execute(sa.select(job_output.c.job_id, job_output.c.success)).all()
    assert stored == [("erp-leave", False)]
    with engine.begin() as conn:
        conn.execute(sa.delete(job_output))
