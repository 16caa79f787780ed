// `npm start -- cost [lesson]`: what the lesson's last run (check or demo, against the emulator)
// would have cost on AWS, request by request and resource by resource, from the dated price table.
import { describeCost, readLessonRun } from "../clients/cost";
import { describeFault } from "../clients/faults";
import type { Lesson } from "../lessons";

export function describeLessonCost(lesson: Lesson): string {
  const run = readLessonRun(lesson.slug);
  if (!run) {
    return (
      `Lesson ${lesson.number} has no run yet to price. Run its check (\`npm run check -- ${lesson.number}\`) or its demo ` +
      `(\`npx tsx lessons/${lesson.slug}/exercise.ts\`): the cost of the last run is kept for this command.`
    );
  }
  const lines = [`Lesson ${lesson.number} · ${lesson.title}: its last ${run.kind}, ${run.at.slice(0, 16).replace("T", " ")} UTC${run.emulator ? `, against ${run.emulator}` : ""}.`, ""];
  lines.push(describeCost(run.summary));
  if (run.chaos) {
    lines.push("", `That run had chaos (seed ${run.chaos.seed}): ${run.chaos.faults.length} fault(s) injected${run.chaos.faults.length ? ":" : "."}`);
    for (const f of run.chaos.faults.slice(0, 30)) lines.push(`  ${describeFault(f)}`);
  }
  return lines.join("\n");
}
