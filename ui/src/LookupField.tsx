// A parameter that names district records: picked from GET /api/lookups/{name}, never typed.
// A small list is loaded once and searched here; when the server says the list was cut short
// (`truncated`), searching asks the server and stored picks are fetched by value for their names.
import { Box, Checkbox, Input, NativeSelect, Stack, Text } from "@chakra-ui/react";
import { useEffect, useMemo, useRef, useState } from "react";

import { request } from "./api";
import type { LookupItem } from "./types";

export interface LookupPage {
  items: LookupItem[];
  truncated: boolean;
}

/** How many items the first load asks for; below it the whole list is searched in the page. */
export const FIRST_PAGE = 1000;
/** How many items one server search shows. */
export const SEARCH_PAGE = 100;
/** How long typing pauses before the server is asked (ms). */
export const SEARCH_DELAY_MS = 250;
const VALUES_PER_REQUEST = 100;

const cache = new Map<string, Promise<LookupPage>>();
const labelCache = new Map<string, Promise<LookupItem | null>>();

function ask(name: string, query: URLSearchParams): Promise<LookupPage> {
  return request<{ items: LookupItem[]; truncated?: boolean }>(`lookups/${encodeURIComponent(name)}`, { query }).then((r) => ({
    items: r.items,
    truncated: r.truncated === true,
  }));
}

export function loadLookup(name: string): Promise<LookupPage> {
  let page = cache.get(name);
  if (!page) {
    page = ask(name, new URLSearchParams({ limit: String(FIRST_PAGE) }));
    page.catch(() => cache.delete(name));
    cache.set(name, page);
  }
  return page;
}

/** The items a search finds on the server (contains, case-blind, on label or value). */
export function searchLookup(name: string, q: string): Promise<LookupPage> {
  return ask(name, new URLSearchParams({ q, limit: String(SEARCH_PAGE) }));
}

/** The items of these stored values (null for a value the database no longer has). */
export function lookupValues(name: string, values: unknown[]): Promise<(LookupItem | null)[]> {
  const wanted = [...new Set(values.map(String))].filter((v) => !labelCache.has(`${name}\u0000${v}`));
  for (let start = 0; start < wanted.length; start += VALUES_PER_REQUEST) {
    const chunk = wanted.slice(start, start + VALUES_PER_REQUEST);
    const query = new URLSearchParams({ limit: String(chunk.length) });
    for (const v of chunk) query.append("value", v);
    const answer = ask(name, query);
    for (const v of chunk) {
      const key = `${name}\u0000${v}`;
      const one = answer.then((p) => p.items.find((i) => same(i.value, v)) ?? null);
      one.catch(() => labelCache.delete(key));
      labelCache.set(key, one);
    }
  }
  return Promise.all(values.map((v) => labelCache.get(`${name}\u0000${String(v)}`)!));
}

export function clearLookupCache(): void {
  cache.clear();
  labelCache.clear();
}

function same(a: unknown, b: unknown): boolean {
  return String(a) === String(b);
}

function chosenValues(value: unknown, multiple: boolean): unknown[] {
  if (multiple) return Array.isArray(value) ? value : [];
  return value === null || value === undefined || value === "" ? [] : [value];
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
  const [page, setPage] = useState<LookupPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  // Server search: the text asked for and what it found (null while asking).
  const [found, setFound] = useState<{ q: string; page: LookupPage | null } | null>(null);
  // Stored values beyond the first page: their items, or null when the database has none.
  const [stored, setStored] = useState<Map<string, LookupItem | null>>(new Map());
  // Items seen in searches, so a pick keeps its name after the search changes.
  const seen = useRef(new Map<string, LookupItem>());

  useEffect(() => {
    let live = true;
    loadLookup(name)
      .then((p) => live && setPage(p))
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [name]);

  const truncated = page?.truncated === true;
  const chosen = useMemo(() => chosenValues(value, multiple), [value, multiple]);

  // Saved picks that the first page does not hold: ask the server for their names.
  const unknown = useMemo(() => {
    if (!page || !truncated) return [];
    return chosen.filter((v) => !page.items.some((i) => same(i.value, v)) && !stored.has(String(v)) && !seen.current.has(String(v)));
  }, [page, truncated, chosen, stored]);
  useEffect(() => {
    if (unknown.length === 0) return;
    let live = true;
    lookupValues(name, unknown)
      .then((items) => {
        if (!live) return;
        setStored((before) => {
          const next = new Map(before);
          unknown.forEach((v, n) => next.set(String(v), items[n]));
          return next;
        });
      })
      .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [name, unknown]);

  // Typing searches the server when the list was cut short, after a short pause.
  const q = search.trim();
  useEffect(() => {
    if (!truncated || !q) {
      setFound(null);
      return;
    }
    let live = true;
    setFound({ q, page: null });
    const timer = window.setTimeout(() => {
      searchLookup(name, q)
        .then((p) => {
          if (!live) return;
          for (const i of p.items) seen.current.set(String(i.value), i);
          setFound({ q, page: p });
        })
        .catch((err: unknown) => live && setError(err instanceof Error ? err.message : String(err)));
    }, SEARCH_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [name, truncated, q]);

  const shown = useMemo(() => {
    if (!page) return [];
    if (truncated && q) return found?.page?.items ?? [];
    const lower = q.toLowerCase();
    return page.items.filter((i) => !lower || i.label.toLowerCase().includes(lower) || String(i.value).toLowerCase().includes(lower));
  }, [page, truncated, q, found]);

  if (error) return <Text color="red.fg" fontSize="sm">{`The list of ${name} could not be loaded: ${error}`}</Text>;
  if (page === null) return <Text fontSize="sm" color="fg.muted">Loading {name}…</Text>;

  /** The item of a chosen value: from the first page, a search, or asked by value. */
  const itemOf = (v: unknown): LookupItem | null | undefined => {
    const key = String(v);
    return page.items.find((i) => same(i.value, v)) ?? seen.current.get(key) ?? (truncated ? stored.get(key) : null);
  };
  const gone = chosen.filter((v) => itemOf(v) === null);
  const searching = truncated && q !== "" && found?.page === null;
  const searchBox = (page.items.length > 8 || truncated) && (
    <Input
      size="xs"
      placeholder={truncated ? `Search all ${name}` : `Search ${name}`}
      aria-label={`Search ${label}`}
      value={search}
      disabled={disabled}
      onChange={(e) => setSearch(e.target.value)}
    />
  );
  const hint = searching
    ? "Searching…"
    : truncated && !q
      ? `Showing the first ${page.items.length}; type to search them all.`
      : truncated && found?.page?.truncated
        ? `Showing the first ${shown.length} matches; type more to narrow.`
        : null;

  if (!multiple) {
    const current = chosen.length ? chosen[0] : null;
    const currentItem = current === null ? undefined : itemOf(current);
    const currentListed = current !== null && shown.some((i) => same(i.value, current));
    return (
      <Stack gap="1" maxWidth="md">
        {searchBox}
        <NativeSelect.Root size="sm" disabled={disabled} invalid={invalid}>
          <NativeSelect.Field
            aria-label={label}
            data-param={param}
            value={current === null ? "" : String(current)}
            onChange={(e) => {
              const picked = shown.find((i) => same(i.value, e.target.value)) ?? (currentItem && same(currentItem.value, e.target.value) ? currentItem : undefined);
              onChange(picked ? picked.value : null);
            }}
          >
            <option value="">— none —</option>
            {current !== null && !currentListed && (
              <option value={String(current)}>
                {currentItem ? currentItem.label : currentItem === null ? `${String(current)} (no longer in the database)` : String(current)}
              </option>
            )}
            {shown.map((i) => (
              <option key={String(i.value)} value={String(i.value)}>
                {i.label}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
        {hint && (
          <Text fontSize="xs" color="fg.muted" aria-live="polite">
            {hint}
          </Text>
        )}
      </Stack>
    );
  }

  const toggle = (item: LookupItem, on: boolean) => {
    seen.current.set(String(item.value), item);
    const rest = chosen.filter((v) => !same(v, item.value));
    onChange(on ? [...rest, item.value] : rest);
  };
  // When the list is cut short, picks outside what is shown stay listed so they can be removed.
  const extra = truncated
    ? chosen
        .filter((v) => !shown.some((i) => same(i.value, v)))
        .map(itemOf)
        .filter((i): i is LookupItem => Boolean(i))
    : [];
  const box = (item: LookupItem) => (
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
  );
  return (
    <Stack gap="1" maxWidth="lg" data-param={param}>
      {searchBox}
      <Box maxHeight="40" overflowY="auto" borderWidth="1px" borderRadius="md" px="2" py="1" aria-busy={searching}>
        {extra.map(box)}
        {shown.map(box)}
        {shown.length === 0 && !searching && <Text fontSize="sm" color="fg.muted">Nothing matches.</Text>}
      </Box>
      <Text fontSize="xs" color="fg.muted" aria-live="polite">
        {chosen.length === 0 ? "None chosen." : `${chosen.length} chosen.`}
        {gone.length > 0 && ` No longer in the database: ${gone.join(", ")}.`}
        {hint && ` ${hint}`}
      </Text>
    </Stack>
  );
}
