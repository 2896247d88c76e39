import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { beforeEach, describe, expect, it } from "vitest";

import { LookupField, clearLookupCache } from "./LookupField";
import { type Call, fakeApi, renderUi } from "./test/render";

// A district with 20,000 users: the first page holds three, the server says there are more.
const FIRST = [
  { value: 1, label: "Adams, Amy (aadams)" },
  { value: 2, label: "Baker, Bo (bbaker)" },
  { value: 3, label: "Cole, Cy (ccole)" },
];
const LATER = [
  { value: 15001, label: "Zimmer, Ann (azimmer)" },
  { value: 16002, label: "Zimmerman, Bob (bzimmerman)" },
];

function usersApi() {
  return fakeApi({
    "GET lookups/users": (c: Call) => {
      const values = c.query.getAll("value");
      if (values.length) {
        return { body: { name: "users", items: LATER.filter((i) => values.includes(String(i.value))), truncated: false } };
      }
      const q = c.query.get("q");
      if (q) {
        return { body: { name: "users", items: LATER.filter((i) => i.label.toLowerCase().includes(q.toLowerCase())), truncated: false } };
      }
      return { body: { name: "users", items: FIRST, truncated: true } };
    },
    "GET lookups/drop_codes": (c: Call) => {
      const values = c.query.getAll("value");
      const later = [
        { value: "W99", label: "W99 - Moved out of state" },
        { value: "W98", label: "W98 - Home education" },
      ];
      if (values.length) return { body: { items: later.filter((i) => values.includes(i.value)), truncated: false } };
      const q = c.query.get("q");
      if (q) return { body: { items: later.filter((i) => i.label.toLowerCase().includes(q.toLowerCase())), truncated: false } };
      return { body: { items: [{ value: "W01", label: "W01 - Graduated" }], truncated: true } };
    },
  });
}

function Field(props: { name: string; multiple: boolean; initial: unknown; onValue?: (v: unknown) => void }) {
  const [value, setValue] = useState<unknown>(props.initial);
  return (
    <LookupField
      name={props.name}
      label={props.multiple ? "Alert users" : "Drop code"}
      param={props.name}
      multiple={props.multiple}
      value={value}
      onChange={(v) => {
        setValue(v);
        props.onValue?.(v);
      }}
    />
  );
}

beforeEach(() => clearLookupCache());

describe("LookupField with more records than one page", () => {
  it("shows a saved user beyond the first page by name, and searches the server when typing", async () => {
    const { calls } = usersApi();
    let latest: unknown = null;
    renderUi(<Field name="users" multiple initial={[2, 15001]} onValue={(v) => (latest = v)} />);
    // The saved pick is asked for by value and shown by name, checked: not "no longer in the database".
    const ann = await screen.findByRole("checkbox", { name: "Zimmer, Ann (azimmer)" });
    expect(ann).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Baker, Bo (bbaker)" })).toBeChecked();
    expect(screen.queryByText(/No longer in the database/)).toBeNull();
    const byValue = calls.find((c) => c.query.getAll("value").length > 0);
    expect(byValue?.query.getAll("value")).toEqual(["15001"]);
    expect(screen.getByText(/Showing the first 3; type to search them all/)).toBeInTheDocument();

    // Typing asks the server (once the typing pauses), and a found user can be picked.
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search Alert users"), "zimmerman");
    const bob = await screen.findByRole("checkbox", { name: "Zimmerman, Bob (bzimmerman)" });
    const searches = calls.filter((c) => c.query.get("q"));
    expect(searches.map((c) => c.query.get("q"))).toEqual(["zimmerman"]);
    expect(screen.queryByRole("checkbox", { name: "Adams, Amy (aadams)" })).toBeNull();
    await user.click(bob);
    await waitFor(() => expect(latest).toEqual([2, 15001, 16002]));
    // Picks outside the search stay listed (checked) so they can be taken off.
    expect(screen.getByRole("checkbox", { name: "Baker, Bo (bbaker)" })).toBeChecked();
    await user.click(screen.getByRole("checkbox", { name: "Zimmer, Ann (azimmer)" }));
    await waitFor(() => expect(latest).toEqual([2, 16002]));
  });

  it("names a saved pick the database no longer has", async () => {
    usersApi();
    renderUi(<Field name="users" multiple initial={[1, 99999]} />);
    await screen.findByText(/No longer in the database: 99999\./);
    expect(screen.getByRole("checkbox", { name: "Adams, Amy (aadams)" })).toBeChecked();
  });

  it("searches a single-value lookup on the server and keeps the saved one by name", async () => {
    const { calls } = usersApi();
    let latest: unknown = "W99";
    renderUi(<Field name="drop_codes" multiple={false} initial="W99" onValue={(v) => (latest = v)} />);
    const select = (await screen.findByRole("combobox", { name: "Drop code" })) as HTMLSelectElement;
    await waitFor(() => expect(select.selectedOptions[0]?.textContent).toBe("W99 - Moved out of state"));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search Drop code"), "home");
    await within(select).findByRole("option", { name: "W98 - Home education" });
    expect(calls.filter((c) => c.query.get("q")).map((c) => c.query.get("q"))).toEqual(["home"]);
    await user.selectOptions(select, "W98");
    await waitFor(() => expect(latest).toBe("W98"));
  });

  it("searches a short list in the page, without asking the server", async () => {
    const { calls } = fakeApi({
      "GET lookups/schools": () => ({
        body: {
          items: Array.from({ length: 10 }, (_, n) => ({ value: n + 1, label: `School ${n + 1}` })),
          truncated: false,
        },
      }),
    });
    renderUi(<Field name="schools" multiple initial={[]} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Search Alert users"), "10");
    expect(screen.getByRole("checkbox", { name: "School 10" })).toBeInTheDocument();
    expect(screen.queryByRole("checkbox", { name: "School 1" })).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls).toHaveLength(1);
  });
});
