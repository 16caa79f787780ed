// `solution`: the reference for the TODO the learner is on: that one function of
// solutions/NN-slug/solution.ts (found with the TypeScript compiler API by lesson.json's
// "function"), or, one flag away (--all), the difference between the whole exercise and the
// solution. Without noise either way: the solution's own comments (the learner never wrote
// them), its slide region markers, and the `todo` import left out.
import { existsSync, readFileSync } from "node:fs";
import { createTwoFilesPatch } from "diff";
import ts from "typescript";
import { rel, todoMeta, type Lesson } from "../lessons";
import { CliError } from "./errors";
import { t } from "../i18n";
import { currentTodo } from "./hint";
import { pc } from "./ui";

const REGION = /^\/\/\s*#(end)?region\b/;

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Every comment of a file, as [start, end) ranges (never inside a string or a template). */
function commentRanges(source: ts.SourceFile): ts.CommentRange[] {
  const text = source.text;
  const found = new Map<number, ts.CommentRange>();
  const take = (ranges: ts.CommentRange[] | undefined) => ranges?.forEach((r) => found.set(r.pos, r));
  const visit = (node: ts.Node) => {
    take(ts.getLeadingCommentRanges(text, node.pos));
    take(ts.getTrailingCommentRanges(text, node.end));
    take(ts.getLeadingCommentRanges(text, node.end));
    // A comment after a separator ("queueSize: 2, // …") belongs to no node.
    const after = /^\s*[,;]/.exec(text.slice(node.end, node.end + 20));
    if (after) take(ts.getTrailingCommentRanges(text, node.end + after[0].length));
    ts.forEachChild(node, visit);
  };
  take(ts.getLeadingCommentRanges(text, 0));
  visit(source);
  return [...found.values()].sort((a, b) => a.pos - b.pos);
}

const normal = (comment: string) => comment.replace(/\s+/g, " ").trim();

/**
 * The solution's text without what the learner never wrote: region markers, and comments that
 * do not appear in the exercise (the exercise's own doc comments stay).
 */
export function withoutNoise(solutionText: string, exerciseText: string): string {
  const source = parse("solution.ts", solutionText);
  const exerciseComments = new Set(commentRanges(parse("exercise.ts", exerciseText)).map((r) => normal(exerciseText.slice(r.pos, r.end))));
  let out = solutionText;
  for (const range of commentRanges(source).reverse()) {
    const comment = solutionText.slice(range.pos, range.end);
    if (!REGION.test(comment) && exerciseComments.has(normal(comment))) continue;
    const lineStart = out.lastIndexOf("\n", range.pos - 1) + 1;
    const lineEnd = out.indexOf("\n", range.end);
    const before = out.slice(lineStart, range.pos);
    const after = out.slice(range.end, lineEnd < 0 ? out.length : lineEnd);
    if (!before.trim() && !after.trim()) out = out.slice(0, lineStart) + out.slice(lineEnd < 0 ? out.length : lineEnd + 1);
    else out = out.slice(0, range.pos).trimEnd() + out.slice(range.end);
  }
  // The exercise imports `todo` and the solution does not: not a difference worth a line.
  const withTodo = (line: string) => line.replace(/import \{ ([^}]*) \} from "(\.\.\/)+workshop\/lesson"/, (m, names: string) => m.replace(names, [...names.split(/,\s*/), "todo"].sort((a, b) => a.localeCompare(b)).join(", ")));
  const exerciseLines = new Set(exerciseText.split("\n"));
  out = out
    .split("\n")
    .map((line) => (/workshop\/lesson"/.test(line) && !exerciseLines.has(line) && exerciseLines.has(withTodo(line)) ? withTodo(line) : line))
    .join("\n");
  // An exercise whose only import of the workshop is `todo`: keep that line on both sides.
  const lines = exerciseText.split("\n");
  const only = lines.findIndex((line) => /^import \{ todo \} from "(\.\.\/)+workshop\/lesson";$/.test(line));
  if (only >= 0 && !out.includes(lines[only])) {
    const mine = out.split("\n");
    const next = mine.indexOf(lines[only + 1] ?? "\u0000");
    mine.splice(next >= 0 ? next : 0, 0, lines[only]);
    out = mine.join("\n");
  }
  return out;
}

/** The exported function (or const) named `name`, with its doc comment, as it is written in the file. */
export function functionText(fileText: string, name: string): { text: string; line: number } | undefined {
  const source = parse("file.ts", fileText);
  for (const statement of source.statements) {
    const named =
      (ts.isFunctionDeclaration(statement) && statement.name?.text === name) ||
      (ts.isVariableStatement(statement) && statement.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name));
    if (!named) continue;
    const start = statement.getStart(source, true);
    return { text: fileText.slice(start, statement.end), line: source.getLineAndCharacterOfPosition(start).line + 1 };
  }
  return undefined;
}

/** The function of the exercise that holds TODO n (for a lesson.json that does not name it). */
export function functionOfTodo(exerciseText: string, n: number): string | undefined {
  const source = parse("exercise.ts", exerciseText);
  const marker = new RegExp(`TODO ${n}\\b|todo\\(\\s*${n}\\s*,`);
  for (const statement of source.statements) {
    const text = exerciseText.slice(statement.getFullStart(), statement.end);
    if (!marker.test(text)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) return statement.name.text;
    if (ts.isVariableStatement(statement)) {
      const d = statement.declarationList.declarations[0];
      if (d && ts.isIdentifier(d.name)) return d.name.text;
    }
  }
  return undefined;
}

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

function solutionText(lesson: Lesson): string {
  if (!existsSync(lesson.solution)) throw new CliError(t("cli.solution.missing", { number: lesson.number, file: rel(lesson.solution) }));
  return readFileSync(lesson.solution, "utf8");
}

export function solutionDiff(lesson: Lesson): { patch: string; identical: boolean } {
  const mine = read(lesson.exercise);
  const theirs = withoutNoise(solutionText(lesson), mine);
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

/** The whole-file difference, in words and colours. */
export function describeSolution(lesson: Lesson): string {
  const { patch, identical } = solutionDiff(lesson);
  if (identical) return t("cli.solution.identical", { file: rel(lesson.exercise) });
  return [
    pc.dim(t("cli.solution.legend", { file: rel(lesson.solution) })),
    colorPatch(patch),
  ].join("\n");
}

export interface StepSolution {
  n: number;
  step?: string;
  function: string;
  text: string;
  /** "solutions/04-s3/solution.ts:120" */
  location: string;
}

/** The reference for TODO n (default: the TODO the learner is on), or undefined when it cannot be told apart. */
export function stepSolution(lesson: Lesson, n = currentTodo(lesson)): StepSolution | undefined {
  if (n === undefined) return undefined;
  const meta = todoMeta(lesson, n);
  const exercise = read(lesson.exercise);
  const name = meta?.function ?? functionOfTodo(exercise, n) ?? (existsSync(lesson.exercise) ? functionOfTodo(read(lesson.exercise), n) : undefined);
  if (!name) return undefined;
  const solution = solutionText(lesson);
  const found = functionText(solution, name);
  if (!found) return undefined;
  return { n, ...(meta ? { step: meta.step } : {}), function: name, text: withoutNoise(found.text, exercise).trimEnd(), location: `${rel(lesson.solution)}:${found.line}` };
}

/** What `s` and `npm start -- solution` show: the current TODO's function, else the whole difference. */
export function describeStepSolution(lesson: Lesson, n?: number): { text: string; whole: boolean } {
  const step = stepSolution(lesson, n);
  if (!step) return { text: describeSolution(lesson), whole: true };
  return {
    text: [
      pc.bold(t(step.step ? "cli.solution.stepTitled" : "cli.solution.step", { n: step.n, step: step.step ?? "", function: step.function, location: step.location })),
      "",
      step.text,
    ].join("\n"),
    whole: false,
  };
}
