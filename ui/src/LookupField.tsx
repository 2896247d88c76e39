// A parameter that names district records: picked from GET /api/lookups/{name}, never typed.
import { Box, Checkbox, Input, NativeSelect, Stack, Text } from "@chakra-ui/react";
import { useEffect, useMemo, useState } from "react";

import { request } from "./api";
import type { LookupItem } from "./types";

const cache = new Map<string, Promise<LookupItem[]>>();

export function loadLookup(name: string): Promise<LookupItem[]> {
  let items = cache.get(name);
  if (!items) {
    items = request<{ items: LookupItem[] }>(`lookups/${encodeURIComponent(name)}`, {
      query: new URLSearchParams({ limit: "1000" }),
    }).then((r) => r.items);
    items.catch(() => cache.delete(name));
    cache.set(name, items);
  }
  return items;
}

export function clearLookupCache(): void {
  cache.clear();
}

function same(a: unknown, b: unknown): boolean {
  return String(a) === String(b);
}

export function LookupField(props: {
  name: string;
  label: string;
  param: string;
  multiple: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  disabled?: boolean;
  invalid?: boolean;
}) {
  const { name, label, param, multiple, value, onChange, disabled, invalid } = props;
  const [items, setItems] = useState<LookupItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  useEffect(() => {
    let live = true;
    loadLookup(name)
      .then((found) => live && setItems(found))
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [name]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (items ?? []).filter((i) => !q || i.label.toLowerCase().includes(q) || String(i.value).toLowerCase().includes(q));
  }, [items, search]);
  if (error) return <Text color="red.fg" fontSize="sm">{`The list of ${name} could not be loaded: ${error}`}</Text>;
  if (items === null) return <Text fontSize="sm" color="fg.muted">Loading {name}…</Text>;

  if (!multiple) {
    return (
      <NativeSelect.Root size="sm" disabled={disabled} invalid={invalid} maxWidth="md">
        <NativeSelect.Field
          aria-label={label}
          data-param={param}
          value={value === null || value === undefined ? "" : String(value)}
          onChange={(e) => {
            const picked = items.find((i) => same(i.value, e.target.value));
            onChange(picked ? picked.value : null);
          }}
        >
          <option value="">— none —</option>
          {items.map((i) => (
            <option key={String(i.value)} value={String(i.value)}>
              {i.label}
            </option>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    );
  }

  const chosen = Array.isArray(value) ? value : [];
  const toggle = (item: LookupItem, on: boolean) => {
    const rest = chosen.filter((v) => !same(v, item.value));
    onChange(on ? [...rest, item.value] : rest);
  };
  const stored = chosen.filter((v) => !items.some((i) => same(i.value, v)));
  return (
    <Stack gap="1" maxWidth="lg" data-param={param}>
      {items.length > 8 && (
        <Input size="xs" placeholder={`Search ${name}`} aria-label={`Search ${label}`} value={search} onChange={(e) => setSearch(e.target.value)} />
      )}
      <Box maxHeight="40" overflowY="auto" borderWidth="1px" borderRadius="md" px="2" py="1">
        {shown.map((item) => (
          <Checkbox.Root
            key={String(item.value)}
            size="sm"
            display="flex"
            disabled={disabled}
            checked={chosen.some((v) => same(v, item.value))}
            onCheckedChange={(e) => toggle(item, e.checked === true)}
          >
            <Checkbox.HiddenInput data-lookup-value={String(item.value)} />
            <Checkbox.Control />
            <Checkbox.Label>
              {item.label}
              {item.group ? <Text as="span" color="fg.muted">{` · ${item.group}`}</Text> : null}
            </Checkbox.Label>
          </Checkbox.Root>
        ))}
        {shown.length === 0 && <Text fontSize="sm" color="fg.muted">Nothing matches.</Text>}
      </Box>
      <Text fontSize="xs" color="fg.muted">
        {chosen.length === 0 ? "None chosen." : `${chosen.length} chosen.`}
        {stored.length > 0 && ` No longer in the database: ${stored.join(", ")}.`}
      </Text>
    </Stack>
  );
}
