// Shapes of docs/screen-api.md, filled with a small district's jobs.
import type { CatalogEntry, Job, JobPage } from "../types";

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: "address-corrections",
    title: "Address Corrections",
    job_time: "2:00 AM EST",
    run_time: "02:00",
    priority: 500,
    weekdays: "Mon, Wed, Fri",
    start_date: null,
    end_date: null,
    class: "address_corrections",
    class_title: "Address Corrections",
    kind: "built-in",
    next_run: "2026-11-30T02:00:00-05:00",
    next_run_display: "Mon, Nov 30, 2026, 2:00 AM EST",
    active: true,
    missing_class: false,
    unavailable: null,
    can_run: true,
    run_refused: null,
    invalid: false,
    errors: [],
    school_days_only: false,
    skipped_text: "",
    run_after: [],
    ...overrides,
  };
}

export function page(jobs: Job[], overrides: Partial<JobPage> = {}): JobPage {
  return {
    jobs,
    total: jobs.length,
    page: 1,
    pages: 1,
    page_size: 25,
    timezone: "America/New_York",
    timezone_abbreviation: "EST",
    now: "2026-11-29T21:00:00-05:00",
    retention_warning: null,
    ...overrides,
  };
}

export const CATALOG: CatalogEntry[] = [
  {
    key: "address_corrections",
    title: "Address Corrections",
    module: "SIS",
    module_title: "SIS",
    kind: "built-in",
    available: true,
    unavailable: null,
    default_title: "Address Corrections",
    params_schema: {
      type: "object",
      properties: { max_listed: { type: "integer", default: 200, title: "Changed addresses listed" } },
    },
  },
  {
    key: "recalculate_daily_attendance",
    title: "Recalculate Daily Attendance",
    module: "attendance",
    module_title: "SIS (Attendance)",
    kind: "built-in",
    available: true,
    unavailable: null,
    default_title: "Recalculate Daily Attendance",
    params_schema: {
      type: "object",
      properties: {
        schools: { type: "array", items: { type: "integer" }, "x-focus-lookup": "schools", title: "Schools" },
        past_days: { type: "integer", default: 7, title: "Past days" },
        effective: { anyOf: [{ type: "string", format: "date" }, { type: "null" }], title: "Effective date" },
      },
    },
  },
  {
    key: "florida_test_id_assignment",
    title: "Florida Test ID Assignment",
    module: "florida",
    module_title: "Florida State Reporting",
    kind: "built-in",
    available: false,
    unavailable: "Florida Test ID Assignment is for FL districts",
    params_schema: { type: "object", properties: {} },
  },
];
