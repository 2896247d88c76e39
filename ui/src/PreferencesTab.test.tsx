import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import { clearLookupCache } from "./LookupField";
import { type Preference, PreferencesTab } from "./PreferencesTab";
import { fakeApi, renderUi } from "./test/render";

const PROFILE: Preference = {
  key: "callout_form_review_profile",
  title: "Profile that reviews returned contact forms",
  type: "text",
  scope: "district",
  description: "Who sees a returned form.",
  choices: [],
  lookup: "profiles",
  default: "Registrar",
  district: "Counselor",
  schools: {},
};
const EMAIL: Preference = { ...PROFILE, key: "pcard_administrator_email", title: "P-Card administrator e-mail", lookup: null, default: "", district: null };

beforeEach(() => clearLookupCache());

describe("System Preferences", () => {
  it("offers a profile preference's values from the profiles lookup and sets the one picked", async () => {
    const { calls } = fakeApi({
      "GET prefs": () => ({ body: { preferences: [PROFILE, EMAIL], can_edit: true } }),
      "GET lookups/profiles": () => ({
        body: {
          items: ["Administrator", "Counselor", "Registrar", "Teacher"].map((p) => ({ value: p, label: p })),
          truncated: false,
        },
      }),
      "PUT prefs/callout_form_review_profile": () => ({ body: { key: PROFILE.key, school_id: null, value: "Registrar" } }),
    });
    renderUi(<PreferencesTab />);
    const picker = (await screen.findByRole("combobox", { name: `${PROFILE.title} value` })) as HTMLSelectElement;
    await waitFor(() => expect(picker).toHaveValue("Counselor"));
    expect(within(picker).getAllByRole("option").map((o) => o.textContent)).toEqual(["— none —", "Administrator", "Counselor", "Registrar", "Teacher"]);
    // A preference without a lookup is still typed.
    expect(screen.getByRole("textbox", { name: `${EMAIL.title} value` })).toBeInTheDocument();
    const user = userEvent.setup();
    await user.selectOptions(picker, "Registrar");
    await user.click(screen.getByRole("button", { name: `Set ${PROFILE.title}` }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ value: "Registrar", school_id: null });
  });
});
