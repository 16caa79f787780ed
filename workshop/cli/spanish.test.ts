// The workshop in Spanish, as a learner with a Spanish locale meets it, on the real lessons:
// `WORKSHOP_LANG=es npm start -- hint 04`, `LANG=es_AR.UTF-8 npm run check -- 04` on the
// untouched exercise, the status table; and a check handed to a running process comes back in
// the language of the process that asked. Each in a state folder of its own (no progress, no
// handoff to a dashboard someone left open).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { pick } from "../i18n";
import { findLesson } from "../lessons";
import { ROOT } from "../paths";

const state = mkdtempSync(join(tmpdir(), "nt-spanish-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

/** This process's environment for a CLI of its own: no Vitest variables, no language unless given. */
function env(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("VITEST") && k !== "NODE_OPTIONS" && !["WORKSHOP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"].includes(k)) out[k] = v;
  }
  return { ...out, NO_COLOR: "1", WORKSHOP_STATE_DIR: state, WORKSHOP_NO_HANDOFF: "1", ...extra };
}

function cli(args: string[], extra: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "workshop/cli/index.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: env(extra), timeout: 240_000 });
}

const show = (run: { stdout: string; stderr: string }) => `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

function untouched(file: string): boolean {
  try {
    execFileSync("git", ["diff", "--quiet", "HEAD", "--", file], { cwd: ROOT, stdio: "ignore" });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== 1;
  }
}

const s3 = findLesson("04", "es");
const raw = JSON.parse(readFileSync(join(s3.dir, "lesson.json"), "utf8")) as { todos: Array<{ n: number; step: unknown; hints: unknown[] }> };
/** lesson.json's text in Spanish (the English one while the lesson has no Spanish yet). */
const spanish = (text: unknown) => pick(text as { en: string; es: string } | string, "es")!;

describe("in Spanish", { timeout: 300_000 }, () => {
  test("WORKSHOP_LANG=es npm start -- hint 04: the first TODO's first hint, in Spanish", () => {
    const run = cli(["hint", "04"], { WORKSHOP_LANG: "es" });
    expect(run.status, show(run)).toBe(0);
    const todo1 = raw.todos.find((t) => t.n === 1)!;
    expect(run.stdout).toContain(`Lección 04 · ${s3.title}`);
    expect(run.stdout).toContain(`Pistas para el TODO 1 (${spanish(todo1.step)}):`);
    expect(run.stdout.replace(/\s+/g, " ")).toContain(`Pista 1 de ${todo1.hints.length}: ${spanish(todo1.hints[0])}`);
    expect(run.stdout).toContain("¿Seguís trabado? Pedí de nuevo y te doy la pista 2.");
    expect(run.stdout, "no English framing").not.toMatch(/Hints for|Hint 1 of|Stuck still/);
  });

  test("WORKSHOP_LANG=es npm start -- list: the status table in Spanish", () => {
    const run = cli(["list"], { WORKSHOP_LANG: "es" });
    expect(run.status, show(run)).toBe(0);
    expect(run.stdout).toContain("No toca BOTÓN: aprendé AWS desde TypeScript contra un emulador local");
    expect(run.stdout).toMatch(/04 +s3 +.* · sin empezar +núcleo ~\d+ min/);
    expect(run.stdout).toMatch(/0\/\d+ lecciones hechas/);
    expect(run.stdout).toContain("Lección actual: 01");
  });

  test.skipIf(!untouched(s3.exercise))("LANG=es_AR.UTF-8 npm run check -- 04 on the untouched exercise names the first TODO in Spanish", () => {
    const run = cli(["check", "04"], { LANG: "es_AR.UTF-8", AWS_ENDPOINT_URL: inject("awsEndpoint"), WORKSHOP_TYPECHECK: "0" });
    expect(run.status, show(run)).toBe(1);
    const step1 = spanish(raw.todos.find((t) => t.n === 1)!.step);
    expect(run.stdout).toContain("Lección 04-s3: tu ejercicio (lessons/04-s3/exercise.ts) contra ");
    expect(run.stdout).toMatch(/✗ Pasan \d+ de \d+ pruebas\. \(núcleo 0\/\d+ · extra 0\/\d+\)/);
    expect(run.stdout).toContain(`Lo próximo: TODO 1: ${step1}`);
    expect(run.stdout).toMatch(/\n {2}en lessons\/04-s3\/exercise\.ts:\d+\n/);
    expect(run.stdout).toMatch(/\(después: pasos 2, 3/);
    expect(run.stdout, "no English framing").not.toMatch(/Next thing to do|checks pass|then: steps/);
  });

  test("a check handed to a running process comes back in the asker's language, not the server's", () => {
    // The server runs in English; the asker asks in Spanish: the lessons it checks are read in Spanish
    // and the check runs in Spanish (here a stand-in check that says what it was given).
    const url = (file: string) => JSON.stringify(pathToFileURL(join(ROOT, file)).href);
    const script = `
      const { serveChecks, handOff } = await import(${url("workshop/cli/handoff.ts")});
      const server = await serveChecks(async (lessons, target, endpoint, language) => [{ lesson: lessons[0].slug, title: lessons[0].title, language, processLang: process.env.WORKSHOP_LANG }]);
      const asked = await handOff({ lessons: ["04"], target: "exercise", lang: "es" }, { ...process.env, WORKSHOP_NO_HANDOFF: "" });
      const older = await handOff({ lessons: ["04"], target: "exercise" }, { ...process.env, WORKSHOP_NO_HANDOFF: "" });
      server.close();
      console.log(JSON.stringify({ asked, older }));
    `;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8", env: env({ WORKSHOP_LANG: "en" }), timeout: 60_000 });
    expect(run.status, show(run)).toBe(0);
    const { asked, older } = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(asked).toEqual([{ lesson: "04-s3", title: findLesson("04", "es").title, language: "es", processLang: "en" }]);
    expect(older[0].language, "an asker that names no language gets English").toBe("en");
  });
});
