// "No toca botón" on real AWS: before a lesson's demo or check spends money, show what its last
// emulator run would have cost there, and ask. `--yes` skips the question; without a terminal
// and without --yes, refuse.
import { createInterface } from "node:readline/promises";
import { costLine, readLessonRun } from "./cost";
import { t } from "../i18n";

export class SpendRefused extends Error {
  override name = "SpendRefused";
}

/** The estimate shown before spending: from the lesson's last emulator run, or a sentence saying there is none. */
export function spendEstimate(lesson: string): string {
  const run = readLessonRun(lesson);
  if (!run) {
    return t("clients.spend.noRun", { lesson });
  }
  return t("clients.spend.lastRun", { lesson, kind: t(run.kind === "check" ? "clients.spend.kind.check" : "clients.spend.kind.demo"), at: run.at.slice(0, 16).replace("T", " "), cost: costLine(run.summary) });
}

/**
 * Asks before spending on real AWS. Resolves when the learner agrees (or --yes); throws
 * SpendRefused with a plain sentence otherwise.
 */
export async function confirmSpend(lesson: string, options: { yes?: boolean; interactive?: boolean } = {}): Promise<void> {
  const estimate = spendEstimate(lesson);
  console.error(t("clients.spend.warning", { estimate }));
  if (options.yes) return;
  const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!interactive) {
    throw new SpendRefused(t("clients.spend.noTerminal"));
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(t("clients.spend.question"))).trim().toLowerCase();
    if (!["y", "yes", "s", "si", "sí"].includes(answer)) throw new SpendRefused(t("clients.spend.refused"));
  } finally {
    rl.close();
  }
}
