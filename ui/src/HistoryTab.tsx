// Execution History: runs between From and To, live while something runs, each run's output.
import { Alert, Badge, Button, HStack, Input, NativeSelect, Spinner, Stack, Table, Text } from "@chakra-ui/react";
import { useCallback, useEffect, useState } from "react";

import { request } from "./api";
import { Pager } from "./Pager";
import { SortHeader } from "./SortHeader";
import { stateBadge, stateLabel } from "./states";
import type { HistoryPage, JobPage } from "./types";

/** How many titles the Job filter lists at once; a search on the server finds the others. */
export const JOB_CHOICES = 50;
export const JOB_SEARCH_DELAY_MS = 250;

export interface HistoryQuery {
  from: string;
  to: string;
  job: string;
  sort: string;
  desc: boolean;
  page: number;
}

export const POLL_MS = 3000;

export function defaultHistoryQuery(today: Date = new Date()): HistoryQuery {
  const from = new Date(today.getTime() - 7 * 86400_000);
  const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  return { from: iso(from), to: iso(today), job: "", sort: "time", desc: true, page: 1 };
}

const COLUMNS: [string, string][] = [
  ["time", "Time"],
  ["job", "Job"],
  ["duration", "Duration"],
  ["state", "Success"],
  ["ran_by", "Ran by"],
];

export function HistoryTab(props: {
  query: HistoryQuery;
  onQuery: (q: HistoryQuery) => void;
  onView: (jobId: string, runId: string) => void;
  refreshKey: number;
  pollMs?: number;
}) {
  const { query, onQuery, onView, refreshKey, pollMs = POLL_MS } = props;
  const [from, setFrom] = useState(query.from);
  const [to, setTo] = useState(query.to);
  const [data, setData] = useState<HistoryPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);

  const load = useCallback(
    (signal: { cancelled: boolean }) => {
      const params = new URLSearchParams({ sort: query.sort, desc: String(query.desc), page: String(query.page), page_size: "25" });
      if (query.from) params.set("from", query.from);
      if (query.to) params.set("to", query.to);
      if (query.job) params.set("job", query.job);
      setLoading(true);
      return request<HistoryPage>("history", { query: params })
        .then((page) => {
          if (signal.cancelled) return;
          setData(page);
          setError(null);
        })
        .catch((err: unknown) => {
          if (!signal.cancelled) setError(err instanceof Error ? err.message : String(err));
        })
        .finally(() => {
          if (!signal.cancelled) setLoading(false);
        });
    },
    [query],
  );

  useEffect(() => {
    const signal = { cancelled: false };
    void load(signal);
    return () => {
      signal.cancelled = true;
    };
  }, [load, refreshKey, tick]);

  // While a listed run is queued or running, ask again every few seconds.
  useEffect(() => {
    if (!data?.live) return;
    const timer = window.setTimeout(() => setTick((n) => n + 1), pollMs);
    return () => window.clearTimeout(timer);
  }, [data, pollMs]);

  return (
    <Stack gap="3">
      <HStack
        as="form"
        gap="3"
        flexWrap="nowrap"
        align="end"
        aria-label="Search the history"
        onSubmit={(e: React.FormEvent) => {
          e.preventDefault();
          onQuery({ ...query, from, to, page: 1 });
        }}
      >
        <Stack gap="0.5">
          <label htmlFor="h-from">
            <Text fontSize="sm" fontWeight="medium">From</Text>
          </label>
          <Input id="h-from" size="sm" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Stack>
        <Stack gap="0.5">
          <label htmlFor="h-to">
            <Text fontSize="sm" fontWeight="medium">To</Text>
          </label>
          <Input id="h-to" size="sm" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </Stack>
        <Button type="submit" size="sm">
          Search
        </Button>
        <JobPicker job={query.job} onJob={(job) => onQuery({ ...query, job, page: 1 })} />
        {data?.live && (
          <Badge colorPalette="cyan" variant="subtle" aria-live="polite">
            <Spinner size="xs" /> updating while runs are in progress
          </Badge>
        )}
      </HStack>
      {error && (
        <Alert.Root status="error" size="sm" role="alert">
          <Alert.Indicator />
          <Alert.Title>{error}</Alert.Title>
        </Alert.Root>
      )}
      <Table.ScrollArea borderWidth="1px" borderRadius="md">
        <Table.Root size="sm" id="history-table" aria-label="Execution history" aria-busy={loading}>
          <Table.Header>
            <Table.Row>
              {COLUMNS.map(([column, label]) => (
                <SortHeader
                  key={column}
                  column={column}
                  label={label}
                  sort={query.sort}
                  desc={query.desc}
                  onSort={(sort, desc) => onQuery({ ...query, sort, desc, page: 1 })}
                />
              ))}
              <Table.ColumnHeader>Summary</Table.ColumnHeader>
              <Table.ColumnHeader>Output</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {data?.runs.map((run) => (
              <Table.Row key={`${run.job_id}/${run.run_id}`} data-job={run.job_id} data-run={run.run_id} data-state={run.state}>
                <Table.Cell whiteSpace="nowrap">{run.time_display ?? run.time}</Table.Cell>
                <Table.Cell>{run.title}</Table.Cell>
                <Table.Cell whiteSpace="nowrap">{run.duration_display ?? ""}</Table.Cell>
                <Table.Cell>
                  <Badge {...stateBadge(run.state)} variant="solid" data-testid="run-state">
                    {stateLabel(run.state)}
                  </Badge>
                  {run.success === false && run.state === "success" && (
                    <Text fontSize="xs" color="red.fg">
                      the job reported a failure
                    </Text>
                  )}
                </Table.Cell>
                <Table.Cell>{run.ran_by}</Table.Cell>
                <Table.Cell maxWidth="xs">
                  <Text lineClamp={2} fontSize="sm">
                    {run.summary ?? ""}
                  </Text>
                </Table.Cell>
                <Table.Cell>
                  <HStack gap="1" flexWrap="nowrap">
                    <Button size="xs" variant="outline" disabled={!run.has_output} onClick={() => onView(run.job_id, run.run_id)} aria-label={`View output of ${run.title} at ${run.time_display ?? run.time}`}>
                      View
                    </Button>
                  </HStack>
                </Table.Cell>
              </Table.Row>
            ))}
            {data && data.runs.length === 0 && (
              <Table.Row>
                <Table.Cell colSpan={COLUMNS.length + 2}>
                  <Text color="fg.muted">No runs in these dates.</Text>
                </Table.Cell>
              </Table.Row>
            )}
          </Table.Body>
        </Table.Root>
      </Table.ScrollArea>
      {data && (
        <HStack justify="space-between">
          <Text fontSize="xs" color="fg.muted">
            Times in the district time zone ({data.timezone}). Durations are the job task's, as Airflow measured them.
          </Text>
          <Pager page={data.page} pages={data.pages} total={data.total} noun={data.total === 1 ? "run" : "runs"} onPage={(page) => onQuery({ ...query, page })} />
        </HStack>
      )}
    </Stack>
  );
}

interface JobChoice {
  id: string;
  title: string;
}

function jobQuery(filter: string | null, size: number): URLSearchParams {
  const params = new URLSearchParams({ page_size: String(size), sort: "title" });
  if (filter) params.append("filter", filter);
  return params;
}

/** The Job filter: a title search on the server (the jobs listing's filters) and its matches. */
function JobPicker(props: { job: string; onJob: (job: string) => void }) {
  const { job, onJob } = props;
  const [search, setSearch] = useState("");
  const [found, setFound] = useState<{ jobs: JobChoice[]; total: number } | null>(null);
  const [chosenTitle, setChosenTitle] = useState<{ id: string; title: string } | null>(null);
  const q = search.trim();

  useEffect(() => {
    let live = true;
    const ask = () =>
      request<JobPage>("jobs", { query: jobQuery(q ? `title:contains:${q}` : null, JOB_CHOICES) })
        .then((p) => live && setFound({ jobs: p.jobs.map((j) => ({ id: j.id, title: j.title })), total: p.total }))
        .catch(() => live && setFound({ jobs: [], total: 0 }));
    // The first list comes at once; typing waits for a pause.
    let timer: number | undefined;
    if (q) timer = window.setTimeout(ask, JOB_SEARCH_DELAY_MS);
    else void ask();
    return () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [q]);

  const listed = found?.jobs ?? [];
  const chosenListed = !job || listed.some((j) => j.id === job);
  // A chosen job outside the matches keeps its title (asked by id), so the filter still says it.
  useEffect(() => {
    if (chosenListed || chosenTitle?.id === job) return;
    let live = true;
    request<JobPage>("jobs", { query: jobQuery(`id:equals:${job}`, 1) })
      .then((p) => live && setChosenTitle({ id: job, title: p.jobs[0]?.title ?? job }))
      .catch(() => live && setChosenTitle({ id: job, title: job }));
    return () => {
      live = false;
    };
  }, [job, chosenListed, chosenTitle]);

  const more = found ? found.total - listed.length : 0;
  return (
    <Stack gap="0.5">
      <label htmlFor="h-job">
        <Text fontSize="sm" fontWeight="medium">Job</Text>
      </label>
      <HStack gap="1" flexWrap="nowrap">
        <Input size="sm" width="36" placeholder="Search titles" aria-label="Search jobs by title" value={search} onChange={(e) => setSearch(e.target.value)} />
        <NativeSelect.Root size="sm" width="56">
          <NativeSelect.Field id="h-job" value={job} onChange={(e) => onJob(e.target.value)}>
            <option value="">All jobs</option>
            {!chosenListed && <option value={job}>{chosenTitle?.id === job ? chosenTitle.title : job}</option>}
            {listed.map((j) => (
              <option key={j.id} value={j.id}>
                {j.title}
              </option>
            ))}
            {more > 0 && (
              <option disabled value="__more__">
                {`${more} more: search titles to narrow`}
              </option>
            )}
            {found && q && listed.length === 0 && (
              <option disabled value="__none__">
                No job title contains that
              </option>
            )}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      </HStack>
    </Stack>
  );
}
