// Reading a class's parameter schema (pydantic's JSON schema) into form controls.
import type { JsonSchema } from "./types";

export type Control =
  | { kind: "lookup"; lookup: string; multiple: boolean }
  | { kind: "boolean" }
  | { kind: "integer" | "number" }
  | { kind: "date" }
  | { kind: "time" }
  | { kind: "enum"; options: unknown[] }
  | { kind: "list"; itemType: string }
  | { kind: "json" }
  | { kind: "text" };

export interface ParamSpec {
  name: string;
  label: string;
  description?: string;
  nullable: boolean;
  required: boolean;
  default?: unknown;
  control: Control;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    return { ...(root.$defs?.[name] ?? {}), ...schema, $ref: undefined };
  }
  return schema;
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
}

export function humanize(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function controlOf(raw: JsonSchema, root: JsonSchema): { control: Control; nullable: boolean } {
  let schema = resolve(raw, root);
  let nullable = Array.isArray(schema.type) && schema.type.includes("null");
  let lookup = schema["x-focus-lookup"];
  if (schema.anyOf) {
    const options = schema.anyOf.map((s) => resolve(s, root));
    nullable = nullable || options.some((s) => s.type === "null");
    const chosen = options.find((s) => s.type !== "null") ?? {};
    lookup = lookup ?? chosen["x-focus-lookup"];
    schema = { ...chosen, title: schema.title, description: schema.description, default: schema.default };
  }
  const type = typeOf(schema);
  const items = schema.items ? resolve(schema.items, root) : undefined;
  lookup = lookup ?? items?.["x-focus-lookup"];
  if (lookup) return { control: { kind: "lookup", lookup, multiple: type === "array" }, nullable };
  if (schema.enum) return { control: { kind: "enum", options: schema.enum }, nullable };
  if (type === "boolean") return { control: { kind: "boolean" }, nullable };
  if (type === "integer" || type === "number") return { control: { kind: type }, nullable };
  if (type === "string" && schema.format === "date") return { control: { kind: "date" }, nullable };
  if (type === "string" && schema.format === "time") return { control: { kind: "time" }, nullable };
  if (type === "string") return { control: { kind: "text" }, nullable };
  if (type === "array" && items && ["string", "integer", "number"].includes(typeOf(items) ?? "") && !items.enum) {
    return { control: { kind: "list", itemType: typeOf(items) ?? "string" }, nullable };
  }
  if (type === "array" && items?.enum) return { control: { kind: "list", itemType: typeOf(items) ?? "string" }, nullable };
  return { control: { kind: "json" }, nullable };
}

export function paramSpecs(schema: JsonSchema | undefined): ParamSpec[] {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, raw]) => {
    const { control, nullable } = controlOf(raw, schema);
    return {
      name,
      label: raw.title ?? humanize(name),
      description: raw.description,
      nullable,
      required: required.has(name),
      default: raw.default,
      control,
    };
  });
}

/** A list typed as "1, 2, 3": numbers where the schema wants numbers (else kept for the server to name). */
export function parseList(text: string, itemType: string): unknown[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (itemType !== "string" && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s));
}
