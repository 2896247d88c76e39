import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { JobsScreen } from "./JobsScreen";
import { CATALOG, job, page } from "./test/fixtures";
import { fakeApi, renderUi } from "./test/render";

const JOBS = [
  job(),
  job({ id: "legacy-php-export", title: "Legacy PHP export", class: "php_export", class_title: "php_export", missing_class: true, can_run: false }),
  job({ id: "rollover", title: "Rollover", active: false, can_run: false, next_run: null, next_run_display: "" }),
];

function api(me = { username: "admin", can_edit: true }) {
  return fakeApi({
    "GET me": () => ({ body: me }),
    "GET catalog": () => ({ body: CATALOG }),
    "GET site": () => ({ body: { set: false, state: null, kind: null, add_on_titles: [] } }),
    "GET jobs": () => ({ body: page(JOBS) }),
    "DELETE jobs/.*": () => ({ status: 204 }),
    "POST jobs/.*/run": () => ({
      body: { dag_run_id: "manual__1", run_url: "/dags/address-corrections/runs/manual__1", state: "queued" },
    }),
    "GET history": () => ({ body: { runs: [], total: 0, page: 1, pages: 1, page_size: 25, timezone: "America/New_York", live: false } }),
  });
}

async function rows() {
  const table = await screen.findByRole("table", { name: "Scheduled jobs" });
  await within(table).findByText("Legacy PHP export");
  return table;
}

describe("Jobs tab", () => {
  it("shows every column with the zone, the relative next run, and flags rows", async () => {
    api();
    renderUi(<JobsScreen />);
    const table = await rows();
    for (const name of ["Job Title", "Job Time", "Priority", "Weekdays", "Start Date", "End Date", "Class", "Kind", "Next Run"]) {
      expect(within(table).getByRole("columnheader", { name: new RegExp(name) })).toBeInTheDocument();
    }
    const first = table.querySelector('tr[data-id="address-corrections"]') as HTMLElement;
    expect(within(first).getByText("2:00 AM EST")).toBeInTheDocument();
    expect(within(first).getByText("Mon, Nov 30, 2026, 2:00 AM EST")).toBeInTheDocument();
    expect(within(first).getByText("in 5 h")).toBeInTheDocument();
    const missing = table.querySelector('tr[data-id="legacy-php-export"]') as HTMLElement;
    expect(missing.dataset.flagged).toBe("true");
    expect(within(missing).getByText("Missing class")).toBeInTheDocument();
    const inactive = table.querySelector('tr[data-id="rollover"]') as HTMLElement;
    expect(within(inactive).getByText("Inactive")).toBeInTheDocument();
    expect(within(inactive).queryByRole("button", { name: /Run Job/ })).toBeNull();
    expect(within(first).getByRole("button", { name: "Run Job Address Corrections" })).toBeInTheDocument();
  });

  it("sorts by a header click, ascending then descending, on the server", async () => {
    const { calls } = api();
    renderUi(<JobsScreen />);
    await rows();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Priority" }));
    await waitFor(() => expect(calls.some((c) => c.path === "jobs" && c.query.get("sort") === "priority" && c.query.get("desc") === "false")).toBe(true));
    await user.click(screen.getByRole("button", { name: /Priority/ }));
    await waitFor(() => expect(calls.some((c) => c.path === "jobs" && c.query.get("sort") === "priority" && c.query.get("desc") === "true")).toBe(true));
    expect(screen.getByRole("columnheader", { name: /Priority/ })).toHaveAttribute("aria-sort", "descending");
  });

  it("adds a filter with +, picks its operator, removes it with −", async () => {
    const { calls } = api();
    renderUi(<JobsScreen />);
    await rows();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Add filter" }));
    await user.selectOptions(screen.getByLabelText("Filter 1 column"), "class_title");
    await user.type(screen.getByLabelText(/Filter 1 value/), "Address");
    await waitFor(() => expect(calls.some((c) => c.query.getAll("filter").includes("class_title:contains:Address"))).toBe(true));
    await user.click(screen.getByRole("button", { name: /Filter 1 operator/ }));
    await user.click(await screen.findByRole("menuitem", { name: "starts with" }));
    await waitFor(() => expect(calls.some((c) => c.query.getAll("filter").includes("class_title:starts_with:Address"))).toBe(true));
    await user.click(screen.getByRole("button", { name: "Remove filter 1" }));
    expect(screen.queryByLabelText("Filter 1 column")).toBeNull();
  });

  it("asks in a dialog before deleting", async () => {
    const { calls } = api();
    renderUi(<JobsScreen />);
    const table = await rows();
    const user = userEvent.setup();
    await user.click(within(table).getByRole("button", { name: "Delete Address Corrections" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(within(dialog).getByText(/Address Corrections/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(table).getByRole("button", { name: "Delete Address Corrections" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Delete job" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.path === "jobs/address-corrections")).toBe(true));
  });

  it("runs a job and shows a toast linking to the run", async () => {
    api();
    renderUi(<JobsScreen />);
    const table = await rows();
    const user = userEvent.setup();
    await user.click(within(table).getByRole("button", { name: "Run Job Address Corrections" }));
    const link = await screen.findByRole("link", { name: "Open the run in Airflow" });
    expect(link).toHaveAttribute("href", "/dags/address-corrections/runs/manual__1");
    expect(screen.getByText("Address Corrections started")).toBeInTheDocument();
  });

  it("shows a viewer no create, edit, delete or run control", async () => {
    api({ username: "viewer", can_edit: false });
    renderUi(<JobsScreen />);
    const table = await rows();
    expect(screen.getByText(/\(view only\)/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Create Job" })).toBeNull();
    expect(within(table).queryByRole("button", { name: /^Delete/ })).toBeNull();
    expect(within(table).queryByRole("button", { name: /^Run Job/ })).toBeNull();
    expect(within(table).getAllByRole("button", { name: /^View / }).length).toBe(3);
  });

  it("pages with Prev, Next and the page box", async () => {
    const { calls } = fakeApi({
      "GET me": () => ({ body: { username: "admin", can_edit: true } }),
      "GET catalog": () => ({ body: CATALOG }),
      "GET site": () => ({ body: { set: false } }),
      "GET jobs": (c) => ({ body: page(JOBS, { total: 60, pages: 3, page: Number(c.query.get("page")) }) }),
    });
    renderUi(<JobsScreen />);
    await rows();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(screen.getByLabelText("Page number")).toHaveValue("2"));
    const box = screen.getByLabelText("Page number");
    await user.clear(box);
    await user.type(box, "3{Enter}");
    await waitFor(() => expect(calls.some((c) => c.path === "jobs" && c.query.get("page") === "3")).toBe(true));
  });
});
