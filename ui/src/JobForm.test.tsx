import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import { JobForm } from "./JobForm";
import { clearLookupCache } from "./LookupField";
import { CATALOG } from "./test/fixtures";
import { fakeApi, renderUi } from "./test/render";

const ADMIN = { username: "admin", can_edit: true };
const SCHOOLS = [
  { value: 1, label: "Oak Ridge Elementary" },
  { value: 2, label: "Pine Hills Middle" },
];
const PREVIEW = {
  timezone: "America/New_York",
  runs: ["2026-11-30T02:00:00-05:00"],
  runs_display: ["Mon, Nov 30, 2026, 2:00 AM EST"],
  skipped: [],
  run_after: [],
};

function api(extra: Parameters<typeof fakeApi>[0] = {}) {
  return fakeApi({
    "GET lookups/schools": () => ({ body: { name: "schools", items: SCHOOLS, truncated: false } }),
    "POST preview": (c) => {
      const body = c.body as { run_time?: string };
      const runs = body.run_time === "16:45" ? ["Mon, Nov 30, 2026, 4:45 PM EST"] : PREVIEW.runs_display;
      return { body: { ...PREVIEW, runs_display: runs } };
    },
    ...extra,
  });
}

beforeEach(() => clearLookupCache());

describe("Create / Edit", () => {
  it("derives the id from the title, previews before an id exists, and saves the schools picked", async () => {
    const { calls } = api({ "POST jobs": () => ({ status: 201, body: { job: {} } }) });
    let saved = "";
    renderUi(<JobForm jobId={null} me={ADMIN} catalog={CATALOG} onBack={() => undefined} onSaved={(id) => (saved = id)} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search job classes"), "attend");
    const picker = screen.getByRole("combobox", { name: /Job class/ });
    expect(within(picker).queryByRole("option", { name: "Address Corrections" })).toBeNull();
    expect(within(picker).getByRole("group", { name: "SIS (Attendance)" })).toBeInTheDocument();
    await user.selectOptions(picker, "recalculate_daily_attendance");
    expect(screen.getByRole("textbox", { name: /Job ID/ })).toHaveValue("recalculate-daily-attendance");
    const title = screen.getByRole("textbox", { name: /Job Title/ });
    await user.clear(title);
    await user.type(title, "Nightly attendance, Oak Ridge");
    expect(screen.getByRole("textbox", { name: /Job ID/ })).toHaveValue("nightly-attendance-oak-ridge");
    // The preview comes without an id, and follows the time picker (12 h with AM/PM).
    await screen.findByText("Mon, Nov 30, 2026, 2:00 AM EST");
    expect(calls.find((c) => c.path === "preview")?.body).not.toHaveProperty("id");
    await user.selectOptions(screen.getByLabelText("Run time hour"), "4");
    await user.selectOptions(screen.getByLabelText("Run time minute"), "45");
    await user.selectOptions(screen.getByLabelText("Run time AM or PM"), "PM");
    await screen.findByText("Mon, Nov 30, 2026, 4:45 PM EST");
    // The schools parameter is a lookup: names, not ids.
    const schools = await screen.findByRole("group", { name: "Schools" });
    await user.click(within(schools).getByText("Oak Ridge Elementary"));
    const friday = within(screen.getByRole("group", { name: "Weekdays" })).getByRole("checkbox", { name: "Fri" });
    expect(friday).toBeChecked();
    await user.click(friday);
    await waitFor(() => expect(friday).not.toBeChecked());
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(saved).toBe("nightly-attendance-oak-ridge"));
    const body = calls.find((c) => c.method === "POST" && c.path === "jobs")?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      id: "nightly-attendance-oak-ridge",
      class: "recalculate_daily_attendance",
      run_time: "16:45",
      weekdays: ["mon", "tue", "wed", "thu"],
      params: { schools: [1] },
    });
  });

  it("shows every error of a save beside its field", async () => {
    api({
      "POST jobs": () => ({
        status: 422,
        body: {
          errors: [
            { field: "priority", message: "must be a whole number", text: "job 'x': priority 'high': must be a whole number" },
            { field: "weekdays.0", message: "'someday' is not a weekday", text: "…" },
            { field: "params.past_days", message: "must be at least 1", text: "…" },
            { field: null, message: "the file is broken", text: "the file is broken" },
          ],
        },
      }),
    });
    renderUi(<JobForm jobId={null} me={ADMIN} catalog={CATALOG} onBack={() => undefined} onSaved={() => undefined} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByRole("combobox", { name: /Job class/ }), "recalculate_daily_attendance");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText(/not saved: 4 problems/);
    expect(document.querySelector('[data-error-for="priority"]')).toHaveTextContent("must be a whole number");
    expect(document.querySelector('[data-error-for="weekdays"]')).toHaveTextContent("'someday' is not a weekday");
    expect(document.querySelector('[data-error-for="params.past_days"]')).toHaveTextContent("must be at least 1");
    expect(screen.getByRole("alert")).toHaveTextContent("the file is broken");
    expect(screen.getByRole("textbox", { name: /Priority/ })).toHaveAttribute("aria-invalid", "true");
  });

  it("opens a job read-only for a viewer", async () => {
    api({
      "GET jobs/nightly": () => ({
        body: {
          job: { id: "nightly", title: "Nightly", class: "recalculate_daily_attendance", run_time: "22:15", weekdays: ["mon"], params: { schools: [2] } },
          errors: [],
        },
      }),
    });
    renderUi(
      <JobForm jobId="nightly" me={{ username: "viewer", can_edit: false }} catalog={CATALOG} onBack={() => undefined} onSaved={() => undefined} />,
    );
    await screen.findByText(/View job: Nightly/);
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();
    expect(screen.getByRole("textbox", { name: /Job Title/ })).toBeDisabled();
    expect(screen.getByLabelText("Run time hour")).toHaveValue("10");
    expect(screen.getByLabelText("Run time AM or PM")).toHaveValue("PM");
    const schools = await screen.findByRole("group", { name: "Schools" });
    await within(schools).findByText("Pine Hills Middle");
    const box = within(schools).getAllByRole("checkbox")[1];
    expect(box).toBeChecked();
    expect(box).toBeDisabled();
  });
});
