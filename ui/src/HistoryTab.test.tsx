import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { HistoryTab, defaultHistoryQuery } from "./HistoryTab";
import { OutputView } from "./OutputView";
import { fakeApi, renderUi } from "./test/render";
import type { HistoryRun } from "./types";

function run(state: string, overrides: Partial<HistoryRun> = {}): HistoryRun {
  return {
    job_id: "address-corrections",
    run_id: "manual__1",
    title: "Address Corrections",
    time: "2026-11-29T13:53:00-05:00",
    time_display: "Nov 29, 2026, 1:53 PM EST",
    duration_seconds: state === "queued" ? null : 12,
    duration_display: state === "queued" ? "" : "12 s",
    state,
    success: state === "success" ? true : null,
    summary: state === "success" ? "3 addresses corrected" : null,
    ran_by: "admin (127.0.0.1)",
    has_output: state === "success",
    ...overrides,
  };
}

function history(runs: HistoryRun[]) {
  return {
    runs,
    total: runs.length,
    page: 1,
    pages: 1,
    page_size: 25,
    timezone: "America/New_York",
    live: runs.some((r) => r.state === "queued" || r.state === "running"),
  };
}

describe("Execution History", () => {
  it("updates a running run's state without a reload, then offers its output", async () => {
    const states = ["running", "running", "success"];
    const { calls } = fakeApi({
      "GET jobs": () => ({ body: { jobs: [{ id: "address-corrections", title: "Address Corrections" }] } }),
      "GET history": () => ({ body: history([run(states.length > 1 ? states.shift()! : states[0])]) }),
    });
      let viewed = "";
      renderUi(<HistoryTab query={defaultHistoryQuery(new Date("2026-11-29T12:00:00"))} onQuery={() => undefined} onView={(j, r) => (viewed = `${j}/${r}`)} refreshKey={0} pollMs={50} />);
      const table = await screen.findByRole("table", { name: "Execution history" });
      await within(table).findByText("running");
      expect(screen.getByText(/updating while runs are in progress/)).toBeInTheDocument();
      expect(within(table).getByRole("button", { name: /View output/ })).toBeDisabled();
      await within(table).findByText("success");
      expect(within(table).getByText("3 addresses corrected")).toBeInTheDocument();
      expect(within(table).getByText("admin (127.0.0.1)")).toBeInTheDocument();
      const view = within(table).getByRole("button", { name: /View output/ });
      expect(view).toBeEnabled();
      const polls = calls.filter((c) => c.path === "history").length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(calls.filter((c) => c.path === "history").length).toBe(polls); // nothing runs: no polling
      view.click();
      expect(viewed).toBe("address-corrections/manual__1");
      expect(calls[1].query.get("from")).toBe("2026-11-22");
      expect(calls[1].query.get("to")).toBe("2026-11-29");
  });

  it("searches From/To, filters by job and sorts by a header", async () => {
    fakeApi({
      "GET jobs": () => ({ body: { jobs: [{ id: "address-corrections", title: "Address Corrections" }] } }),
      "GET history": () => ({ body: history([run("failed")]) }),
    });
    const onQuery = vi.fn();
    const query = defaultHistoryQuery(new Date("2026-11-29T12:00:00"));
    renderUi(<HistoryTab query={query} onQuery={onQuery} onView={() => undefined} refreshKey={0} />);
    await screen.findByText("failed");
    const user = userEvent.setup();
    const from = screen.getByLabelText("From");
    await user.clear(from);
    await user.type(from, "2026-11-01");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(onQuery).toHaveBeenLastCalledWith({ ...query, from: "2026-11-01", page: 1 });
    await user.selectOptions(await screen.findByLabelText("Job"), "address-corrections");
    expect(onQuery).toHaveBeenLastCalledWith({ ...query, job: "address-corrections", page: 1 });
    await user.click(screen.getByRole("button", { name: "Duration" }));
    expect(onQuery).toHaveBeenLastCalledWith({ ...query, sort: "duration", desc: false, page: 1 });
  });
});

describe("Execution History's Job filter with 5,000 jobs", () => {
  // Titles "Job 0001" … "Job 5000"; the server filters, sorts and pages as the jobs listing does.
  const ALL = Array.from({ length: 5000 }, (_, n) => ({ id: `job-${n + 1}`, title: `Job ${String(n + 1).padStart(4, "0")}` }));

  it("asks the server for titles as one types, and names a chosen job beyond the first page", async () => {
    const { calls } = fakeApi({
      "GET jobs": (c) => {
        const filter = c.query.get("filter") ?? "";
        const size = Number(c.query.get("page_size"));
        const [column, , text] = filter.split(":");
        const hits = ALL.filter((j) => !filter || (column === "id" ? j.id === text : j.title.toLowerCase().includes(text.toLowerCase())));
        return { body: { jobs: hits.slice(0, size), total: hits.length } };
      },
      "GET history": () => ({ body: history([run("success", { job_id: "job-4321", title: "Job 4321" })]) }),
    });
    const onQuery = vi.fn();
    const query = { ...defaultHistoryQuery(new Date("2026-11-29T12:00:00")), job: "job-4999" };
    renderUi(<HistoryTab query={query} onQuery={onQuery} onView={() => undefined} refreshKey={0} />);
    const picker = (await screen.findByLabelText("Job")) as HTMLSelectElement;
    // The chosen job is past the first 50 titles: its title is asked by id, not shown as an id.
    await waitFor(() => expect(picker.selectedOptions[0]?.textContent).toBe("Job 4999"));
    expect(within(picker).getByRole("option", { name: "Job 0050" })).toBeInTheDocument();
    expect(within(picker).queryByRole("option", { name: "Job 0051" })).toBeNull();
    expect(within(picker).getByRole("option", { name: "4950 more: search titles to narrow" })).toBeDisabled();
    expect(calls.some((c) => c.path === "jobs" && c.query.get("filter") === "id:equals:job-4999")).toBe(true);
    expect(calls.every((c) => c.path !== "jobs" || Number(c.query.get("page_size")) <= 50)).toBe(true);

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search jobs by title"), "432");
    await within(picker).findByRole("option", { name: "Job 4321" });
    const searches = calls.filter((c) => c.path === "jobs" && c.query.get("filter")?.startsWith("title:"));
    expect(searches.map((c) => c.query.get("filter"))).toEqual(["title:contains:432"]);
    // 0432, 1432, 2432, 3432, 4432 and 4320 … 4329: fifteen titles contain "432"; the chosen
    // job stays listed first so the filter still names it.
    const titles = within(picker).getAllByRole("option").map((o) => o.textContent);
    expect(titles.slice(0, 3)).toEqual(["All jobs", "Job 4999", "Job 0432"]);
    expect(titles.filter((t) => t !== "Job 4999" && /^Job \d{4}$/.test(t ?? ""))).toHaveLength(15);
    await user.selectOptions(picker, "job-4321");
    expect(onQuery).toHaveBeenLastCalledWith({ ...query, job: "job-4321", page: 1 });
  });
});

describe("Output", () => {
  it("shows HTML first, text on its tab, links to the run and its logs, and goes back", async () => {
    fakeApi({
      "GET history/address-corrections/manual__1": () => ({
        body: {
          job_id: "address-corrections",
          run_id: "manual__1",
          title: "Address Corrections",
          success: true,
          summary: "3 addresses corrected",
          html: "<h2>Corrections</h2><table><tr><td>12 North St</td></tr></table>",
          text: "12 North St -> 12 N St",
          state: "success",
          run_url: "/dags/address-corrections/runs/manual__1",
          log_url: "/dags/address-corrections/runs/manual__1/tasks/run_job",
        },
      }),
    });
    const back = vi.fn();
    renderUi(<OutputView dagId="address-corrections" runId="manual__1" onBack={back} />);
    expect(await screen.findByRole("heading", { name: "Corrections" })).toBeVisible();
    expect(screen.getByRole("tab", { name: "Show as HTML" })).toHaveAttribute("aria-selected", "true");
    const user = userEvent.setup();
    await user.click(screen.getByRole("tab", { name: "Show as text" }));
    await waitFor(() => expect(screen.getByText("12 North St -> 12 N St")).toBeVisible());
    expect(screen.getByRole("link", { name: "Open the run in Airflow" })).toHaveAttribute("href", "/dags/address-corrections/runs/manual__1");
    expect(screen.getByRole("link", { name: "Task logs" })).toHaveAttribute("href", "/dags/address-corrections/runs/manual__1/tasks/run_job");
    await user.click(screen.getByRole("button", { name: "Back to list" }));
    expect(back).toHaveBeenCalled();
  });

  it("waits for a run that has no output yet", async () => {
    fakeApi({ "GET history/.*": () => ({ status: 404, body: { detail: "no stored output" } }) });
    renderUi(<OutputView dagId="x" runId="manual__2" />);
    expect(await screen.findByText(/has stored no output yet/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Back to list" })).toBeNull();
  });
});
