// The shapes the plugin's API answers with (docs/screen-api.md).

export interface Me {
  username: string;
  can_edit: boolean;
  is_admin?: boolean;
}

export interface UpstreamRun {
  id: string;
  title: string;
  last_run: string | null;
  last_success: boolean | null;
}

export interface Job {
  id: string;
  title: string;
  job_time: string;
  run_time: string | null;
  priority: number | null;
  weekdays: string;
  start_date: string | null;
  end_date: string | null;
  class: string;
  class_title: string;
  kind: string;
  next_run: string | null;
  next_run_display: string;
  active: boolean;
  missing_class: boolean;
  unavailable: string | null;
  can_run: boolean;
  run_refused: string | null;
  invalid: boolean;
  errors: string[];
  school_days_only?: boolean;
  skipped_text?: string;
  run_after?: UpstreamRun[];
}

export interface JobPage {
  jobs: Job[];
  total: number;
  page: number;
  pages: number;
  page_size: number;
  timezone: string;
  timezone_abbreviation?: string;
  now?: string;
  retention_warning: string | null;
}

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  "x-focus-lookup"?: string;
};

export interface CatalogEntry {
  key: string;
  title: string;
  description?: string;
  module: string;
  module_title?: string;
  kind: string;
  params_schema: JsonSchema;
  default_schedule?: Record<string, unknown> | null;
  default_title?: string | null;
  available: boolean;
  unavailable: string | null;
  school_days_only_default?: boolean;
}

export type JobDocument = Record<string, unknown> & {
  id?: string;
  title?: string;
  class?: string;
  params?: Record<string, unknown>;
};

export interface Preview {
  timezone: string;
  timezone_abbreviation?: string;
  runs: string[];
  runs_display?: string[];
  skipped: string[];
  run_after: string[];
  suggested_id?: string | null;
}

export interface LookupItem {
  value: string | number;
  label: string;
  group?: string | null;
}

export interface HistoryRun {
  job_id: string;
  run_id: string;
  title: string;
  time: string;
  time_display?: string;
  duration_seconds: number | null;
  duration_display?: string;
  state: string;
  success: boolean | null;
  summary: string | null;
  ran_by: string;
  has_output: boolean;
  run_url?: string;
  log_url?: string;
}

export interface HistoryPage {
  runs: HistoryRun[];
  total: number;
  page: number;
  pages: number;
  page_size: number;
  timezone: string;
  timezone_abbreviation?: string;
  live: boolean;
}

export interface RunOutput {
  job_id: string;
  run_id: string;
  title?: string;
  success: boolean | null;
  summary: string | null;
  html: string;
  text: string;
  state?: string;
  run_url?: string;
  log_url?: string;
}

export interface RunStarted {
  dag_run_id: string;
  run_url?: string;
  state?: string;
}
