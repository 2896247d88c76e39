// Renders a component inside Chakra's default system, as Airflow's page would.
import { ChakraProvider, defaultSystem } from "@chakra-ui/react";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";

export function renderUi(ui: ReactElement) {
  return render(<ChakraProvider value={defaultSystem}>{ui}</ChakraProvider>);
}

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Handler = (call: Call) => { status?: number; body?: unknown } | undefined;

/** A fake of the plugin's API: each handler answers the calls it knows (first match wins). */
export function fakeApi(handlers: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const path = url.pathname.replace(/^\/focus-jobs\/api\//, "");
    const method = init?.method ?? "GET";
    const call: Call = {
      method,
      path,
      query: url.searchParams,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    for (const [pattern, handler] of Object.entries(handlers)) {
      const [m, p] = pattern.split(" ");
      if (m === method && new RegExp(`^${p}$`).test(path)) {
        const answer = handler(call);
        if (answer) {
          const status = answer.status ?? 200;
          return new Response(status === 204 ? null : JSON.stringify(answer.body ?? {}), {
            status,
            headers: { "Content-Type": "application/json" },
          });
        }
      }
    }
    return new Response(JSON.stringify({ detail: `no fake for ${method} ${path}` }), { status: 404 });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}
