// What a lesson imports from the harness: building clients, marking TODOs,
// naming resources, and running the lesson's main() as a demo.
import { randomBytes } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { realAwsAllowed } from "./clients/safety";
import { collectJournal, describeRunExtras, openJournal, saveRuns } from "./clients/run-report";
import { confirmSpend } from "./clients/spend";
import { chaos } from "./clients/chaos";
import { JOURNAL_ENV } from "./clients/journal";
import { useEmulator } from "./emulator";
import { LESSONS_DIR, ROOT } from "./paths";
import { lang, pick, t, type Bilingual } from "./i18n";

export { createClient, clientConfig } from "./clients";
export { mask } from "./clients/safety";
/** A line a demo prints, in both languages: console.log(say(`Created ${name}`, `Creé ${name}`)). */
export { say } from "./i18n";

/**
 * Thrown by an exercise function whose TODO is not done yet. `todo` and `task` are kept as fields
 * (the check reads them in any language); the message is in the learner's language: in Spanish it
 * names the TODO by its step in lesson.json, since the task passed to todo() is English.
 */
export class NotImplementedError extends Error {
  override name = "NotImplementedError";
  constructor(
    readonly todo: number,
    readonly task: string,
    /** The lesson whose exercise threw it ("04-s3"), when known: its lesson.json names the step. */
    lesson?: string,
  ) {
    super(t("lesson.todo.notDone", { n: todo, task: localTask(todo, task, lesson) }));
  }
}

/** The TODO's step from lesson.json in Spanish (lower-cased to follow the colon), or the task as given. */
function localTask(n: number, task: string, lesson: string | undefined): string {
  const language = lang();
  if (language === "en" || !lesson) return task;
  try {
    const raw = JSON.parse(readFileSync(join(LESSONS_DIR, lesson, "lesson.json"), "utf8")) as { todos?: Array<{ n?: unknown; step?: unknown }> };
    const entry = raw.todos?.find((x) => x?.n === n)?.step;
    // A lesson.json still in English only (a plain string) has no Spanish step: then the task is as good.
    const step = entry && typeof entry === "object" ? pick(entry as Bilingual, language) : undefined;
    if (!step) return task;
    return /^[A-ZÁÉÍÓÚÑ][a-záéíóúñ]/.test(step) ? step[0].toLowerCase() + step.slice(1) : step;
  } catch {
    return task;
  }
}

/** The lesson folder a call came from, read off the stack: lessons/NN-slug/ or solutions/NN-slug/. */
function callerLesson(stack: string | undefined): string | undefined {
  return /(?:lessons|solutions)[\\/](\d\d-[a-z0-9-]+)[\\/]/.exec(stack ?? "")?.[1];
}

/** Marks an unfinished exercise function: `todo(1, "create the bucket with CreateBucketCommand")`. */
export function todo(n: number, task: string): never {
  throw new NotImplementedError(n, task, lang() === "en" ? undefined : callerLesson(new Error().stack));
}

/**
 * Identifies this run: every name and tag a lesson makes carries it, so runs never collide.
 * A test run sets WORKSHOP_RUN_ID once, so that its workers share one and it can look for leftovers.
 */
export const RUN_ID = process.env.WORKSHOP_RUN_ID || newRunId();
/** A short id, unique enough per run: the time in base 36 and four random hex digits. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
}
/** Tells apart the processes of one run (test workers share RUN_ID). */
const PROCESS_TAG = randomBytes(2).toString("hex");
let counter = 0;

/**
 * A unique, lower-case name that is valid for buckets, queues, topics, tables, users and key pairs:
 * `uniqueName("photos")` → "nt-photos-mi0k2a1b3c4d-9f1e1". About 24 characters plus the prefix:
 * keep the prefix short (load balancer and target group names allow only 32 characters).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `nt-${prefix}-${RUN_ID}-${PROCESS_TAG}${counter}`.toLowerCase();
}

/** Every resource a lesson creates carries these tags, so that `npm start -- cleanup` can find it. */
export const WORKSHOP_TAG = { Key: "workshop", Value: "no-toca-boton" } as const;
export const RUN_TAG_KEY = "workshop-run";
export function workshopTags(): Array<{ Key: string; Value: string }> {
  return [{ ...WORKSHOP_TAG }, { Key: RUN_TAG_KEY, Value: RUN_ID }];
}

/**
 * Runs a stretch step of a lesson's demo: one whose TODO is not done yet is skipped, saying so,
 * so that a learner who has done the core can run the demo too.
 */
export async function stretch(step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (err) {
    if (!(err instanceof NotImplementedError)) throw err;
    console.log(t("lesson.stretch.skipped", { n: err.todo }));
  }
}

function isEntryPoint(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/** Prints an error for a learner: the TODO to do, or the error's own message, without a wall of stack. */
export function explainError(err: unknown, file?: string): string {
  if (err instanceof NotImplementedError) {
    return `${err.message}${file ? `\n  ${t("lesson.todo.open", { file, n: err.todo })}` : ""}`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * Runs `main` when the file is executed directly (`npx tsx lessons/04-s3/exercise.ts`),
 * with an emulator resolved first and stopped afterwards. Does nothing when the file is imported.
 * It ends with the faults chaos injected (WORKSHOP_CHAOS) and the cost line; on real AWS it first
 * shows the estimate from the lesson's last emulator run and asks (`--yes` skips the question).
 */
export function runMain(metaUrl: string, main: () => Promise<void>): void {
  if (!isEntryPoint(metaUrl)) return;
  const file = relative(ROOT, fileURLToPath(metaUrl));
  const lesson = /(?:lessons|solutions)[\\/](\d\d-[^\\/]+)[\\/]/.exec(file)?.[1] ?? file;
  void (async () => {
    let code = 0;
    if (realAwsAllowed() && !process.env.AWS_ENDPOINT_URL) {
      await confirmSpend(lesson, { yes: process.argv.includes("--yes") }).catch((err: Error) => {
        console.error(err.message);
        process.exit(1);
      });
    }
    const seed = chaos()?.seed;
    const journal = openJournal(seed);
    process.env[JOURNAL_ENV] ??= journal.dir;
    const emulator = await useEmulator().catch((err: Error) => {
      console.error(err.message);
      process.exit(1);
    });
    console.log(`${t("lesson.demo.using", { emulator: emulator.description })}\n`);
    if (seed !== undefined) console.log(`${t("clients.chaos.demoSeed", { seed })}\n`);
    // A main() whose promise can never settle (it waits on an event that never comes) would let
    // Node exit quietly with code 0 and no cleanup. Say so instead.
    const stalled = () => {
      console.error(`\n${t("lesson.demo.stalled", { file })}`);
      process.exit(1);
    };
    process.once("beforeExit", stalled);
    try {
      await main();
    } catch (err) {
      console.error(`\n${explainError(err, file)}`);
      code = 1;
    } finally {
      process.off("beforeExit", stalled);
      await emulator.stop();
    }
    if (process.env[JOURNAL_ENV] === journal.dir) {
      const reports = collectJournal(journal, [lesson], lesson);
      console.log(`\n${describeRunExtras(reports.get(lesson), seed, 20, `WORKSHOP_CHAOS=${seed}`).join("\n")}`);
      // The estimate before a real-AWS run comes from the emulator's runs only.
      if (emulator.kind !== "aws") saveRuns(reports, "demo", emulator.description, seed);
    }
    process.exit(code);
  })();
}
