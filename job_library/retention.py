"""Focus's Store Execution History pull-down: how long a job's run history is kept."""

from __future__ import annotations

# Label to days kept; "forever" keeps everything. A job with no label of its own follows
# the Daily Maintenance job's "delete history older than N days".
RETENTION_DAYS: dict[str, int | None] = {
    "1 week": 7,
    "2 weeks": 14,
    "1 month": 31,
    "3 months": 92,
    "6 months": 183,
    "1 year": 366,
    "forever": None,
}
