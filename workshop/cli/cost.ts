// `npm start -- cost [lesson]`: what the lesson's last run (check or demo, against the emulator)
// would have cost on AWS, request by request and resource by resource, from the dated price table.
import { describeCost, readLessonRun } from "../clients/cost";
import { describeFault } from "../clients/faults";
import type { Lesson } from "../lessons";
import { t } from "../i18n";

export function describeLessonCost(lesson: Lesson): string {
  const run = readLessonRun(lesson.slug);
  if (!run) {
    return t("cli.cost.noRun", { number: lesson.number, file: `lessons/${lesson.slug}/exercise.ts` });
  }
  const at = `${run.at.slice(0, 16).replace("T", " ")} UTC`;
  const kind = run.kind === "demo" ? "demo" : "check";
  const key = run.emulator ? (kind === "demo" ? "cli.cost.lastDemoAgainst" : "cli.cost.lastCheckAgainst") : kind === "demo" ? "cli.cost.lastDemo" : "cli.cost.lastCheck";
  const lines = [t(key, { number: lesson.number, title: lesson.title, at, emulator: run.emulator ?? "" }), ""];
  lines.push(describeCost(run.summary));
  if (run.chaos) {
    lines.push("", t(run.chaos.faults.length ? "cli.cost.chaos" : "cli.cost.chaosNone", { seed: run.chaos.seed, n: run.chaos.faults.length }));
    for (const f of run.chaos.faults.slice(0, 30)) lines.push(`  ${describeFault(f)}`);
  }
  return lines.join("\n");
}
