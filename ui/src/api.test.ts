import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, request } from "./api";

afterEach(() => vi.unstubAllGlobals());

function answer(status: number, body: unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } })),
  );
}

describe("request", () => {
  it("sends the browser to Airflow's login on 401", async () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, href: "http://airflow/plugin/scheduled-jobs", assign });
    answer(401, { detail: "Not authenticated" });
    await expect(request("jobs")).rejects.toBeInstanceOf(ApiError);
    expect(assign).toHaveBeenCalledWith(expect.stringContaining("auth/login?next=http%3A%2F%2Fairflow%2Fplugin%2Fscheduled-jobs"));
  });

  it("turns a refusal into a sentence and a save's errors into field errors", async () => {
    answer(409, { detail: "job 'x' is inactive: activate it before running it" });
    await expect(request("jobs/x/run", { method: "POST" })).rejects.toThrow("Job 'x' is inactive: activate it before running it.");
    answer(422, { errors: [{ field: "title", message: "is required", text: "job 'x': title: is required" }] });
    const error = await request("jobs", { method: "POST", body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).fieldErrors).toEqual([{ field: "title", message: "is required", text: "job 'x': title: is required" }]);
  });
});
