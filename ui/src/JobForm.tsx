// Create / Edit: the job's schedule and its class's own fields, every save error beside its field.
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Field,
  Fieldset,
  Flex,
  HStack,
  Heading,
  Input,
  List,
  NativeSelect,
  RadioGroup,
  Spinner,
  Stack,
  Text,
  Textarea,
} from "@chakra-ui/react";
import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";

import { ApiError, type FieldError, request } from "./api";
import { runJob } from "./JobsTab";
import { LookupField } from "./LookupField";
import { type ParamSpec, paramSpecs, parseList } from "./schema";
import { TimePicker12 } from "./TimePicker";
import { notify } from "./toaster";
import type { CatalogEntry, JobDocument, Me, Preview } from "./types";
import { slugify } from "./format";

export const WEEKDAYS: [string, string][] = [
  ["mon", "Mon"],
  ["tue", "Tue"],
  ["wed", "Wed"],
  ["thu", "Thu"],
  ["fri", "Fri"],
  ["sat", "Sat"],
  ["sun", "Sun"],
];
const HISTORY = ["1 week", "2 weeks", "1 month", "3 months", "6 months", "1 year", "forever"];
const SCHEDULE_KEYS = [
  "class",
  "title",
  "run_time",
  "repeat_minutes",
  "timeframe_start",
  "timeframe_end",
  "weekdays",
  "start_date",
  "end_date",
  "school_days_only",
  "calendar_schools",
  "run_after",
  "not_before",
  "active",
];

type Mode = "time" | "repeat" | "after";

export function newDocument(): JobDocument {
  return {
    id: "",
    title: "",
    class: "",
    kind: "built-in",
    run_time: "02:00",
    repeat_minutes: null,
    timeframe_start: null,
    timeframe_end: null,
    weekdays: ["mon", "tue", "wed", "thu", "fri"],
    priority: 500,
    store_history: null,
    start_date: null,
    end_date: null,
    emails: [],
    params: {},
    active: true,
    school_days_only: null,
    calendar_schools: [],
    run_after: [],
    not_before: null,
  };
}

function modeOf(doc: JobDocument): Mode {
  if (Array.isArray(doc.run_after) && doc.run_after.length > 0) return "after";
  if (doc.repeat_minutes) return "repeat";
  return "time";
}

/** Errors keyed by the field they belong to ("weekdays.0" belongs to "weekdays"). */
export function errorsFor(errors: FieldError[], field: string): string[] {
  return errors
    .filter((e) => e.field === field || (e.field ?? "").startsWith(`${field}.`))
    .map((e) => e.message);
}

function FormField(props: {
  name: string;
  label: string;
  errors: FieldError[];
  children: ReactNode;
  help?: string;
  required?: boolean;
  controlId?: string;
  group?: boolean;
}) {
  const { name, label, errors, children, help, required, controlId, group } = props;
  const mine = errorsFor(errors, name);
  if (group) {
    // Several controls (check boxes, a time's three parts): a fieldset, so each keeps its own label.
    return (
      <Fieldset.Root invalid={mine.length > 0} data-field={name} width="auto">
        <Fieldset.Legend fontSize="sm" fontWeight="medium" color="fg">
          {label}
        </Fieldset.Legend>
        {children}
        {help && <Fieldset.HelperText>{help}</Fieldset.HelperText>}
        <Fieldset.ErrorText data-error-for={name}>{mine.join(" ")}</Fieldset.ErrorText>
      </Fieldset.Root>
    );
  }
  return (
    <Field.Root
      invalid={mine.length > 0}
      required={required}
      data-field={name}
      id={controlId}
    >
      <Field.Label>
        {label}
        {required && <Field.RequiredIndicator />}
      </Field.Label>
      {children}
      {help && <Field.HelperText>{help}</Field.HelperText>}
      <Field.ErrorText data-error-for={name}>{mine.join(" ")}</Field.ErrorText>
    </Field.Root>
  );
}

export function ClassSearch(props: { search: string; onSearch: (text: string) => void }) {
  return (
    <Input
      size="sm"
      maxWidth="md"
      placeholder="Search classes by name or module"
      aria-label="Search job classes"
      value={props.search}
      onChange={(e) => props.onSearch(e.target.value)}
    />
  );
}

export function ClassPicker(props: {
  catalog: CatalogEntry[];
  value: string;
  onChange: (key: string) => void;
  disabled?: boolean;
  search: string;
}) {
  const { catalog, value, onChange, disabled, search } = props;
  const groups = useMemo(() => {
    const q = search.trim().toLowerCase();
    const found = catalog.filter(
      (c) =>
        c.key === value ||
        !q ||
        c.title.toLowerCase().includes(q) ||
        (c.module_title ?? c.module).toLowerCase().includes(q) ||
        c.key.includes(q),
    );
    const byModule = new Map<string, CatalogEntry[]>();
    for (const c of found) {
      const group = c.module_title ?? c.module;
      byModule.set(group, [...(byModule.get(group) ?? []), c]);
    }
    return [...byModule.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [catalog, search, value]);
  const count = groups.reduce((n, [, items]) => n + items.length, 0);
  return (
    <Stack gap="1">
      <NativeSelect.Root size="sm" disabled={disabled} maxWidth="md">
        <NativeSelect.Field
          value={value}
          onChange={(e) => onChange(e.target.value)}
        >
          <option value="">{count ? "Choose a class…" : "No class matches the search"}</option>
          {groups.map(([group, items]) => (
            <optgroup key={group} label={group}>
              {items.map((c) => (
                <option key={c.key} value={c.key} disabled={!c.available && c.key !== value}>
                  {c.title}
                  {c.available ? "" : ` (not available: ${c.unavailable})`}
                </option>
              ))}
            </optgroup>
          ))}
        </NativeSelect.Field>
        <NativeSelect.Indicator />
      </NativeSelect.Root>
    </Stack>
  );
}

function ParamControl(props: {
  spec: ParamSpec;
  value: unknown;
  onChange: (value: unknown) => void;
  disabled: boolean;
  invalid: boolean;
}) {
  const { spec, value, onChange, disabled, invalid } = props;
  const label = spec.label;
  const c = spec.control;
  const param = spec.name;
  const [draft, setDraft] = useState<string | null>(null);
  switch (c.kind) {
    case "lookup":
      return (
        <LookupField
          name={c.lookup}
          label={label}
          param={param}
          multiple={c.multiple}
          value={value}
          onChange={onChange}
          disabled={disabled}
          invalid={invalid}
        />
      );
    case "boolean":
      return (
        <Checkbox.Root checked={value === true} onCheckedChange={(e) => onChange(e.checked === true)} disabled={disabled}>
          <Checkbox.HiddenInput data-param={param} />
          <Checkbox.Control />
          <Checkbox.Label>{label}</Checkbox.Label>
        </Checkbox.Root>
      );
    case "integer":
    case "number":
      return (
        <Input
          size="sm"
          maxWidth="40"
          inputMode="numeric"
          data-param={param}
          value={value === null || value === undefined ? "" : String(value)}
          onChange={(e) => {
            const text = e.target.value.trim();
            if (text === "") onChange(spec.nullable ? null : undefined);
            else onChange(/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : e.target.value);
          }}
        />
      );
    case "date":
      return (
        <Input
          size="sm"
          maxWidth="44"
          type="date"
          data-param={param}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value || null)}
        />
      );
    case "time":
      return (
        <TimePicker12
          id={`p-${param}`}
          label={label}
          value={typeof value === "string" ? value : null}
          onChange={onChange}
          disabled={disabled}
          optional={spec.nullable}
        />
      );
    case "enum":
      return (
        <NativeSelect.Root size="sm" maxWidth="md" disabled={disabled}>
          <NativeSelect.Field
            data-param={param}
            value={value === null || value === undefined ? "" : String(value)}
            onChange={(e) => {
              const picked = c.options.find((o) => String(o) === e.target.value);
              onChange(picked === undefined ? null : picked);
            }}
          >
            {(spec.nullable || value === undefined) && <option value="">—</option>}
            {c.options.map((o) => (
              <option key={String(o)} value={String(o)}>
                {String(o)}
              </option>
            ))}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      );
    case "list":
      return (
        <Input
          size="sm"
          maxWidth="lg"
          data-param={param}
          placeholder="values separated by commas"
          value={draft ?? (Array.isArray(value) ? value.join(", ") : "")}
          onChange={(e) => {
            setDraft(e.target.value);
            onChange(parseList(e.target.value, c.itemType));
          }}
          onBlur={() => setDraft(null)}
        />
      );
    case "json":
      return (
        <Textarea
          size="sm"
          maxWidth="lg"
          rows={3}
          fontFamily="mono"
          data-param={param}
          value={draft ?? (value === undefined ? "" : JSON.stringify(value))}
          onChange={(e) => {
            setDraft(e.target.value);
            try {
              onChange(e.target.value.trim() ? JSON.parse(e.target.value) : null);
            } catch {
              onChange(e.target.value); // the server names the field and what is wrong
            }
          }}
        />
      );
    default:
      return (
        <Input
          size="sm"
          maxWidth="lg"
          data-param={param}
          value={value === null || value === undefined ? "" : String(value)}
          onChange={(e) => onChange(e.target.value === "" && spec.nullable ? null : e.target.value)}
        />
      );
  }
}

export function JobForm(props: {
  jobId: string | null;
  me: Me;
  catalog: CatalogEntry[];
  onBack: () => void;
  onSaved: (id: string) => void;
  onRunStarted?: () => void;
}) {
  const { jobId, me, catalog, onBack, onSaved, onRunStarted } = props;
  const readOnly = !me.can_edit;
  const [doc, setDoc] = useState<JobDocument | null>(jobId ? null : newDocument());
  const [loadErrors, setLoadErrors] = useState<string[]>([]);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [summary, setSummary] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [mode, setMode] = useState<Mode>("time");
  const [idTouched, setIdTouched] = useState(Boolean(jobId));
  const [titleTouched, setTitleTouched] = useState(Boolean(jobId));
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const firstError = useRef<HTMLDivElement>(null);
  const [classSearch, setClassSearch] = useState("");

  useEffect(() => {
    if (!jobId) return;
    let live = true;
    request<{ job: JobDocument; errors: string[] }>(`jobs/${encodeURIComponent(jobId)}`)
      .then((r) => {
        if (!live) return;
        const loaded = { ...newDocument(), ...r.job, params: r.job.params ?? {} };
        setDoc(loaded);
        setMode(modeOf(loaded));
        setLoadErrors(r.errors ?? []);
      })
      .catch((err: unknown) => live && setSummary(err instanceof Error ? err.message : String(err)));
    return () => {
      live = false;
    };
  }, [jobId]);

  const entry = catalog.find((c) => c.key === doc?.class);
  const specs = useMemo(() => paramSpecs(entry?.params_schema), [entry]);

  const scheduleKey = doc ? JSON.stringify(SCHEDULE_KEYS.map((k) => doc[k])) : "";
  useEffect(() => {
    if (!doc || !doc.class) {
      setPreview(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      const body: JobDocument = { ...doc };
      delete body.id;
      setPreviewing(true);
      request<Preview>("preview", { method: "POST", body })
        .then((p) => {
          if (!live) return;
          setPreview(p);
          setPreviewError(null);
        })
        .catch((err: unknown) => {
          if (!live) return;
          setPreview(null);
          if (err instanceof ApiError && err.fieldErrors.length) {
            setPreviewError(err.fieldErrors.map((e) => e.text ?? e.message).join(" "));
          } else setPreviewError(err instanceof Error ? err.message : String(err));
        })
        .finally(() => live && setPreviewing(false));
    }, 400);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // The preview follows the schedule fields only (not e-mails or parameters).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scheduleKey]);

  if (!doc) {
    return summary ? (
      <Alert.Root status="error">
        <Alert.Indicator />
        <Alert.Title>{summary}</Alert.Title>
      </Alert.Root>
    ) : (
      <Spinner role="status" aria-label="Loading the job" />
    );
  }

  const set = (change: Partial<JobDocument>) => setDoc((d) => ({ ...(d as JobDocument), ...change }));
  const setParam = (name: string, value: unknown) =>
    setDoc((d) => {
      const params = { ...((d as JobDocument).params ?? {}) };
      if (value === undefined) delete params[name];
      else params[name] = value;
      return { ...(d as JobDocument), params };
    });

  const chooseClass = (key: string) => {
    const chosen = catalog.find((c) => c.key === key);
    const change: Partial<JobDocument> = { class: key, params: {}, kind: chosen?.kind ?? "built-in" };
    if (chosen?.default_schedule) {
      for (const [k, v] of Object.entries(chosen.default_schedule)) change[k] = v;
    }
    if (!titleTouched) {
      const title = chosen?.default_title ?? chosen?.title ?? "";
      change.title = title;
      if (!idTouched) change.id = slugify(title);
    }
    set(change);
    if (chosen?.default_schedule) setMode(modeOf({ ...doc, ...change }));
  };

  const changeMode = (next: Mode) => {
    setMode(next);
    if (next === "time") set({ repeat_minutes: null, run_after: [], not_before: null, run_time: (doc.run_time as string) || "02:00" });
    if (next === "repeat") set({ run_time: null, run_after: [], not_before: null, repeat_minutes: doc.repeat_minutes || 15 });
    if (next === "after") set({ run_time: null, repeat_minutes: null });
  };

  const save = async () => {
    setSaving(true);
    setErrors([]);
    setSummary(null);
    try {
      const body = { ...doc };
      if (jobId) {
        await request(`jobs/${encodeURIComponent(jobId)}`, { method: "PUT", body });
      } else {
        await request("jobs", { method: "POST", body });
      }
      notify("success", `${doc.title || doc.id} saved`, "Airflow is asked to read the change now.");
      onSaved(String(doc.id));
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length) {
        setErrors(err.fieldErrors);
        const n = err.fieldErrors.length;
        setSummary(`The job was not saved: ${n} ${n === 1 ? "problem" : "problems"}, shown beside ${n === 1 ? "its field" : "their fields"}.`);
      } else setSummary(err instanceof Error ? err.message : String(err));
      window.setTimeout(() => firstError.current?.scrollIntoView({ block: "nearest" }), 0);
    } finally {
      setSaving(false);
    }
  };

  const placed = new Set([
    "id", "title", "class", "kind", "run_time", "repeat_minutes", "timeframe_start", "timeframe_end", "weekdays",
    "priority", "store_history", "start_date", "end_date", "emails", "active", "school_days_only",
    "calendar_schools", "run_after", "not_before", ...specs.map((s) => `params.${s.name}`),
  ]);
  const unplaced = errors.filter((e) => !e.field || ![...placed].some((p) => e.field === p || e.field?.startsWith(`${p}.`)));
  const weekdays = Array.isArray(doc.weekdays) ? (doc.weekdays as string[]) : [];
  const heading = jobId ? (readOnly ? `View job: ${doc.title}` : `Edit job: ${doc.title}`) : "Create Job";

  return (
    <Flex gap="6" align="start" flexWrap="nowrap">
      <Box
        as="form"
        flex="1"
        minWidth="0"
        aria-label={heading}
        onSubmit={(e: React.FormEvent) => {
          e.preventDefault();
          if (!readOnly) void save();
        }}
      >
        <Stack gap="4">
          <HStack justify="space-between" flexWrap="nowrap">
            <Heading size="md" as="h2">
              {heading}
              {readOnly && (
                <Text as="span" fontSize="sm" color="fg.muted" ml="2">
                  (read only)
                </Text>
              )}
            </Heading>
            <HStack gap="2">
              {!readOnly && (
                <Button type="submit" size="sm" loading={saving}>
                  Save
                </Button>
              )}
              {jobId && !readOnly && (
                <Button size="sm" variant="outline" onClick={() => void runJob({ id: jobId, title: String(doc.title) }, onRunStarted)}>
                  Run Job
                </Button>
              )}
              <Button size="sm" variant="outline" onClick={onBack}>
                Back
              </Button>
            </HStack>
          </HStack>
          <div ref={firstError}>
            {summary && (
              <Alert.Root status="error" role="alert">
                <Alert.Indicator />
                <Stack gap="1">
                  <Alert.Title>{summary}</Alert.Title>
                  {unplaced.map((e) => (
                    <Alert.Description key={`${e.field}-${e.message}`}>{e.text ?? e.message}</Alert.Description>
                  ))}
                </Stack>
              </Alert.Root>
            )}
            {loadErrors.length > 0 && (
              <Alert.Root status="warning">
                <Alert.Indicator />
                <Stack gap="1">
                  <Alert.Title>This job's stored settings have problems:</Alert.Title>
                  {loadErrors.map((e) => (
                    <Alert.Description key={e}>{e}</Alert.Description>
                  ))}
                </Stack>
              </Alert.Root>
            )}
          </div>
          <Fieldset.Root disabled={readOnly}>
            <Stack gap="4">
              {!readOnly && !jobId && <ClassSearch search={classSearch} onSearch={setClassSearch} />}
              <FormField name="class" label="Job class" errors={errors} required controlId="f-class">
                <ClassPicker
                  catalog={catalog}
                  value={String(doc.class ?? "")}
                  onChange={chooseClass}
                  disabled={readOnly || Boolean(jobId)}
                  search={classSearch}
                />
                {entry?.description && (
                  <Text fontSize="sm" color="fg.muted" maxWidth="2xl" lineClamp={3} title={entry.description}>
                    {entry.description}
                  </Text>
                )}
              </FormField>
              <HStack gap="4" align="start">
                <FormField controlId="f-title" name="title" label="Job Title" errors={errors} required>
                  <Input
                                        size="sm"
                    value={String(doc.title ?? "")}
                    onChange={(e) => {
                      setTitleTouched(true);
                      const change: Partial<JobDocument> = { title: e.target.value };
                      if (!idTouched && !jobId) change.id = slugify(e.target.value);
                      set(change);
                    }}
                  />
                </FormField>
                <FormField controlId="f-id" name="id"
                  label="Job ID"
                  errors={errors}
                  help={jobId ? "The id of a saved job cannot change." : idTouched ? undefined : "Made from the title until you type one."}
                >
                  <Input
                                        size="sm"
                    value={String(doc.id ?? "")}
                    disabled={Boolean(jobId) || readOnly}
                    onChange={(e) => {
                      setIdTouched(e.target.value !== "");
                      set({ id: e.target.value || slugify(String(doc.title ?? "")) });
                    }}
                  />
                </FormField>
              </HStack>
              <Fieldset.Root>
                <Fieldset.Legend fontWeight="medium">Job Time</Fieldset.Legend>
                <RadioGroup.Root
                  size="sm"
                  value={mode}
                  onValueChange={(e) => changeMode((e.value ?? "time") as Mode)}
                  disabled={readOnly}
                >
                  <HStack gap="4">
                    {(
                      [
                        ["time", "At a time"],
                        ["repeat", "Every N minutes"],
                        ["after", "After other jobs"],
                      ] as [Mode, string][]
                    ).map(([value, label]) => (
                      <RadioGroup.Item key={value} value={value}>
                        <RadioGroup.ItemHiddenInput />
                        <RadioGroup.ItemIndicator />
                        <RadioGroup.ItemText>{label}</RadioGroup.ItemText>
                      </RadioGroup.Item>
                    ))}
                  </HStack>
                </RadioGroup.Root>
                {mode === "time" && (
                  <FormField group name="run_time" label="Run time" errors={errors}>
                    <TimePicker12 id="f-run" label="Run time" value={doc.run_time as string} onChange={(v) => set({ run_time: v })} disabled={readOnly} />
                  </FormField>
                )}
                {mode === "repeat" && (
                  <FormField controlId="f-repeat" name="repeat_minutes" label="Every (minutes)" errors={errors}>
                    <Input
                                            size="sm"
                      maxWidth="24"
                      inputMode="numeric"
                      value={doc.repeat_minutes === null || doc.repeat_minutes === undefined ? "" : String(doc.repeat_minutes)}
                      onChange={(e) => set({ repeat_minutes: /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value || null })}
                    />
                  </FormField>
                )}
                {mode === "after" && (
                  <HStack gap="4" align="start">
                    <FormField controlId="f-run-after" name="run_after" label="After the jobs (ids, separated by commas)" errors={errors}>
                      <Input
                                                size="sm"
                        value={Array.isArray(doc.run_after) ? doc.run_after.join(", ") : ""}
                        onChange={(e) => set({ run_after: parseList(e.target.value, "string") })}
                      />
                    </FormField>
                    <FormField group name="not_before" label="Not before" errors={errors}>
                      <TimePicker12 id="f-not-before" label="Not before" value={doc.not_before as string} onChange={(v) => set({ not_before: v })} disabled={readOnly} optional />
                    </FormField>
                  </HStack>
                )}
              </Fieldset.Root>
              <HStack gap="6" align="start">
                <FormField group name="timeframe_start" label="Scheduled timeframe: start" errors={errors}>
                  <TimePicker12 id="f-tf-start" label="Timeframe start" value={doc.timeframe_start as string} onChange={(v) => set({ timeframe_start: v })} disabled={readOnly} optional />
                </FormField>
                <FormField group name="timeframe_end" label="Scheduled timeframe: end" errors={errors}>
                  <TimePicker12 id="f-tf-end" label="Timeframe end" value={doc.timeframe_end as string} onChange={(v) => set({ timeframe_end: v })} disabled={readOnly} optional />
                </FormField>
              </HStack>
              <FormField group name="weekdays" label="Weekdays" errors={errors}>
                <HStack gap="3">
                  {WEEKDAYS.map(([value, label]) => (
                    <Checkbox.Root
                      key={value}
                      size="sm"
                      checked={weekdays.includes(value)}
                      disabled={readOnly}
                      onCheckedChange={(e) =>
                        set({
                          weekdays: WEEKDAYS.map(([d]) => d).filter((d) => (d === value ? e.checked === true : weekdays.includes(d))),
                        })
                      }
                    >
                      <Checkbox.HiddenInput name="weekday" value={value} />
                      <Checkbox.Control />
                      <Checkbox.Label>{label}</Checkbox.Label>
                    </Checkbox.Root>
                  ))}
                </HStack>
              </FormField>
              <HStack gap="6" align="start">
                <FormField controlId="f-school-days" name="school_days_only" label="School days only" errors={errors}>
                  <NativeSelect.Root size="sm" width="52" disabled={readOnly}>
                    <NativeSelect.Field
                                            value={doc.school_days_only === true ? "yes" : doc.school_days_only === false ? "no" : ""}
                      onChange={(e) => set({ school_days_only: e.target.value === "" ? null : e.target.value === "yes" })}
                    >
                      <option value="">Class default ({entry?.school_days_only_default ? "yes" : "no"})</option>
                      <option value="yes">Yes</option>
                      <option value="no">No</option>
                    </NativeSelect.Field>
                    <NativeSelect.Indicator />
                  </NativeSelect.Root>
                </FormField>
                <FormField group name="calendar_schools" label="Calendars of the schools (none chosen: every school's)" errors={errors}>
                  <LookupField
                    name="schools"
                    label="Calendars of the schools"
                    param="calendar_schools"
                    multiple
                    value={doc.calendar_schools}
                    onChange={(v) => set({ calendar_schools: v })}
                    disabled={readOnly}
                  />
                </FormField>
              </HStack>
              <HStack gap="6" align="start">
                <FormField controlId="f-priority" name="priority" label="Priority" errors={errors}>
                  <Input
                                        size="sm"
                    width="28"
                    inputMode="numeric"
                    value={doc.priority === null || doc.priority === undefined ? "" : String(doc.priority)}
                    onChange={(e) => set({ priority: /^-?\d+$/.test(e.target.value.trim()) ? Number(e.target.value) : e.target.value })}
                  />
                </FormField>
                <FormField controlId="f-history" name="store_history" label="Store Execution History" errors={errors}>
                  <NativeSelect.Root size="sm" width="56" disabled={readOnly}>
                    <NativeSelect.Field value={String(doc.store_history ?? "")} onChange={(e) => set({ store_history: e.target.value || null })}>
                      <option value="">Daily Maintenance default</option>
                      {HISTORY.map((h) => (
                        <option key={h} value={h}>
                          {h}
                        </option>
                      ))}
                    </NativeSelect.Field>
                    <NativeSelect.Indicator />
                  </NativeSelect.Root>
                </FormField>
                <FormField controlId="f-start" name="start_date" label="Start Date" errors={errors}>
                  <Input size="sm" type="date" value={String(doc.start_date ?? "")} onChange={(e) => set({ start_date: e.target.value || null })} />
                </FormField>
                <FormField controlId="f-end" name="end_date" label="End Date" errors={errors}>
                  <Input size="sm" type="date" value={String(doc.end_date ?? "")} onChange={(e) => set({ end_date: e.target.value || null })} />
                </FormField>
              </HStack>
              <FormField controlId="f-emails" name="emails" label="E-mail the outcome to" errors={errors} help="Addresses separated by commas.">
                <Input
                                    size="sm"
                  maxWidth="2xl"
                  value={Array.isArray(doc.emails) ? doc.emails.join(", ") : ""}
                  onChange={(e) => set({ emails: parseList(e.target.value, "string") })}
                />
              </FormField>
              <FormField group name="active" label="Active" errors={errors}>
                <Checkbox.Root checked={doc.active !== false} onCheckedChange={(e) => set({ active: e.checked === true })} disabled={readOnly}>
                  <Checkbox.HiddenInput id="f-active" />
                  <Checkbox.Control />
                  <Checkbox.Label>Runs on its schedule (an inactive job has no DAG runs)</Checkbox.Label>
                </Checkbox.Root>
              </FormField>
              {specs.length > 0 && (
                <Fieldset.Root>
                  <Fieldset.Legend fontWeight="medium">{entry?.title} settings</Fieldset.Legend>
                  <Stack gap="3">
                    {specs.map((spec) => (
                      <FormField
                        key={spec.name}
                        group={
                          spec.control.kind === "boolean" ||
                          spec.control.kind === "time" ||
                          (spec.control.kind === "lookup" && spec.control.multiple)
                        }
                        name={`params.${spec.name}`}
                        label={spec.label}
                        errors={errors}
                        help={spec.description}
                        required={spec.required}
                      >
                        <ParamControl
                          spec={spec}
                          value={(doc.params ?? {})[spec.name] ?? (spec.control.kind === "boolean" ? spec.default : undefined)}
                          onChange={(v) => setParam(spec.name, v)}
                          disabled={readOnly}
                          invalid={errorsFor(errors, `params.${spec.name}`).length > 0}
                        />
                      </FormField>
                    ))}
                  </Stack>
                </Fieldset.Root>
              )}
            </Stack>
          </Fieldset.Root>
        </Stack>
      </Box>
      <Box as="aside" width="80" flexShrink={0} borderWidth="1px" borderRadius="md" p="3" position="sticky" top="2" aria-label="Preview next 10 runs">
        <Heading size="sm" as="h3" mb="2">
          Preview next 10 runs {previewing && <Spinner size="xs" ml="1" role="status" aria-label="Updating the preview" />}
        </Heading>
        {!doc.class && <Text fontSize="sm" color="fg.muted">Choose a class to see when the job would run.</Text>}
        {previewError && (
          <Text fontSize="sm" color="red.fg" role="status">
            {previewError}
          </Text>
        )}
        {preview && (
          <Stack gap="1">
            <List.Root as="ol" fontSize="sm" ps="5" id="preview-list" aria-live="polite">
              {(preview.runs_display ?? preview.runs).map((r) => (
                <List.Item key={r}>{r}</List.Item>
              ))}
            </List.Root>
            {preview.runs.length === 0 && (
              <Text fontSize="sm" color="fg.muted">
                {preview.run_after.length ? `Runs after ${preview.run_after.join(", ")} succeed.` : "No future runs."}
              </Text>
            )}
            {preview.skipped.length > 0 && (
              <Text fontSize="xs" color="fg.muted">
                Holidays skipped: {preview.skipped.join(", ")}
              </Text>
            )}
          </Stack>
        )}
      </Box>
    </Flex>
  );
}
