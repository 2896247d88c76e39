// The Jobs tab: every job, sorted, filtered and paged on the server.
import { Alert, Badge, Button, HStack, IconButton, Link, Spinner, Stack, Table, Text } from "@chakra-ui/react";
import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError, apiUrl, request } from "./api";
import { DeleteDialog } from "./DeleteDialog";
import { FilterBar } from "./FilterBar";
import { type ColumnFilter, filterParams } from "./filters";
import { relativeTime } from "./format";
import { Pager } from "./Pager";
import { SortHeader } from "./SortHeader";
import { notify } from "./toaster";
import type { Job, JobPage, Me, RunStarted } from "./types";

const COLUMNS: [string, string][] = [
  ["title", "Job Title"],
  ["job_time", "Job Time"],
  ["priority", "Priority"],
  ["weekdays", "Weekdays"],
  ["start_date", "Start Date"],
  ["end_date", "End Date"],
  ["class_title", "Class"],
  ["kind", "Kind"],
  ["next_run", "Next Run"],
];

export interface JobsQuery {
  sort: string;
  desc: boolean;
  page: number;
  filters: ColumnFilter[];
}

export function runJob(job: { id: string; title: string }, onStarted?: () => void): Promise<void> {
  return request<RunStarted>(`jobs/${encodeURIComponent(job.id)}/run`, { method: "POST" })
    .then((run) => {
      notify(
        "success",
        `${job.title} started`,
        `Run ${run.dag_run_id}`,
        run.run_url ? { href: run.run_url, label: "Open the run in Airflow" } : undefined,
      );
      onStarted?.();
    })
    .catch((err: unknown) => {
      notify("error", `${job.title} was not started`, err instanceof Error ? err.message : String(err));
    });
}

export function JobsTab(props: {
  me: Me;
  query: JobsQuery;
  onQuery: (q: JobsQuery) => void;
  onOpen: (id: string | null) => void;
  onRunStarted: () => void;
  pageSize?: number;
}) {
  const { me, query, onQuery, onOpen, onRunStarted, pageSize = 25 } = props;
  const [data, setData] = useState<JobPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [deleting, setDeleting] = useState<Job | null>(null);
  const [reload, setReload] = useState(0);
  const [importing, setImporting] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const filters = filterParams(query.filters);
  const filterKey = filters.join("\n");

  const load = useCallback(
    (signal: { cancelled: boolean }) => {
      const params = new URLSearchParams({
        sort: query.sort,
        desc: String(query.desc),
        page: String(query.page),
        page_size: String(pageSize),
      });
      for (const f of filterKey ? filterKey.split("\n") : []) params.append("filter", f);
      setLoading(true);
      request<JobPage>("jobs", { query: params })
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
    [query.sort, query.desc, query.page, filterKey, pageSize],
  );

  useEffect(() => {
    const signal = { cancelled: false };
    const timer = window.setTimeout(() => load(signal), 250);
    return () => {
      signal.cancelled = true;
      window.clearTimeout(timer);
    };
  }, [load, reload]);

  const remove = async (id: string) => {
    try {
      await request<void>(`jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
      notify("success", `Job ${id} deleted`);
      setDeleting(null);
      setReload((n) => n + 1);
    } catch (err) {
      setDeleting(null);
      notify("error", "The job was not deleted", err instanceof Error ? err.message : String(err));
    }
  };

  const importFile = async (file: File) => {
    setImporting(true);
    try {
      const response = await fetch(apiUrl("import"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/yaml", Accept: "application/json" },
        body: await file.text(),
      });
      const body = (await response.json().catch(() => ({}))) as {
        created?: number;
        updated?: number;
        errors?: { text: string }[];
        detail?: string;
      };
      if (response.ok) {
        notify("success", `Imported ${file.name}`, `${body.created ?? 0} created, ${body.updated ?? 0} updated.`);
        setReload((n) => n + 1);
      } else {
        const lines = body.errors?.map((e) => e.text).join("\n") ?? body.detail ?? "The file was refused.";
        notify("error", `Nothing imported from ${file.name}`, lines);
      }
    } catch (err) {
      notify("error", "The import failed", err instanceof Error ? err.message : String(err));
    } finally {
      setImporting(false);
      if (fileInput.current) fileInput.current.value = "";
    }
  };

  const exportHref = (() => {
    const params = new URLSearchParams();
    for (const f of filters) params.append("filter", f);
    const q = params.toString();
    return apiUrl("export") + (q ? `?${q}` : "");
  })();

  const now = data?.now ? new Date(data.now) : new Date();
  const zone = data?.timezone_abbreviation ?? data?.timezone ?? "";

  return (
    <Stack gap="3">
      <HStack justify="space-between" align="start" flexWrap="nowrap" gap="4">
        <FilterBar filters={query.filters} onChange={(f) => onQuery({ ...query, filters: f, page: 1 })} />
        <HStack gap="2" flexWrap="nowrap" flexShrink={0}>
          {me.can_edit && (
            <Button size="sm" onClick={() => onOpen(null)}>
              Create Job
            </Button>
          )}
          <Button asChild size="sm" variant="outline">
            <a href={exportHref} download="scheduled-jobs.yaml">
              Export
            </a>
          </Button>
          {me.can_edit && (
            <>
              <Button size="sm" variant="outline" loading={importing} onClick={() => fileInput.current?.click()}>
                Import
              </Button>
              <input
                ref={fileInput}
                type="file"
                accept=".yaml,.yml,application/yaml"
                aria-label="Import jobs file"
                data-testid="import-file"
                hidden
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) void importFile(file);
                }}
              />
            </>
          )}
        </HStack>
      </HStack>
      {data?.retention_warning && (
        <Alert.Root status="warning" size="sm">
          <Alert.Indicator />
          <Alert.Title>{data.retention_warning}</Alert.Title>
        </Alert.Root>
      )}
      {error && (
        <Alert.Root status="error" size="sm" role="alert">
          <Alert.Indicator />
          <Alert.Title>{error}</Alert.Title>
        </Alert.Root>
      )}
      <Table.ScrollArea borderWidth="1px" borderRadius="md">
        <Table.Root
          size="sm"
          id="jobs-table"
          aria-label="Scheduled jobs"
          aria-busy={loading}
          css={{ "& td, & th": { paddingInline: "1.5", fontSize: "sm" }, "& td": { whiteSpace: "normal", overflowWrap: "anywhere" } }}
        >
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
              <Table.ColumnHeader whiteSpace="nowrap">Actions</Table.ColumnHeader>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {data?.jobs.map((job) => (
              <JobRow
                key={job.id}
                job={job}
                me={me}
                now={now}
                onOpen={onOpen}
                onDelete={setDeleting}
                onRunStarted={onRunStarted}
              />
            ))}
            {data && data.jobs.length === 0 && (
              <Table.Row>
                <Table.Cell colSpan={COLUMNS.length + 1}>
                  <Text color="fg.muted">No job matches these filters.</Text>
                </Table.Cell>
              </Table.Row>
            )}
          </Table.Body>
        </Table.Root>
      </Table.ScrollArea>
      <HStack justify="space-between" flexWrap="nowrap">
        <Text fontSize="xs" color="fg.muted">
          {zone && `Times in the district time zone (${data?.timezone}, ${zone}).`}
          {loading && <Spinner size="xs" ml="2" role="status" aria-label="Loading" />}
        </Text>
        {data && (
          <Pager
            page={data.page}
            pages={data.pages}
            total={data.total}
            noun={data.total === 1 ? "job" : "jobs"}
            onPage={(page) => onQuery({ ...query, page })}
          />
        )}
      </HStack>
      <DeleteDialog job={deleting} onCancel={() => setDeleting(null)} onConfirm={remove} />
    </Stack>
  );
}

function JobRow(props: {
  job: Job;
  me: Me;
  now: Date;
  onOpen: (id: string) => void;
  onDelete: (job: Job) => void;
  onRunStarted: () => void;
}) {
  const { job, me, now, onOpen, onDelete, onRunStarted } = props;
  const [running, setRunning] = useState(false);
  const flagged = job.missing_class || job.invalid || Boolean(job.unavailable);
  return (
    <Table.Row
      data-id={job.id}
      data-flagged={flagged ? "true" : undefined}
      data-inactive={job.active ? undefined : "true"}
      bg={flagged ? "red.subtle" : undefined}
    >
      <Table.Cell>
        <Stack gap="0.5">
          <Link asChild fontWeight="medium" textAlign="start" color="fg" textDecoration="underline" textDecorationColor="border.emphasized">
            <button type="button" onClick={() => onOpen(job.id)} aria-label={`${me.can_edit ? "Edit" : "View"} ${job.title}`}>
              {job.title}
            </button>
          </Link>
          <HStack gap="1" flexWrap="wrap">
            {!job.active && (
              <Badge size="sm" colorPalette="gray" variant="outline">
                Inactive
              </Badge>
            )}
            {job.missing_class && (
              <Badge size="sm" colorPalette="red" variant="solid">
                Missing class
              </Badge>
            )}
            {job.invalid && (
              <Badge size="sm" colorPalette="red" variant="solid" title={job.errors.join("\n")}>
                Invalid
              </Badge>
            )}
          </HStack>
          {job.unavailable && (
            <Text fontSize="xs" color="red.fg">
              Unavailable: {job.unavailable}
            </Text>
          )}
          {job.invalid &&
            job.errors.map((e) => (
              <Text key={e} fontSize="xs" color="red.fg">
                {e}
              </Text>
            ))}
        </Stack>
      </Table.Cell>
      <Table.Cell maxWidth="44">
        <Text>{job.job_time}</Text>
        {job.run_after?.map((u) => (
          <Text key={u.id} fontSize="xs" color="fg.muted">
            after {u.title}: last run {u.last_run ?? "never"}
            {u.last_success === false ? " (failed)" : ""}
          </Text>
        ))}
      </Table.Cell>
      <Table.Cell textAlign="end">{job.priority ?? ""}</Table.Cell>
      <Table.Cell maxWidth="36">
        <Text>{job.weekdays}</Text>
        {job.school_days_only && (
          <Text fontSize="xs" color="fg.muted">
            school days
          </Text>
        )}
      </Table.Cell>
      <Table.Cell css={{ whiteSpace: "nowrap !important" }}>{job.start_date ?? ""}</Table.Cell>
      <Table.Cell css={{ whiteSpace: "nowrap !important" }}>{job.end_date ?? ""}</Table.Cell>
      <Table.Cell maxWidth="40">{job.class_title}</Table.Cell>
      <Table.Cell css={{ whiteSpace: "nowrap !important" }}>{job.kind}</Table.Cell>
      <Table.Cell maxWidth="40">
        {job.next_run ? (
          <Stack gap="0">
            <Text>{job.next_run_display}</Text>
            <Text fontSize="xs" color="fg.muted">
              {relativeTime(job.next_run, now)}
            </Text>
            {job.skipped_text && (
              <Text fontSize="xs" color="fg.muted">
                {job.skipped_text}
              </Text>
            )}
          </Stack>
        ) : (
          <Text color="fg.muted">{job.active ? "—" : "inactive"}</Text>
        )}
      </Table.Cell>
      <Table.Cell whiteSpace="nowrap" css={{ whiteSpace: "nowrap !important" }}>
        <HStack gap="1" flexWrap="nowrap" justify="end">
          {me.can_edit && job.can_run && job.active && !job.missing_class && !job.invalid && (
            <Button
              size="xs"
              variant="outline"
              colorPalette="blue"
              loading={running}
              aria-label={`Run Job ${job.title}`}
              onClick={() => {
                setRunning(true);
                void runJob(job, onRunStarted).finally(() => setRunning(false));
              }}
            >
              Run Job
            </Button>
          )}
          {me.can_edit && (
            <IconButton
              size="xs"
              variant="ghost"
              colorPalette="red"
              aria-label={`Delete ${job.title}`}
              title="Delete"
              onClick={() => onDelete(job)}
            >
              <TrashIcon />
            </IconButton>
          )}
        </HStack>
      </Table.Cell>
    </Table.Row>
  );
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

function TrashIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2">
      <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6" />
    </svg>
  );
}
