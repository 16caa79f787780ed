// Partial failures: a batch call that answers 200 but did not do every entry. The middleware
// really withholds the chosen entries from the emulator (they are NOT done) and reports them in
// the service's own answer (SQS's `Failed`, S3's `Errors`, DynamoDB's `UnprocessedItems`), so
// code that ignores the report leaves them undone, as it would on AWS.
//
// HOW TO ADD AN OPERATION: add an entry to PARTIAL_FAILURES below, keyed "Service.Operation",
// with three functions:
//   entries(input)            the list of entries the call carries (any shape; one per item done)
//   keep(input, kept)         a copy of the input with only the kept entries (never mutate `input`)
//   answer(output, withheld)  a copy of the service's answer with the withheld entries reported
//                             as failed, in the service's shape; `output` is undefined when every
//                             entry was withheld and no request was sent, so build the whole answer.
// The entries and answers are what the code sees at the "initialize" step: through lib-dynamodb
// they hold plain values, otherwise AttributeValues; moving entries works the same for both.
// Operations that report per entry but cannot fail per entry on AWS (EC2 TerminateInstances
// fails as a whole) do not belong here: use "server-error" for them.

import { t } from "../i18n";

type Obj = Record<string, unknown>;

export interface PartialFailure {
  entries(input: Obj): unknown[];
  keep(input: Obj, kept: unknown[]): Obj;
  answer(output: Obj | undefined, withheld: unknown[], input: Obj): Obj;
}

/** AWS's own words for an entry that failed, and the note that chaos did it (in the learner's language). */
const internal = () => `We encountered an internal error. Please try again.${t("clients.fault.injectedNote")}`;

/** SQS and SNS batches: `Entries` in, `Successful` and `Failed` out. */
function idBatch(field: string): PartialFailure {
  return {
    entries: (input) => (input[field] as unknown[] | undefined) ?? [],
    keep: (input, kept) => ({ ...input, [field]: kept }),
    answer: (output, withheld) => ({
      ...(output ?? { Successful: [] }),
      Failed: [
        ...(((output?.Failed as unknown[]) ?? [])),
        ...withheld.map((e) => ({ Id: (e as Obj).Id, SenderFault: false, Code: "InternalError", Message: internal() })),
      ],
    }),
  };
}

interface TableEntry {
  table: string;
  entry: unknown;
}

export const PARTIAL_FAILURES: Record<string, PartialFailure> = {
  "SQS.SendMessageBatch": idBatch("Entries"),
  "SQS.DeleteMessageBatch": idBatch("Entries"),
  "SQS.ChangeMessageVisibilityBatch": idBatch("Entries"),
  "SNS.PublishBatch": idBatch("PublishBatchRequestEntries"),
  "S3.DeleteObjects": {
    entries: (input) => ((input.Delete as Obj | undefined)?.Objects as unknown[] | undefined) ?? [],
    keep: (input, kept) => ({ ...input, Delete: { ...(input.Delete as Obj), Objects: kept } }),
    answer: (output, withheld) => ({
      ...(output ?? {}),
      Errors: [
        ...(((output?.Errors as unknown[]) ?? [])),
        ...withheld.map((o) => {
          const { Key, VersionId } = o as Obj;
          return { Key, ...(VersionId !== undefined ? { VersionId } : {}), Code: "InternalError", Message: internal() };
        }),
      ],
    }),
  },
  "DynamoDB.BatchWriteItem": {
    entries: (input) =>
      Object.entries((input.RequestItems as Record<string, unknown[]>) ?? {}).flatMap(([table, requests]) => requests.map((entry): TableEntry => ({ table, entry }))),
    keep: (input, kept) => {
      const RequestItems: Record<string, unknown[]> = {};
      for (const { table, entry } of kept as TableEntry[]) (RequestItems[table] ??= []).push(entry);
      return { ...input, RequestItems };
    },
    answer: (output, withheld) => {
      const UnprocessedItems: Record<string, unknown[]> = { ...((output?.UnprocessedItems as Record<string, unknown[]>) ?? {}) };
      for (const { table, entry } of withheld as TableEntry[]) UnprocessedItems[table] = [...(UnprocessedItems[table] ?? []), entry];
      return { ...(output ?? {}), UnprocessedItems };
    },
  },
  "DynamoDB.BatchGetItem": {
    entries: (input) =>
      Object.entries((input.RequestItems as Record<string, Obj>) ?? {}).flatMap(([table, request]) =>
        ((request.Keys as unknown[]) ?? []).map((entry): TableEntry => ({ table, entry })),
      ),
    keep: (input, kept) => {
      const all = input.RequestItems as Record<string, Obj>;
      const RequestItems: Record<string, Obj> = {};
      for (const { table, entry } of kept as TableEntry[]) {
        RequestItems[table] ??= { ...all[table], Keys: [] };
        (RequestItems[table].Keys as unknown[]).push(entry);
      }
      return { ...input, RequestItems };
    },
    answer: (output, withheld, input) => {
      const all = input.RequestItems as Record<string, Obj>;
      const UnprocessedKeys: Record<string, Obj> = { ...((output?.UnprocessedKeys as Record<string, Obj>) ?? {}) };
      for (const { table, entry } of withheld as TableEntry[]) {
        const before = UnprocessedKeys[table];
        UnprocessedKeys[table] = { ...all[table], Keys: [...((before?.Keys as unknown[]) ?? []), entry] };
      }
      return { Responses: {}, ...(output ?? {}), UnprocessedKeys };
    },
  },
};

/** Which entries to withhold: `count` of them (default half, at least one), chosen by `pick`. */
export function chooseWithheld(n: number, count: number | undefined, pick: (n: number, k: number) => number[]): Set<number> {
  const k = Math.max(1, Math.min(n, count ?? Math.floor(n / 2)));
  return new Set(pick(n, k));
}

/** The scripted choice: the last k entries (deterministic, and easy to name in a test). */
export function lastK(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => n - k + i);
}
