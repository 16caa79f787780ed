// What a run's processes did, read back from its journal by the process that started them (the
// check, a demo): the faults injected, by lesson, and each lesson's cost summary.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { STATE_DIR } from "../paths";
import { chaos } from "./chaos";
import { costLine, saveLessonRun, summarize, type CostSummary, type LessonRun } from "./cost";
import { describeFaultInTest, type InjectedFault } from "./faults";
import { JOURNAL_ENV, readJournal, type CallLine, type FaultLine } from "./journal";
import { t } from "../i18n";

export interface RunJournal {
  dir: string;
  /** The environment a run's processes need: where to write, and the chaos seed if any. */
  env: Record<string, string>;
  seed?: number;
}

/** A fresh journal directory for one run, under .workshop/runs/. */
export function openJournal(seed?: number): RunJournal {
  const dir = join(STATE_DIR, "runs", `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`);
  return { dir, seed, env: { [JOURNAL_ENV]: dir, ...(seed !== undefined ? { WORKSHOP_CHAOS: String(seed) } : {}) } };
}

export interface LessonReport {
  faults: InjectedFault[];
  cost: CostSummary;
}

/** Reads the journal, splits it by lesson (lines that name none go to `fallback`), and removes it. */
export function collectJournal(journal: RunJournal, lessons: string[], fallback?: string): Map<string, LessonReport> {
  const lines = readJournal(journal.dir);
  try {
    rmSync(journal.dir, { recursive: true, force: true });
  } catch {
    // Left behind in .workshop/runs/: harmless, git-ignored.
  }
  const out = new Map<string, LessonReport>();
  for (const lesson of lessons) {
    const mine = lines.filter((l) => (l.lesson ?? fallback) === lesson);
    const calls = mine.filter((l): l is CallLine => l.t === "call");
    const faults = mine.filter((l): l is FaultLine => l.t === "fault").map(({ t: _t, at: _at, ...fault }) => fault as InjectedFault);
    out.set(lesson, { faults, cost: summarize(calls) });
  }
  return out;
}

/** Saves each lesson's last run, for `npm start -- cost` and the real-AWS estimate. */
export function saveRuns(reports: Map<string, LessonReport>, kind: LessonRun["kind"], emulator: string, seed?: number): void {
  for (const [lesson, report] of reports) {
    saveLessonRun({ lesson, kind, at: new Date().toISOString(), emulator, summary: report.cost, ...(seed !== undefined ? { chaos: { seed, faults: report.faults } } : {}) });
  }
}

/** Saves the last check of each lesson checked (the CLI and the dashboard do; the harness's own tests do not). */
export function saveCheckResults(results: Array<{ lesson: string; emulator: string; cost?: CostSummary; chaos?: { seed: number; faults: InjectedFault[] } }>): void {
  for (const r of results) {
    if (r.cost) saveLessonRun({ lesson: r.lesson, kind: "check", at: new Date().toISOString(), emulator: r.emulator, summary: r.cost, ...(r.chaos ? { chaos: r.chaos } : {}) });
  }
}

/** The chaos seed for a run: `--chaos` (random), `--chaos=7`, or WORKSHOP_CHAOS; undefined for none. */
export function chaosSeed(option: boolean | string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option === undefined || option === false) return chaos(env)?.seed;
  if (option === true) return Math.floor(Math.random() * 1_000_000) + 2;
  if (!/^\d+$/.test(option)) throw new Error(t("clients.chaos.badOption", { value: option }));
  return Number(option);
}

/** In the order of the code, not of time: the same seed prints the same list, whatever the timing. */
export function sortFaults(faults: InjectedFault[]): InjectedFault[] {
  const order = (f: InjectedFault) => `${f.lesson ?? ""}|${f.test ?? ""}|${f.where ?? ""}|${f.service}.${f.operation}|${String(f.attempt ?? 0).padStart(2, "0")}|${f.fault}|${f.detail}`;
  return [...faults].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** The lines a check or demo ends with: the faults injected (by chaos) and the cost line. */
export function describeRunExtras(report: LessonReport | undefined, seed: number | undefined, limit = 20, replay = `--chaos=${seed}`): string[] {
  const lines: string[] = [];
  if (seed !== undefined) {
    const faults = sortFaults(report?.faults ?? []);
    lines.push(t(faults.length ? "clients.chaos.seed" : "clients.chaos.seedNone", { seed, replay, n: faults.length }));
    for (const f of faults.slice(0, limit)) lines.push(`  ${describeFaultInTest(f)}`);
    if (faults.length > limit) lines.push(t("clients.chaos.more", { n: faults.length - limit }));
  }
  if (report) lines.push(costLine(report.cost));
  return lines;
}
