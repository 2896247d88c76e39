"""Fixed-width layouts of the DOE extracts and the FLEID exchange (README lists them)."""

from __future__ import annotations

from job_library.fixed_width import Fill, layout

A, N, R, F = Fill.LEFT, Fill.NUMERIC, Fill.RIGHT, Fill.FILLER

# The DOE's published Federal/State Indicator Status format (2004-05 student database
# manual, record size 80), item by item; items 6, 8, 10-17, 19-22, 24, 25, 28 and 29 are filler.
PK12_INDICATOR_STATUS = layout(
    "Federal/State Indicator Status",
    80,
    [
        ("district_number", 1, 2, N),
        ("school_number", 3, 6, R),
        ("student_number", 7, 16, A),
        ("survey", 17, 17, A),
        ("fiscal_year", 18, 21, N),
        ("filler_6", 22, 22, F),
        ("immunization_status", 23, 23, A),
        ("filler_8", 24, 24, F),
        ("early_admission", 25, 25, A),
        ("filler_10_17", 26, 33, F),
        ("transaction_code", 34, 34, A),
        ("filler_19_22", 35, 38, F),
        ("prior_to_kindergarten", 39, 39, A),
        ("filler_24_25", 40, 43, F),
        ("section_504", 44, 44, A),
        ("pk_participation", 45, 45, A),
        ("filler_28_29", 46, 80, F),
    ],
)

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
