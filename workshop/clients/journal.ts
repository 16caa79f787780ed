// The run's journal: each process (a demo, each test worker) appends one JSON line per finished
// call and per injected fault to its own file in the directory WORKSHOP_JOURNAL names, so that the
// check's process can tell what its workers did (faults injected, requests, what they would cost),
// however many workers there were. Nothing is written when WORKSHOP_JOURNAL is not set.
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { InjectedFault } from "./faults";

export const JOURNAL_ENV = "WORKSHOP_JOURNAL";

export interface CallLine {
  t: "call";
  lesson?: string;
  service: string;
  operation: string;
  ok: boolean;
  errorName?: string;
  /** Requests that reached the emulator (AWS bills these). */
  requests: number;
  startedAt: number;
  endedAt: number;
  region: string;
  /** Resources billed by time that this call started or ended (see cost.ts). */
  resources?: ResourceEvent[];
  /** DynamoDB's on-demand request units. */
  units?: { read: number; write: number };
}

export interface ResourceEvent {
  /** "ec2-instance", "elastic-ip", "load-balancer", "alarm", "custom-metric". */
  kind: string;
  id: string;
  event: "start" | "end";
  at: number;
  /** The instance type (t3.micro) or the load balancer's type (application). */
  type?: string;
}

export interface FaultLine extends InjectedFault {
  t: "fault";
  lesson?: string;
  at: number;
}

export type JournalLine = CallLine | FaultLine;

let file: string | undefined | null = null;

function journalFile(): string | undefined {
  if (file === null) {
    const dir = process.env[JOURNAL_ENV];
    if (!dir) file = undefined;
    else {
      mkdirSync(dir, { recursive: true });
      file = join(dir, `${process.pid}-${randomBytes(3).toString("hex")}.jsonl`);
    }
  }
  return file;
}

export function writeLine(line: JournalLine): void {
  const path = journalFile();
  if (!path) return;
  try {
    appendFileSync(path, JSON.stringify(line) + "\n");
  } catch {
    // A journal that cannot be written must never fail the learner's code: the cost line says less.
  }
}

/** Every line the run's processes wrote, in time order. */
export function readJournal(dir: string): JournalLine[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".jsonl"));
  } catch {
    return [];
  }
  const lines: JournalLine[] = [];
  for (const name of names) {
    for (const text of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (!text.trim()) continue;
      try {
        lines.push(JSON.parse(text) as JournalLine);
      } catch {
        // A line cut short by a worker that was stopped mid-write: skip it.
      }
    }
  }
  const at = (l: JournalLine) => (l.t === "call" ? l.startedAt : l.at);
  return lines.sort((a, b) => at(a) - at(b));
}

const LESSON_IN_STACK = /[\\/](?:lessons|solutions)[\\/](\d\d-[^\\/:()\s]+)[\\/]/;
let scope: string | undefined;

/** The lesson whose tests now run in this process (set by workshop/testing.ts), when the stack does not tell. */
export function setLessonScope(lesson: string | undefined): void {
  scope = lesson;
}

/** The lesson a stack belongs to (a frame in lessons/NN-slug/ or solutions/NN-slug/), or the scope. */
export function lessonOf(stack: string): string | undefined {
  return LESSON_IN_STACK.exec(stack)?.[1] ?? scope;
}
