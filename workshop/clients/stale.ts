// Eventual consistency, made visible: a DynamoDB read that did not ask for `ConsistentRead: true`,
// shortly after a write to the same key, sees the value from before the write (as it may on AWS).
//
// How: while a stale read is armed, each PutItem, UpdateItem and DeleteItem asks DynamoDB for the
// item as it was (ReturnValues ALL_OLD, added to the request before it is signed and removed from
// the answer again, so the code sees what it asked for). A GetItem of that key within
// STALE_WINDOW_MS is answered with the old item (or none); a Query or Scan gets the old version in
// place of the new one (or loses an item that did not exist before). Everything is done on the
// wire format (JSON AttributeValues), so it works the same through lib-dynamodb.
// Writes through BatchWriteItem and TransactWriteItems are not tracked.
import { t } from "../i18n";

type Obj = Record<string, unknown>;

/** How long after a write an eventual read may still see the old value. */
export const STALE_WINDOW_MS = 1000;

interface RecentWrite {
  at: number;
  old: Obj | undefined;
}

const keySchemas = new Map<string, string[]>();
const recent = new Map<string, RecentWrite>();

function keyString(table: string, key: Obj): string {
  const names = Object.keys(key).sort();
  return JSON.stringify([table, ...names.map((n) => [n, key[n]])]);
}

function keyOf(table: string, item: Obj): Obj | undefined {
  const names = keySchemas.get(table);
  if (!names || !names.every((n) => n in item)) return undefined;
  return Object.fromEntries(names.map((n) => [n, item[n]]));
}

function learn(table: string | undefined, names: string[] | undefined): void {
  if (table && names && names.length > 0) keySchemas.set(table, names);
}

/** What a write needs to remember until its answer comes back. */
export interface WriteStash {
  table: string;
  key: Obj;
  /** ReturnValues was added by the middleware: take Attributes out of the answer again. */
  strip: boolean;
}

/**
 * At the build step, before signing: learns key schemas, and for a write while stale reads are
 * armed, asks for the old item. Returns the (maybe changed) body and what to remember.
 */
export function prepareRequest(operation: string, body: string, armed: boolean): { body: string; stash?: WriteStash } {
  let input: Obj;
  try {
    input = JSON.parse(body) as Obj;
  } catch {
    return { body };
  }
  const table = input.TableName as string | undefined;
  if (operation === "CreateTable") {
    learn(table, (input.KeySchema as Array<{ AttributeName: string }> | undefined)?.map((k) => k.AttributeName));
    return { body };
  }
  if (input.Key && typeof input.Key === "object") learn(table, Object.keys(input.Key as Obj));
  if (!armed || !table || !["PutItem", "UpdateItem", "DeleteItem"].includes(operation)) return { body };
  const key = operation === "PutItem" ? keyOf(table, (input.Item as Obj) ?? {}) : (input.Key as Obj);
  if (!key) return { body };
  const asked = input.ReturnValues as string | undefined;
  if (asked === "ALL_OLD") return { body, stash: { table, key, strip: false } };
  if (asked !== undefined && asked !== "NONE") return { body };
  return { body: JSON.stringify({ ...input, ReturnValues: "ALL_OLD" }), stash: { table, key, strip: true } };
}

/** Learns a table's key from DescribeTable's or CreateTable's answer. */
export function learnFromAnswer(operation: string, text: string): void {
  if (operation !== "DescribeTable" && operation !== "CreateTable") return;
  try {
    const { Table, TableDescription } = JSON.parse(text) as { Table?: Obj; TableDescription?: Obj };
    const t = Table ?? TableDescription;
    learn(t?.TableName as string | undefined, (t?.KeySchema as Array<{ AttributeName: string }> | undefined)?.map((k) => k.AttributeName));
  } catch {
    // Not JSON: nothing to learn.
  }
}

/** After a write's answer: remembers the old item; gives back the answer text the code should see. */
export function afterWrite(stash: WriteStash, text: string, ok: boolean): string {
  if (!ok) return text;
  let answer: Obj;
  try {
    answer = JSON.parse(text) as Obj;
  } catch {
    return text;
  }
  const attributes = answer.Attributes as Obj | undefined;
  // LocalStack answers {"Attributes": {}} when there was no item: the same as none.
  const old = attributes && Object.keys(attributes).length > 0 ? attributes : undefined;
  recent.set(keyString(stash.table, stash.key), { at: Date.now(), old });
  if (!stash.strip) return text;
  delete answer.Attributes;
  return JSON.stringify(answer);
}

function recentWrite(table: string, key: Obj): RecentWrite | undefined {
  const write = recent.get(keyString(table, key));
  if (!write) return undefined;
  if (Date.now() - write.at > STALE_WINDOW_MS) {
    recent.delete(keyString(table, key));
    return undefined;
  }
  return write;
}

/** Is this an eventual read (GetItem, Query, Scan without ConsistentRead) that a recent write could make stale? */
export function eventualRead(operation: string, body: string): { table: string; input: Obj } | undefined {
  if (!["GetItem", "Query", "Scan"].includes(operation)) return undefined;
  let input: Obj;
  try {
    input = JSON.parse(body) as Obj;
  } catch {
    return undefined;
  }
  if (input.ConsistentRead === true || typeof input.TableName !== "string") return undefined;
  if (recent.size === 0) return undefined;
  return { table: input.TableName, input };
}

/** GetItem: the old answer, if the key was written within the window. */
export function staleGetItem(read: { table: string; input: Obj }): { answer: Obj; detail: string } | undefined {
  const write = recentWrite(read.table, (read.input.Key as Obj) ?? {});
  if (!write) return undefined;
  return {
    answer: write.old ? { Item: write.old } : {},
    detail: write.old ? t("clients.fault.detail.staleOld") : t("clients.fault.detail.staleMissing"),
  };
}

/** Query or Scan: the answer with recently written items as they were before. */
export function staleItems(read: { table: string }, text: string): { text: string; detail: string } | undefined {
  let answer: Obj;
  try {
    answer = JSON.parse(text) as Obj;
  } catch {
    return undefined;
  }
  const items = answer.Items as Obj[] | undefined;
  if (!Array.isArray(items)) return undefined;
  let changed = 0;
  const out: Obj[] = [];
  for (const item of items) {
    const key = keyOf(read.table, item);
    const write = key && recentWrite(read.table, key);
    if (!write) out.push(item);
    else {
      changed += 1;
      if (write.old) out.push(write.old);
    }
  }
  if (changed === 0) return undefined;
  const next = { ...answer, Items: out, Count: out.length };
  return { text: JSON.stringify(next), detail: t("clients.fault.detail.staleItems", { n: changed, total: items.length }) };
}

/** Forgets the writes seen (between tests). */
export function forgetWrites(): void {
  recent.clear();
}
