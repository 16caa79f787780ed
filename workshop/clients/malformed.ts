// When the emulator cannot even read a request (an object where AWS expects a JSON string, a
// parameter one level too high, as `TagSet` beside `Tagging` instead of inside it), it answers
// with an HTML error page, and the SDK fails on that page: "XML parse error: mismatched tags
// <html> and </title>", "Deserialization error". This middleware turns such an error into one a
// learner can act on: the operation, the parameter, and the shape AWS expects, taken from the
// SDK's own schema of the operation's input (not from a table per operation).
import { NormalizedSchema } from "@smithy/core/schema";
import type { InitializeHandlerOptions, InitializeMiddleware, Pluggable } from "@smithy/types";
import { t } from "../i18n";

export class MalformedRequestError extends Error {
  override name = "MalformedRequestError";
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

type Schema = NormalizedSchema;

/** A short picture of a shape: `{ TagSet: [{ Key: string, Value: string }] }`. */
export function shapeOf(ns: Schema, depth = 3): string {
  if (ns.isStructSchema()) {
    if (depth <= 0) return "{ … }";
    const members = [...ns.structIterator()].slice(0, 8).map(([name, m]) => `${name}: ${shapeOf(m, depth - 1)}`);
    return `{ ${members.join(", ")}${[...ns.structIterator()].length > 8 ? ", …" : ""} }`;
  }
  if (ns.isListSchema()) return `[${shapeOf(ns.getValueSchema(), depth - 1)}]`;
  if (ns.isMapSchema()) return `{ [name]: ${shapeOf(ns.getValueSchema(), depth - 1)} }`;
  if (ns.isBlobSchema()) return "bytes";
  if (ns.isTimestampSchema()) return "Date";
  if (ns.isBooleanSchema()) return "boolean";
  if (ns.isNumericSchema()) return "number";
  if (ns.isStringSchema()) return "string";
  if (ns.isDocumentSchema()) return t("clients.malformed.anyJson");
  return t("clients.malformed.aValue");
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return t("clients.malformed.kind.list");
  if (value === null) return "null";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Date) return t("clients.malformed.kind.date");
  return typeof value === "object" ? t("clients.malformed.kind.object") : t("clients.malformed.kind.primitive", { type: typeof value });
}

/** What in `value` does not fit `ns`, as sentences naming the parameter's path. */
export function misfits(ns: Schema, value: unknown, path: string, operation: string): string[] {
  if (value === undefined || value === null) return [];
  if (ns.isStructSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) return [t("clients.malformed.mustBe", { path, shape: shapeOf(ns, 2), kind: kind(value) })];
    const members = new Map(ns.structIterator());
    const out: string[] = [];
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const member = members.get(key);
      if (!member) {
        const inside = [...members].find(([, m]) => m.isStructSchema() && new Map(m.structIterator()).has(key));
        const full = `${path ? `${path}.` : ""}${key}`;
        out.push(
          inside
            ? t("clients.malformed.belongsInside", { key: full, of: path || operation, inside: `${path ? `${path}.` : ""}${inside[0]}`, name: inside[0], shape: shapeOf(inside[1], 3) })
            : t("clients.malformed.takes", { key: full, of: path || operation, members: [...members.keys()].join(", ") }),
        );
      } else out.push(...misfits(member, v, path ? `${path}.${key}` : key, operation));
    }
    // The first N members of an input are required (the SDK's schema says how many).
    const required = (ns.getSchema() as unknown as unknown[])?.[6];
    if (typeof required === "number") {
      for (const [name, member] of [...members].slice(0, required)) {
        if ((value as Record<string, unknown>)[name] === undefined) out.push(t("clients.malformed.missing", { key: `${path ? `${path}.` : ""}${name}`, operation, shape: shapeOf(member, 3) }));
      }
    }
    return out;
  }
  if (ns.isListSchema()) {
    if (!Array.isArray(value)) return [t("clients.malformed.mustBeList", { path, shape: shapeOf(ns, 2), kind: kind(value) })];
    return value.flatMap((v, i) => misfits(ns.getValueSchema(), v, `${path}[${i}]`, operation)).slice(0, 3);
  }
  if (ns.isMapSchema()) {
    if (typeof value !== "object" || Array.isArray(value)) return [t("clients.malformed.mustBe", { path, shape: shapeOf(ns, 2), kind: kind(value) })];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => misfits(ns.getValueSchema(), v, `${path}.${k}`, operation)).slice(0, 3);
  }
  if (ns.isStringSchema() && typeof value !== "string") {
    return [t(typeof value === "object" ? "clients.malformed.mustBeStringJson" : "clients.malformed.mustBeString", { path, kind: kind(value) })];
  }
  if (ns.isNumericSchema() && typeof value !== "number" && typeof value !== "bigint") return [t("clients.malformed.mustBeNumber", { path, kind: kind(value) })];
  if (ns.isBooleanSchema() && typeof value !== "boolean") return [t("clients.malformed.mustBeBoolean", { path, kind: kind(value) })];
  return [];
}

/** Did the emulator fail to read the request (an HTML page or an unreadable answer, not an AWS error)? */
export function isUnreadableAnswer(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const body = (err as { $response?: { body?: unknown } }).$response?.body;
  const html = typeof body === "string" && /<html|<!doctype html/i.test(body);
  return /XML parse error|Deserialization error|mismatched tags|Unexpected token '?<|is not valid JSON/.test(err.message) || (html && (status ?? 0) >= 400);
}

export function explainMalformed(err: unknown, service: string, operationSchema: unknown, input: unknown): MalformedRequestError | undefined {
  if (!isUnreadableAnswer(err)) return undefined;
  const op = Array.isArray(operationSchema) ? operationSchema : undefined;
  const operation = typeof op?.[2] === "string" ? (op[2] as string) : t("clients.malformed.theOperation");
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  let found: string[] = [];
  let expected = "";
  try {
    if (op?.[4]) {
      const ns = NormalizedSchema.of(op[4] as never);
      found = misfits(ns, input, "", operation);
      expected = shapeOf(ns, 3);
    }
  } catch {
    // No schema to compare with: the general explanation still helps.
  }
  const lines = [
    status ? t("clients.malformed.headerStatus", { service, operation, status }) : t("clients.malformed.header", { service, operation }),
    ...found.slice(0, 4).map((f) => `  - ${f}`),
    ...(found.length === 0 && expected ? [t("clients.malformed.compare", { operation, shape: expected })] : []),
    t("clients.malformed.sdkSaid", { message: (err as Error).message.split("\n")[0] }),
  ];
  return new MalformedRequestError(lines.join("\n"), err);
}

const OPTIONS: InitializeHandlerOptions & { name: string } = { step: "initialize", name: "workshopMalformedRequest", override: true };

/** The middleware, as a plugin: `client.middlewareStack.use(malformedRequests())`. */
export function malformedRequests(): Pluggable<object, object> {
  const middleware: InitializeMiddleware<object, object> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      const smithy = (context as Record<string, { operationSchema?: unknown } | undefined>)["__smithy_context"];
      const service = String((context as { clientName?: string }).clientName ?? "AWS").replace(/Client$/, "");
      throw explainMalformed(err, service, smithy?.operationSchema, args.input) ?? err;
    }
  };
  return { applyToStack: (stack) => stack.add(middleware, OPTIONS) };
}

/** Adds the middleware to a client built by createClient, and gives the client back. */
export function explainMalformedRequests<C>(client: C): C {
  (client as { middlewareStack?: { use(p: Pluggable<object, object>): void } }).middlewareStack?.use(malformedRequests());
  return client;
}
