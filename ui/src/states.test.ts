import { describe, expect, it } from "vitest";

import { stateBadge } from "./states";

describe("state badges", () => {
  it("put dark text on the middle-tone colours, where white is under 4.5:1", () => {
    // Seen in the browser test: white on up-for-retry's yellow (#d08700) is 2.9:1.
    expect(stateBadge("up_for_retry")).toEqual({ colorPalette: "yellow", color: "gray.950" });
    expect(stateBadge("running")).toEqual({ colorPalette: "cyan", color: "gray.950" });
    expect(stateBadge("upstream_failed")).toEqual({ colorPalette: "orange", color: "gray.950" });
  });

  it("keep Airflow's white text on the dark ones and fall back to gray", () => {
    expect(stateBadge("success")).toEqual({ colorPalette: "green" });
    expect(stateBadge("failed")).toEqual({ colorPalette: "red" });
    expect(stateBadge("no_such_state")).toEqual({ colorPalette: "gray" });
  });
});
