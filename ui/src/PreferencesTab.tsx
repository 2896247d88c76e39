// System Preferences: every preference with its values; an administrator sets them here.
import { Alert, Box, Button, HStack, Input, NativeSelect, Stack, Table, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { request } from "./api";
import { LookupField } from "./LookupField";
import { notify } from "./toaster";

export interface Preference {
  key: string;
  title: string;
  type: string;
  scope: string;
  description: string;
  choices: string[];
  /** The lookup its values are picked from (profiles); none: chosen from `choices` or typed. */
  lookup?: string | null;
  default: string;
  district: string | null;
  schools: Record<string, string>;
}

/** A stored value as a person reads it: flags are on / off (the database keeps true / false). */
export function shown(pref: Pick<Preference, "type">, value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (pref.type !== "flag") return value;
  return ["true", "1", "on", "yes"].includes(value.toLowerCase()) ? "on" : "off";
}

function PreferenceRow(props: { pref: Preference; canEdit: boolean; onSaved: () => void }) {
  const { pref, canEdit, onSaved } = props;
  const [value, setValue] = useState(shown(pref, pref.district) ?? "");
  const [school, setSchool] = useState("");
  const save = async () => {
    const schoolId = school.trim() === "" ? null : Number(school);
    if (school.trim() !== "" && !Number.isInteger(schoolId)) {
      notify("error", `${pref.title} not set`, `School '${school}' is not a school id.`);
      return;
    }
    try {
      await request(`prefs/${encodeURIComponent(pref.key)}`, { method: "PUT", body: { value, school_id: schoolId } });
      notify("success", `${pref.title} set.`);
      onSaved();
    } catch (err) {
      notify("error", `${pref.title} not set`, err instanceof Error ? err.message : String(err));
    }
  };
  const schools = Object.entries(pref.schools);
  return (
    <Table.Row data-key={pref.key}>
      <Table.Cell>
        <Text fontWeight="medium">{pref.title}</Text>
        <Text fontSize="xs" color="fg.muted">
          {pref.description}
        </Text>
      </Table.Cell>
      <Table.Cell data-testid="pref-district">{shown(pref, pref.district) ?? <Text as="span" color="fg.muted">default: {pref.default}</Text>}</Table.Cell>
      <Table.Cell fontSize="sm">{schools.length ? schools.map(([s, v]) => `school ${s}: ${shown(pref, v)}`).join("; ") : "—"}</Table.Cell>
      {canEdit && (
        <Table.Cell>
          <HStack gap="1" flexWrap="nowrap">
            {pref.lookup ? (
              <Box width="44">
                <LookupField
                  name={pref.lookup}
                  label={`${pref.title} value`}
                  param={pref.key}
                  multiple={false}
                  value={value}
                  onChange={(v) => setValue(v === null || v === undefined ? "" : String(v))}
                />
              </Box>
            ) : pref.choices.length || pref.type === "flag" ? (
              <NativeSelect.Root size="xs" width="36">
                <NativeSelect.Field aria-label={`${pref.title} value`} value={value} onChange={(e) => setValue(e.target.value)}>
                  <option value="">—</option>
                  {(pref.type === "flag" ? ["on", "off"] : pref.choices).map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </NativeSelect.Field>
                <NativeSelect.Indicator />
              </NativeSelect.Root>
            ) : (
              <Input size="xs" width="36" aria-label={`${pref.title} value`} value={value} onChange={(e) => setValue(e.target.value)} />
            )}
            {pref.scope !== "district" && (
              <Input size="xs" width="20" aria-label={`${pref.title} school`} placeholder="school id" value={school} onChange={(e) => setSchool(e.target.value)} />
            )}
            <Button size="xs" variant="outline" onClick={() => void save()} aria-label={`Set ${pref.title}`}>
              Set
            </Button>
          </HStack>
        </Table.Cell>
      )}
    </Table.Row>
  );
}

export function PreferencesTab() {
  const [data, setData] = useState<{ preferences: Preference[]; can_edit: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    request<{ preferences: Preference[]; can_edit: boolean }>("prefs")
      .then(setData)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [reload]);
  if (error)
    return (
      <Alert.Root status="error" role="alert">
        <Alert.Indicator />
        <Alert.Title>{error}</Alert.Title>
      </Alert.Root>
    );
  if (!data) return null;
  return (
    <Stack gap="2">
      {!data.can_edit && (
        <Text fontSize="sm" color="fg.muted" id="prefs-note">
          Read only: only an administrator may change System Preferences.
        </Text>
      )}
      <Table.ScrollArea borderWidth="1px" borderRadius="md">
        <Table.Root size="sm" id="prefs-table" aria-label="System Preferences">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeader>Preference</Table.ColumnHeader>
              <Table.ColumnHeader>District</Table.ColumnHeader>
              <Table.ColumnHeader>Schools</Table.ColumnHeader>
              {data.can_edit && <Table.ColumnHeader>Change</Table.ColumnHeader>}
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {data.preferences.map((p) => (
              <PreferenceRow key={`${p.key}-${p.district}-${JSON.stringify(p.schools)}`} pref={p} canEdit={data.can_edit} onSaved={() => setReload((n) => n + 1)} />
            ))}
          </Table.Body>
        </Table.Root>
      </Table.ScrollArea>
    </Stack>
  );
}
