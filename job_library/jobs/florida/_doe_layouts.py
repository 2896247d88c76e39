"""Fixed-width layouts of the DOE extracts and the FLEID exchange (README lists them)."""

from __future__ import annotations

from job_library.fixed_width import Fill, layout

A, N, R, F = Fill.LEFT, Fill.NUMERIC, Fill.RIGHT, Fill.FILLER

# The DOE's Federal/State Indicator Status student record, 160 characters, item by item as
# published in "Automated Student Information System 2025-26: Federal/State Indicator Status"
# (FLDOE PK-12 Education Information Services, last updated 1 July 2025,
# https://www.fldoe.org/accountability/data-sys/database-manuals-updates/2025-26-student-info-system/federal-state-indicator-status.stml),
# with the codes each field accepts taken from the DOE's edits for this format (Student
# Database 2026-27, https://www.fldoe.org/file/20909/2627fsis.pdf), both read from third-party
# text copies of those documents (the DOE pages themselves were not reachable from here; the
# 2024-25 page's notes, which were, match). Since rule 6A-1.00141
# (1 July 2020) the key is the FLEID (item 34): item 3, once the Florida student number, is
# filler the DOE rejects unless blank (edit 16). Items 13-14 (CAPE district numbers) were
# deleted in 2024-25 and stay blank. Fields our database holds no data for carry the code the
# edits accept for every survey meaning "no" or "not applicable" (layout defaults below).
PK12_INDICATOR_STATUS = layout(
    "Federal/State Indicator Status",
    160,
    [
        ("district_number", 1, 2, N),
        ("school_number", 3, 6, R),
        ("filler_3", 7, 16, F),
        ("survey", 17, 17, A),
        ("fiscal_year", 18, 21, N),
        ("military_family", 22, 22, A),
        ("immunization_status", 23, 23, A),
        ("filler_8", 24, 25, F),
        ("homeless", 26, 26, A),
        ("homeless_unaccompanied", 27, 27, A),
        ("filler_11", 28, 33, F),
        ("transaction_code", 34, 34, A),
        ("cape_districts_deleted", 35, 38, F),
        ("pe_waiver", 39, 39, A),
        ("bullied_disability", 40, 40, A),
        ("bullied_race", 41, 41, A),
        ("bullied_sex", 42, 42, A),
        ("fund_source", 43, 43, A),
        ("section_504", 44, 44, A),
        ("bullied_religion", 45, 45, A),
        ("school_related_arrest", 46, 46, A),
        ("career_academy", 47, 47, A),
        ("filler_24", 48, 54, F),
        ("immigrant", 55, 55, A),
        ("dropout_prevention", 56, 56, A),
        ("test_accommodations", 57, 57, A),
        ("medical_complexity", 58, 58, A),
        ("homelessness_cause", 59, 59, A),
        ("bullied_sexual_orientation", 60, 60, A),
        ("filler_31", 61, 61, F),
        ("federally_connected", 62, 62, A),
        ("local_student_number", 63, 72, A),
        ("fleid", 73, 86, A),
        ("filler_35", 87, 152, F),
        ("error_codes", 153, 160, F),  # the DOE writes its edit errors here; sent blank
    ],
)
# What goes in the fields our database has no data for (edit numbers of the 2026-27 edits):
# N "not homeless" (41) makes unaccompanied youth and homelessness cause Z (43, 26); Z, the
# code every survey accepts, for military family (46, 60: Z for PK), bullied or harassed
# (49, 4A, 4B, 10, 11), fund source (44), dropout prevention (14: Z in survey 5), test
# accommodations (20), medical complexity (9) and federally connected (8: Z in surveys 2 and
# 5); N for the yes/no-only fields school-related arrest (31), career academy (22) and
# immigrant (12); A (an add, the only code of an original transmission, 6) as transaction code.
PK12_DEFAULTS = {
    "military_family": "Z",
    "homeless": "N",
    "homeless_unaccompanied": "Z",
    "transaction_code": "A",
    "bullied_disability": "Z",
    "bullied_race": "Z",
    "bullied_sex": "Z",
    "fund_source": "Z",
    "bullied_religion": "Z",
    "school_related_arrest": "N",
    "career_academy": "N",
    "immigrant": "N",
    "dropout_prevention": "Z",
    "test_accommodations": "Z",
    "medical_complexity": "Z",
    "homelessness_cause": "Z",
    "bullied_sexual_orientation": "Z",
    "federally_connected": "Z",
}
# Physical education waiver (63): Z for PK and grades 09-12, else Y or N; with no waivers
# recorded, N for KG-08.
PE_WAIVER_GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08")
SECTION_504_UNSET = "Z"  # not applicable, when the student has no Section 504 code (39)


def fleid_problem(fleid: str | None) -> str | None:
    """Why ``fleid`` cannot key a DOE record (FL and twelve digits, not all zeros), or None."""
    text = (fleid or "").strip()
    if not text:
        return "no FLEID (the DOE keys this record on it)"
    if len(text) != 14 or not text.startswith("FL") or not text[2:].isdigit():
        return f"FLEID {text!r} is not FL followed by twelve digits"
    if text[2:] == "0" * 12:
        return f"FLEID {text!r} is all zeros"
    return None


# Ours (the WDIS formats are not in the material we have): one adult student per school.
WDIS_STUDENT = layout(
    "WDIS Adult Student (project layout)",
    70,
    [
        ("district_number", 1, 2, N),
        ("school_number", 3, 6, R),
        ("student_number", 7, 16, A),
        ("survey", 17, 17, A),
        ("fiscal_year", 18, 21, N),
        ("last_name", 22, 41, A),
        ("first_name", 42, 56, A),
        ("birth_date", 57, 64, N),  # YYYYMMDD, zeros when unknown
        ("gender", 65, 65, A),
        ("filler", 66, 70, F),
    ],
)

# Ours too: a FLEID request (one person) and the answer the FLEID service sends back.
FLEID_REQUEST = layout(
    "FLEID request (project layout)",
    80,
    [
        ("record_type", 1, 1, A),  # S student, T staff
        ("source", 2, 5, A),  # K12 or WDIS
        ("district_number", 6, 7, N),
        ("local_id", 8, 17, N),
        ("last_name", 18, 42, A),
        ("first_name", 43, 57, A),
        ("birth_date", 58, 65, N),  # YYYYMMDD, zeros for staff
        ("gender", 66, 66, A),
        ("fleid", 67, 80, A),  # blank: none known yet (never zeros)
    ],
)
FLEID_RESPONSE = layout(
    "FLEID response (project layout)",
    58,
    [
        ("record_type", 1, 1, A),
        ("local_id", 2, 11, N),
        ("last_name", 12, 36, A),
        ("birth_date", 37, 44, N),
        ("fleid", 45, 58, A),
    ],
)


def fiscal_year(syear: int) -> str:
    """The DOE's four-digit year of a school year starting in ``syear``: 2026 -> '2627'."""
    return f"{syear % 100:02d}{(syear + 1) % 100:02d}"
