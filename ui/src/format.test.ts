import { describe, expect, it } from "vitest";

import { sentence } from "./api";
import { filterParams, operatorsFor, valueInputType } from "./filters";
import { clock12, relativeTime, slugify, withZone, zoneAbbreviation } from "./format";
import { paramSpecs, parseList } from "./schema";
import { joinTime, splitTime } from "./TimePicker";

describe("times", () => {
  it("names the district's zone", () => {
    expect(zoneAbbreviation("America/New_York", new Date("2026-01-15T12:00:00Z"))).toBe("EST");
    expect(zoneAbbreviation("America/New_York", new Date("2026-07-15T12:00:00Z"))).toBe("EDT");
    expect(withZone("2:00 AM", "America/Chicago", new Date("2026-01-15T12:00:00Z"))).toBe("2:00 AM CST");
    expect(withZone("2:00 AM CST", "America/Chicago")).toBe("2:00 AM CST");
    expect(withZone("Every 15 min", "America/Chicago")).toBe("Every 15 min");
  });

  it("says how far away a run is", () => {
    const now = new Date("2026-11-29T21:00:00-05:00");
    expect(relativeTime("2026-11-30T02:00:00-05:00", now)).toBe("in 5 h");
    expect(relativeTime("2026-11-29T21:12:00-05:00", now)).toBe("in 12 min");
    expect(relativeTime("2026-12-04T21:00:00-05:00", now)).toBe("in 5 d");
    expect(relativeTime("2026-11-29T19:00:00-05:00", now)).toBe("2 h ago");
    expect(relativeTime(null, now)).toBe("");
  });

  it("reads 24 h clock times as Focus shows them", () => {
    expect(clock12("00:05")).toBe("12:05 AM");
    expect(clock12("12:00")).toBe("12:00 PM");
    expect(clock12("16:45")).toBe("4:45 PM");
    expect(splitTime("16:45")).toEqual({ hour: "4", minute: "45", half: "PM" });
    expect(splitTime("00:30")).toEqual({ hour: "12", minute: "30", half: "AM" });
    expect(joinTime("12", "00", "AM")).toBe("00:00");
    expect(joinTime("12", "15", "PM")).toBe("12:15");
    expect(joinTime("4", "45", "PM")).toBe("16:45");
    expect(joinTime("", "45", "PM")).toBeNull();
  });

  it("derives an id from a title", () => {
    expect(slugify("Nightly Attendance — Oak Ridge!")).toBe("nightly-attendance-oak-ridge");
    expect(slugify("Élève 2027")).toBe("eleve-2027");
  });
});

describe("refusals read as sentences", () => {
  it("never shows JSON", () => {
    expect(sentence('Airflow refused the run: {"detail": "DAG x is paused"}')).toBe(
      "Airflow refused the run: DAG x is paused.",
    );
    expect(sentence("job 'x' is inactive")).toBe("Job 'x' is inactive.");
    expect(sentence([{ loc: ["query", "page"], msg: "must be at least 1" }])).toBe("Page: must be at least 1.");
    expect(sentence(null)).toBe("The request failed.");
  });
});

describe("filters", () => {
  it("offers each column its operators", () => {
    expect(operatorsFor("title")).toEqual(["contains", "equals", "starts_with", "is_empty"]);
    expect(operatorsFor("next_run")).toContain("before");
    expect(operatorsFor("priority")).toContain("at_least");
    expect(operatorsFor("priority")).not.toContain("after");
    expect(valueInputType("start_date", "after")).toBe("date");
    expect(valueInputType("job_time", "before")).toBe("time");
  });

  it("sends column:operator:value, waiting for a value", () => {
    expect(
      filterParams([
        { key: 1, column: "class_title", op: "contains", value: " maint " },
        { key: 2, column: "title", op: "equals", value: "" },
        { key: 3, column: "end_date", op: "is_empty", value: "x" },
        { key: 4, column: "job_time", op: "after", value: "14:30" },
      ]),
    ).toEqual(["class_title:contains:maint", "end_date:is_empty:", "job_time:after:14:30"]);
  });
});

describe("parameter schema", () => {
  it("turns pydantic's schema into controls", () => {
    const specs = paramSpecs({
      type: "object",
      required: ["drop_code"],
      properties: {
        schools: { type: "array", items: { type: "integer" }, "x-focus-lookup": "schools" },
        drop_code: { type: "string", "x-focus-lookup": "drop_codes", title: "Drop code" },
        syear: { anyOf: [{ type: "integer" }, { type: "null" }], default: null },
        effective_date: { anyOf: [{ type: "string", format: "date" }, { type: "null" }] },
        parse_all: { type: "boolean" },
        years: { type: "array", items: { type: "integer" } },
        rank_by: { type: "string", enum: ["gpa", "weighted"] },
        column_mapping: { type: "object" },
      },
    });
    const kinds = Object.fromEntries(specs.map((s) => [s.name, s.control]));
    expect(kinds.schools).toEqual({ kind: "lookup", lookup: "schools", multiple: true });
    expect(kinds.drop_code).toEqual({ kind: "lookup", lookup: "drop_codes", multiple: false });
    expect(kinds.syear).toEqual({ kind: "integer" });
    expect(kinds.effective_date).toEqual({ kind: "date" });
    expect(kinds.parse_all).toEqual({ kind: "boolean" });
    expect(kinds.years).toEqual({ kind: "list", itemType: "integer" });
    expect(kinds.rank_by).toEqual({ kind: "enum", options: ["gpa", "weighted"] });
    expect(kinds.column_mapping).toEqual({ kind: "json" });
    expect(specs.find((s) => s.name === "drop_code")?.required).toBe(true);
    expect(specs.find((s) => s.name === "syear")?.nullable).toBe(true);
    expect(parseList("1, 2, x", "integer")).toEqual([1, 2, "x"]);
  });
});

describe("preferences", () => {
  it("shows a stored flag as on or off", async () => {
    const { shown } = await import("./PreferencesTab");
    expect(shown({ type: "flag" }, "true")).toBe("on");
    expect(shown({ type: "flag" }, "false")).toBe("off");
    expect(shown({ type: "text" }, "Teacher")).toBe("Teacher");
    expect(shown({ type: "flag" }, null)).toBeNull();
  });
});
