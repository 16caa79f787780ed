// "No toca botón" on real AWS: before a lesson's demo or check spends money, show what its last
// emulator run would have cost there, and ask. `--yes` skips the question; without a terminal
// and without --yes, refuse.
import { createInterface } from "node:readline/promises";
import { costLine, readLessonRun } from "./cost";

export class SpendRefused extends Error {
  override name = "SpendRefused";
}

/** The estimate shown before spending: from the lesson's last emulator run, or a sentence saying there is none. */
export function spendEstimate(lesson: string): string {
  const run = readLessonRun(lesson);
  if (!run) {
    return `There is no emulator run of lesson ${lesson} to estimate from: run it against the emulator first (without WORKSHOP_REAL_AWS) to see what it would cost.`;
  }
  return `Lesson ${lesson}'s last emulator run (${run.kind}, ${run.at.slice(0, 16).replace("T", " ")} UTC):\n${costLine(run.summary)}`;
}

/**
 * Asks before spending on real AWS. Resolves when the learner agrees (or --yes); throws
 * SpendRefused with a plain sentence otherwise.
 */
export async function confirmSpend(lesson: string, options: { yes?: boolean; interactive?: boolean } = {}): Promise<void> {
  const estimate = spendEstimate(lesson);
  console.error(`This talks to REAL AWS (WORKSHOP_REAL_AWS=1) and costs money.\n${estimate}`);
  if (options.yes) return;
  const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!interactive) {
    throw new SpendRefused("Nothing was sent to AWS: there is no terminal to ask in. Add --yes to go ahead, or unset WORKSHOP_REAL_AWS to use the emulator.");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question("Go ahead and spend it? [y/N] ")).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") throw new SpendRefused("Nothing was sent to AWS.");
  } finally {
    rl.close();
  }
}
