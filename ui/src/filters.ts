// Column filters of the Jobs tab: which operators each column offers, and the query they make.

export interface ColumnFilter {
  key: number;
  column: string;
  op: string;
  value: string;
}

export const FILTER_COLUMNS: { value: string; label: string }[] = [
  { value: "title", label: "Job Title" },
  { value: "job_time", label: "Job Time" },
  { value: "priority", label: "Priority" },
  { value: "weekdays", label: "Weekdays" },
  { value: "start_date", label: "Start Date" },
  { value: "end_date", label: "End Date" },
  { value: "class_title", label: "Class" },
  { value: "kind", label: "Kind" },
  { value: "next_run", label: "Next Run" },
];

export const OPERATOR_LABELS: Record<string, string> = {
  contains: "contains",
  equals: "equals",
  starts_with: "starts with",
  before: "before",
  after: "after",
  at_least: "at least",
  at_most: "at most",
  is_empty: "is empty",
};

const TIMES = new Set(["job_time", "start_date", "end_date", "next_run"]);

export function operatorsFor(column: string): string[] {
  const ops = ["contains", "equals", "starts_with"];
  if (TIMES.has(column)) ops.push("before", "after");
  if (column === "priority") ops.push("at_least", "at_most");
  ops.push("is_empty");
  return ops;
}

/** The value box of a filter: a date picker for dates before/after, a time for job time. */
export function valueInputType(column: string, op: string): "date" | "time" | "number" | "text" {
  if (op === "before" || op === "after") {
    if (column === "job_time") return "time";
    return "date";
  }
  if (op === "at_least" || op === "at_most") return "number";
  return "text";
}

/** `column:operator:value` for each filter that can apply (an empty value waits, except is empty). */
export function filterParams(filters: ColumnFilter[]): string[] {
  return filters
    .filter((f) => f.op === "is_empty" || f.value.trim() !== "")
    .map((f) => `${f.column}:${f.op}:${f.op === "is_empty" ? "" : f.value.trim()}`);
}
