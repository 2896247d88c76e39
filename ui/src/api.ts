// Calls to the plugin's API (same origin, Airflow's login cookie); errors become sentences.

export interface FieldError {
  field: string | null;
  message: string;
  text: string;
  value?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: FieldError[];

  constructor(status: number, message: string, fieldErrors: FieldError[] = []) {
    super(message);
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

/** Where Airflow's page lives (it may be served under a path prefix: its <base href>). */
export function airflowUrl(path: string): string {
  return new URL(path.replace(/^\//, ""), document.baseURI).toString();
}

export function apiUrl(path: string): string {
  return airflowUrl(`focus-jobs/api/${path.replace(/^\//, "")}`);
}

/** A refusal's text as a sentence: JSON bodies from Airflow lose their braces. */
export function sentence(detail: unknown): string {
  if (detail === null || detail === undefined || detail === "") return "The request failed.";
  if (Array.isArray(detail)) {
    const joined = detail
      .map((d) => {
        if (d && typeof d === "object" && "msg" in d) {
          const loc = Array.isArray((d as { loc?: unknown[] }).loc)
            ? (d as { loc: unknown[] }).loc.filter((p) => p !== "body" && p !== "query").join(".")
            : "";
          return `${loc ? `${loc}: ` : ""}${String((d as { msg: unknown }).msg)}`;
        }
        return sentence(d);
      })
      .join("; ");
    return joined ? sentence(joined) : "The request failed.";
  }
  if (typeof detail === "object") {
    const inner = (detail as { detail?: unknown; message?: unknown }).detail
      ?? (detail as { message?: unknown }).message;
    return inner === undefined ? "The request failed." : sentence(inner);
  }
  let text = String(detail).trim();
  const brace = text.indexOf("{");
  if (brace >= 0) {
    try {
      const inner = sentence(JSON.parse(text.slice(brace)));
      text = `${text.slice(0, brace).trim()} ${inner}`.trim();
    } catch {
      // not JSON after all: keep the text as it is
    }
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function goToLogin(): void {
  const next = window.location.href;
  window.location.assign(airflowUrl(`auth/login?next=${encodeURIComponent(next)}`));
}

export async function request<T>(
  path: string,
  options: { method?: string; body?: unknown; query?: URLSearchParams } = {},
): Promise<T> {
  const url = apiUrl(path) + (options.query && [...options.query].length ? `?${options.query}` : "");
  const init: RequestInit = {
    method: options.method ?? "GET",
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "Airflow's server did not answer; check the connection and try again.");
  }
  if (response.status === 401) {
    goToLogin();
    throw new ApiError(401, "Your session has ended; sign in again.");
  }
  if (response.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const body = (data ?? {}) as { errors?: FieldError[]; detail?: unknown };
    if (Array.isArray(body.errors)) {
      const errors = body.errors.map((e) => ({ ...e, field: e.field ?? null }));
      throw new ApiError(
        response.status,
        errors.length === 1 ? sentence(errors[0].text ?? errors[0].message) : "The job was not saved: see the fields marked below.",
        errors,
      );
    }
    if (response.status === 403) {
      throw new ApiError(403, sentence(body.detail ?? "Your role may not do this."));
    }
    throw new ApiError(response.status, sentence(body.detail));
  }
  return data as T;
}
