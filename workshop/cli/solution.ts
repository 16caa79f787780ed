// `solution`: the difference between the attendee's exercise and the reference solution,
// as a unified diff ("-" yours, "+" the solution).
import { existsSync, readFileSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import { rel, type Lesson } from "../lessons";
import { CliError } from "./errors";
import { pc } from "./ui";

export function solutionDiff(lesson: Lesson): { patch: string; identical: boolean } {
  if (!existsSync(lesson.solution)) throw new CliError(`Lesson ${lesson.number} has no reference solution (${rel(lesson.solution)} is missing).`);
  const theirs = readFileSync(lesson.solution, "utf8");
  const mine = existsSync(lesson.exercise) ? readFileSync(lesson.exercise, "utf8") : "";
  const patch = createTwoFilesPatch(`${rel(lesson.exercise)} (yours)`, rel(lesson.solution), mine, theirs, undefined, undefined, { context: 3 });
  return { patch, identical: mine === theirs };
}

export function colorPatch(patch: string): string {
  return patch
    .split("\n")
    .filter((line) => !/^={10,}$/.test(line) && !line.startsWith("Index: "))
    .map((line) => {
      if (line.startsWith("+++") || line.startsWith("---")) return pc.bold(line);
      if (line.startsWith("+")) return pc.green(line);
      if (line.startsWith("-")) return pc.red(line);
      if (line.startsWith("@@")) return pc.cyan(line);
      if (line.startsWith("\\")) return pc.dim(line);
      return line;
    })
    .join("\n")
    .trimEnd();
}

export function describeSolution(lesson: Lesson): string {
  const { patch, identical } = solutionDiff(lesson);
  if (identical) return `Your ${rel(lesson.exercise)} is the same as the reference solution.`;
  return [
    pc.dim(`Lines marked - are yours, lines marked + are the reference solution's (${rel(lesson.solution)}).`),
    colorPatch(patch),
  ].join("\n");
}
