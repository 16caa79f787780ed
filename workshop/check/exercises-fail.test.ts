// Exercism's rule: the tests must bite. Every untouched exercise must fail its check and
// name a TODO; an exercise the attendee has already changed is skipped, not judged.
// All the untouched exercises are checked in one child process, as `npm run check` would check
// each of them (without the type check: npm test runs tsc on them all), in English and then in
// Spanish: each verdict must be wholly in its language, as far as the harness's own words go.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckResult } from "./index";
import { catalog, LANGS, type Lang } from "../i18n";
import { findLesson, listLessons, rel } from "../lessons";
import { ROOT } from "../paths";

function touched(file: string): boolean {
  try {
    execFileSync("git", ["diff", "--quiet", "HEAD", "--", file], { cwd: ROOT, stdio: "ignore" });
    return false;
  } catch (err) {
    // Exit 1: the file differs from the last commit. Anything else (no git, no commits): treat as untouched.
    return (err as { status?: number }).status === 1;
  }
}

const lessons = listLessons();
const untouched = lessons.filter((lesson) => !touched(lesson.exercise));
const results = new Map<string, CheckResult>();
/** The verdicts of each language, as `npm run check` prints them (without colours), and their results. */
const verdicts: Record<Lang, Map<string, { result: CheckResult; text: string }>> = { en: new Map(), es: new Map() };

beforeAll(() => {
  if (untouched.length === 0) return;
  const url = (file: string) => JSON.stringify(pathToFileURL(join(ROOT, file)).href);
  const script = `
    const { runChecks } = await import(${url("workshop/check/index.ts")});
    const { findLesson } = await import(${url("workshop/lessons.ts")});
    const { describeCheck } = await import(${url("workshop/check/verdict.ts")});
    const { t } = await import(${url("workshop/i18n/index.ts")});
    const slugs = ${JSON.stringify(untouched.map((l) => l.slug))};
    const plain = { red: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };
    // One language after the other: side by side they doubled the emulator's load at its peak,
    // and other test files' emulator pings timed out on a busy machine.
    const runs = [];
    for (const lang of ["en", "es"]) runs.push(await (async () => {
      // The run's emulator, described in each language as the checker describes an endpoint.
      const description = t("cli.checker.endpoint", { endpoint: process.env.AWS_ENDPOINT_URL }, lang);
      const emulator = { kind: "endpoint", endpoint: process.env.AWS_ENDPOINT_URL, description, stop: async () => {} };
      const results = await runChecks(slugs.map((slug) => findLesson(slug, lang)), { target: "exercise", typecheck: false, lang, emulator });
      return [lang, results.map((result) => ({ result, text: describeCheck(result, plain, lang) }))];
    })());
    console.log(JSON.stringify(Object.fromEntries(runs)));
    process.exitCode = 0;
  `;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, LESSON_TARGET: "exercise" },
    timeout: 300_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const both = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<Lang, Array<{ result: CheckResult; text: string }>>;
  for (const language of LANGS) for (const verdict of both[language]) verdicts[language].set(verdict.result.lesson, verdict);
  for (const { result } of both.en) results.set(result.lesson, result);
});

describe("every untouched exercise fails its check and names a TODO", () => {
  for (const lesson of lessons) {
    test.skipIf(touched(lesson.exercise))(`${lesson.slug}: ${rel(lesson.exercise)} fails`, () => {
      const result = results.get(lesson.slug)!;
      expect(result.ok).toBe(false);
      expect(result.loadError, "the untouched exercise should load: only its TODOs are missing").toBeUndefined();
      expect(result.failed).toBeGreaterThan(0);
      expect(result.nextTodo?.n, `the first failure should name a TODO; it said: ${result.failures[0]?.message}`).toBe(1);
      expect(result.nextTodo!.location).toMatch(new RegExp(`^lessons/${lesson.slug}/exercise\\.ts:\\d+$`));
      // Every failure of an untouched exercise is a TODO not done yet, never a crash of the test itself.
      const notTodo = result.failures.filter((f) => !f.todo);
      expect(notTodo, `failures that name no TODO: ${notTodo.map((f) => `${f.test}: ${f.message}`).join("\n")}`).toEqual([]);
    });
  }
});

// ── Each verdict in its own language ────────────────────────────────────────────────────────

/**
 * The harness's messages of one language that the other language words differently, each as a
 * pattern (its placeholders match anything on the line); short ones ("{n}/{total} steps", a
 * language's name) are left out: they are too likely to turn up inside other words.
 */
function onlyIn(language: Lang): Array<{ key: string; pattern: RegExp }> {
  const mine = catalog(language);
  const theirs = catalog(language === "en" ? "es" : "en");
  return Object.entries(mine)
    .filter(([key, template]) => theirs[key] !== undefined && theirs[key] !== template)
    .filter(([, template]) => template.replace(/\{\w+\}/g, "").replace(/[^\p{L}]/gu, "").length >= 14)
    .map(([key, template]) => ({
      key,
      pattern: new RegExp(
        template
          .split(/\{\w+\}/)
          .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^\\n]*?"),
      ),
    }));
}

const spanishOnly = onlyIn("es");
const englishOnly = onlyIn("en");

describe("every untouched exercise's verdict is in the learner's language (the harness's words)", () => {
  for (const lesson of lessons) {
    test.skipIf(touched(lesson.exercise))(`${lesson.slug}: in Spanish, no English-only harness message; in English, no Spanish-only one`, () => {
      const es = verdicts.es.get(lesson.slug)!;
      const en = verdicts.en.get(lesson.slug)!;
      // The patterns bite: each verdict holds messages of its own language.
      expect(englishOnly.filter(({ pattern }) => pattern.test(en.text)).length, "English-only messages found in the English verdict").toBeGreaterThan(1);
      expect(spanishOnly.filter(({ pattern }) => pattern.test(es.text)).length, "Spanish-only messages found in the Spanish verdict").toBeGreaterThan(1);
      const english = englishOnly.filter(({ pattern }) => pattern.test(es.text)).map(({ key }) => key);
      expect(english, `English harness messages in the Spanish verdict:\n${es.text}`).toEqual([]);
      const spanish = spanishOnly.filter(({ pattern }) => pattern.test(en.text)).map(({ key }) => key);
      expect(spanish, `Spanish harness messages in the English verdict:\n${en.text}`).toEqual([]);
      // The same verdict in both: the same step first, named by lesson.json's step in each language.
      expect(es.result.ok).toBe(false);
      expect(es.result.nextTodo?.n, `the Spanish verdict names the same first TODO; it said:\n${es.text}`).toBe(en.result.nextTodo?.n);
      const step = findLesson(lesson.slug, "es").todos.find((t) => t.n === es.result.nextTodo?.n)?.step;
      if (step) expect(es.text).toContain(`Lo próximo: TODO ${es.result.nextTodo!.n}: ${step}`);
      expect(en.text).toContain(`Next thing to do: TODO ${en.result.nextTodo!.n}:`);
    });
  }

  // Not a judgement of the lessons (their translation is the lesson helpers' work), a report:
  // how many of each lesson's failures read the same in both languages (a test name or message
  // not yet written with say).
  test("report: the lessons' own messages that read the same in both languages", () => {
    const rows = [...verdicts.es.values()].map(({ result }) => {
      const english = verdicts.en.get(result.lesson)!.result.failures;
      const names = new Set(english.map((f) => f.test));
      const messages = new Set(english.map((f) => f.message));
      const sameName = result.failures.filter((f) => names.has(f.test)).length;
      const sameMessage = result.failures.filter((f) => messages.has(f.message)).length;
      return `${result.lesson}: of ${result.failures.length} failures, ${sameName} test names and ${sameMessage} messages read the same in English and Spanish`;
    });
    console.info(`The lessons' messages in Spanish:\n  ${rows.join("\n  ")}`);
    expect(rows.length).toBe(untouched.length);
  });
});
