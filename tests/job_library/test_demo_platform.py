"""The demo district's site profile, System Preferences and Student Fields."""

from __future__ import annotations

import sqlalchemy as sa

from include.demo_district import generate
from job_library.platform_schema import custom_field_values
from job_library.preferences import Preferences
from job_library.registry import REGISTRY
from job_library.site import AddOn, SiteKind, read_site_profile, unavailable_reason
from job_library.student_fields import StudentFields, catalog

N = 40


def test_the_demo_is_a_florida_production_site_with_every_add_on(db):
    generate(db, N)
    with db.connect() as conn:
        profile = read_site_profile(conn)
        prefs = Preferences(conn)
        assert profile.state == "FL" and profile.kind is SiteKind.PRODUCTION
        assert profile.add_ons == frozenset(AddOn)
        # Every class of the catalog may run on it.
        assert [k for k, c in REGISTRY.items() if unavailable_reason(c, profile)] == []
        assert prefs.get("mtss_enrollment_alert_profile") == "Counselor"
        assert prefs.get("timezone") == "America/New_York"
        assert prefs.get("email_unsuccessful_only") is False
        assert prefs.by_school("class_rank_by") == {6: "weighted", 7: "unweighted"}
        assert prefs.get("rollover_second_school", school_id=3) is False
        fields = {f.alias: (f.field_id, str(f.table), f.log_changes) for f in catalog(conn)}
        assert fields == {
            "total_hours": (57, "schedule", False),
            "photo_release": (1000, "students", False),
            "arms_status": (200000222, "students", True),
            "document_hold": (1010, "students", False),  # Purge Old Files keeps their files
            # include/demo_assessments.py: the adult education and assessment jobs' fields.
            "basic_skills_test": (1001, "students", False),
            "graduation_cohort": (1002, "students", False),
            "fsa_ela_graduation": (1003, "students", False),
            "fsa_ela_graduation_met_by": (1004, "students", False),
            "esol_graduation_pathway": (1005, "students", False),
            "ese_test_waiver": (1006, "students", False),
            "cbt_accommodations": (1007, "students", False),
            # Online Course Req. Populate Student Field and the Florida ARMS tracker.
            "online_course_req": (4100, "students", True),
            "ese_primary": (890, "students", True),
            "ell_code": (626, "students", True),
            "lunch_status": (71, "students", True),
            "zoned_district_fl": (821, "students", True),
            "zoned_school_fl": (822, "students", True),
            "dop_code": (20009054, "students", True),
            # Synchronize Schedule of Services writes the ESE tab's three fields.
            "ese_time_with_non_disabled": (2001, "students", False),
            "ese_time_total_week": (2002, "students", False),
            "idea_educational_environment": (2003, "students", True),
        }
        photo = StudentFields(conn, changed_by="test").read("photo_release")
    # Students 100005, 100010, ... 100040 said yes; the other 32 no.
    yes = [100_000 + i for i in (5, 10, 15, 20, 25, 30, 35, 40)]
    assert sorted(s for s, said in photo.items() if said) == yes
    assert len(photo) == N


def test_a_second_demo_keeps_one_profile_and_the_same_values(db):
    generate(db, N)
    with db.connect() as conn:
        before = conn.execute(
            sa.select(custom_field_values).order_by("field_id", "record_id")
        ).all()
    generate(db, N)
    with db.connect() as conn:
        after = conn.execute(sa.select(custom_field_values).order_by("field_id", "record_id")).all()
        assert conn.execute(sa.text("SELECT COUNT(*) FROM site_profile")).scalar_one() == 1
    assert after == before
