// What a lesson imports from the harness: building clients, marking TODOs,
// naming resources, and running the lesson's main() as a demo.
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { realAwsAllowed } from "./clients/safety";
import { collectJournal, describeRunExtras, openJournal, saveRuns } from "./clients/run-report";
import { confirmSpend } from "./clients/spend";
import { chaos } from "./clients/chaos";
import { JOURNAL_ENV } from "./clients/journal";
import { useEmulator } from "./emulator";
import { ROOT } from "./paths";

export { createClient, clientConfig } from "./clients";
export { mask } from "./clients/safety";
/** A line a demo prints, in both languages: console.log(say(`Created ${name}`, `Creé ${name}`)). */
export { say } from "./i18n";

/** Thrown by an exercise function whose TODO is not done yet. */
export class NotImplementedError extends Error {
  override name = "NotImplementedError";
  constructor(
    readonly todo: number,
    readonly task: string,
  ) {
    super(`TODO ${todo} is not done yet: ${task}`);
  }
}

/** Marks an unfinished exercise function: `todo(1, "create the bucket with CreateBucketCommand")`. */
export function todo(n: number, task: string): never {
  throw new NotImplementedError(n, task);
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
    console.log(`(Stretch TODO ${err.todo} is not done yet: skipped.)`);
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
    return `${err.message}${file ? `\n  Open ${file} and look for "TODO ${err.todo}".` : ""}`;
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
    console.log(`Using ${emulator.description}\n`);
    if (seed !== undefined) console.log(`Chaos: seed ${seed} (replay the same faults with WORKSHOP_CHAOS=${seed})\n`);
    // A main() whose promise can never settle (it waits on an event that never comes) would let
    // Node exit quietly with code 0 and no cleanup. Say so instead.
    const stalled = () => {
      console.error(`\n${file}: main() stopped before it finished: it is waiting for something that can never happen (an event, a promise nobody resolves).`);
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
