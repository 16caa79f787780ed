// The interactive dashboard, driven through a pseudo-terminal as a person would drive it:
// key presses, a save that triggers a re-check, polling for file systems without file events,
// the questions before reset and solution, and quitting with q and with Ctrl-C.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { spawn, type IPty } from "@lydell/node-pty";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURE_LESSONS, FIXTURE_SPANISH, makeProject, waitForText, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

interface Screen {
  pty: IPty;
  /** Everything the dashboard wrote, without colours and cursor codes. */
  text(): string;
  raw(): string;
  /** Waits for pattern after position `from`; resolves with the position after the match. */
  waitFor(pattern: RegExp, from?: number): Promise<number>;
  press(key: string): void;
  exit: Promise<number>;
}

function openDashboard(env: Record<string, string | undefined> = {}): Screen {
  const pty = spawn(process.execPath, ["--import", "tsx", join(project.root, "workshop", "cli", "index.ts")], {
    name: "xterm-256color",
    cols: 120,
    rows: 40,
    cwd: project.root,
    env: project.env({ TERM: "xterm-256color", ...env }),
  });
  let raw = "";
  const listeners = new Set<() => void>();
  pty.onData((data) => {
    raw += data;
    for (const l of listeners) l();
  });
  const exit = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  const text = () => stripVTControlCharacters(raw);
  return {
    pty,
    text,
    raw: () => raw,
    waitFor: (pattern, from = 0) => waitForText(text, listeners, pattern, from, 120_000),
    press: (key) => pty.write(key),
    exit,
  };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the dashboard in a terminal", { timeout: 180_000 }, () => {
  test("shows the lessons, gives a hint, re-checks on save, moves on, and quits with q", async () => {
    project.cli(["reset", "01", "--yes"]);
    const screen = openDashboard();
    try {
      let at = await screen.waitFor(/TODO 1: Create a bucket/);
      const first = screen.text();
      expect(first).toMatch(/0\/2 lessons done/);
      expect(first).toMatch(/▸ 01 +buckets +Buckets/);
      expect(first).toMatch(/02 +queues +Queues +· not started/);
      expect(first).toContain("at lessons/01-buckets/exercise.ts:5");
      expect(first).toMatch(/n next +p previous +h hint +c check now +r reset +s solution +x chaos +l Español +q quit/);

      screen.press("h");
      at = await screen.waitFor(new RegExp(`Hint 1 of 2: ${FIXTURE_LESSONS["01-buckets"].meta.todos[0].hints[0]}`), at);

      // A save in the editor: the dashboard re-checks on its own.
      project.solve("01-buckets");
      at = await screen.waitFor(/✓ All 2 checks pass\./, at);
      expect(screen.text().slice(at)).toMatch(/Lesson 01-buckets is done\. Next: lesson 02, Queues: press n/);
      expect(screen.text().slice(at - 2000)).toMatch(/1\/2 lessons done/);

      screen.press("n");
      at = await screen.waitFor(/Lesson 02 · Queues/, at);
      at = await screen.waitFor(/TODO 1: Create a queue/, at);

      screen.press("q");
      expect(await within(screen.exit, 20_000, "quitting")).toBe(0);
      expect(screen.text().slice(at)).toContain("Your progress is saved");
      expect(screen.raw(), "the cursor is shown again").toContain("\x1b[?25h");
      const progress = project.progress();
      expect(progress.current).toBe("02-queues");
      expect(progress.lessons["01-buckets"].status).toBe("complete");
      expect(progress.lessons["02-queues"].status).toBe("failing");
    } finally {
      screen.pty.kill();
    }
  });

  test("polls when asked, checks on a key press, asks before solution and reset, and quits on Ctrl-C", async () => {
    const screen = openDashboard({ WORKSHOP_POLL: "1", PAGER: "cat" });
    try {
      let at = await screen.waitFor(/TODO 1: Create a queue/);
      expect(screen.text()).toMatch(/polling every 0\.5 s \(WORKSHOP_POLL=1\)/);

      screen.press("c");
      at = await screen.waitFor(/Checking lessons\/02-queues\/exercise\.ts/, at);
      at = await screen.waitFor(/TODO 1: Create a queue/, at);

      screen.press("s");
      at = await screen.waitFor(/Show the reference solution of the TODO you are on \(lesson 02\)\? .*\[y\/N\]/, at);
      screen.press("n");
      at = await screen.waitFor(/Nothing was changed\./, at);
      screen.press("s");
      at = await screen.waitFor(/\[y\/N\]/, at);
      screen.press("y");
      at = await screen.waitFor(/TODO 1 \(Create a queue\): the reference createQueue/, at);
      at = await screen.waitFor(/\n {2}const \{ QueueUrl \} = await sqs\.send/, at);
      at = await screen.waitFor(/Press a for the whole file's difference/, at);
      // The whole difference goes through $PAGER (here cat, which shows it and ends).
      screen.press("a");
      at = await screen.waitFor(/\+ {2}const \{ QueueUrl \} = await sqs\.send/, at);
      at = await screen.waitFor(/q quit/, at);

      // Saved while polling: the re-check comes from polling, not from file events.
      project.solve("02-queues");
      at = await screen.waitFor(/✓ All 1 checks pass\./, at);
      expect(screen.text().slice(at)).toMatch(/whole workshop is done/);

      screen.press("r");
      at = await screen.waitFor(/Put back the untouched lessons\/02-queues\/exercise\.ts\?.*\[y\/N\]/, at);
      screen.press("y");
      at = await screen.waitFor(/Your version is in (\S+\.ts)\./, at);
      const backup = /Your version is in (\S+\.ts)\./.exec(screen.text().slice(at - 300))![1];
      expect(readFileSync(join(project.root, backup), "utf8")).toBe(FIXTURE_LESSONS["02-queues"].solution);
      expect(readFileSync(project.exercise("02-queues"), "utf8")).toBe(FIXTURE_LESSONS["02-queues"].exercise);
      at = await screen.waitFor(/TODO 1: Create a queue/, at);

      screen.press("\x03");
      expect(await within(screen.exit, 20_000, "Ctrl-C")).toBe(0);
      expect(project.progress().lessons["02-queues"].status).toBe("failing");
    } finally {
      screen.pty.kill();
    }
  });

  test("in Spanish (WORKSHOP_LANG=es): the first screen, a failing step's own message; l switches to English, and the next check's messages follow", async () => {
    // Lesson 02 untouched and current; lesson 01 with step 2 broken (its test's message is say(…)).
    project.cli(["reset", "02", "--yes"]);
    writeFileSync(project.exercise("01-buckets"), FIXTURE_LESSONS["01-buckets"].solution.replace("return Buckets.map((b) => b.Name!);", "return [];"));
    const progressFile = join(project.root, ".workshop", "progress.json");
    writeFileSync(progressFile, JSON.stringify({ ...project.progress(), current: "02-queues" }));
    const screen = openDashboard({ WORKSHOP_LANG: "es" });
    try {
      let at = await screen.waitFor(new RegExp(`Lo próximo: TODO 1: ${FIXTURE_SPANISH["02-queues"].steps[0]}`));
      const first = screen.text();
      expect(first).toMatch(/\d\/2 lecciones hechas/);
      expect(first).toContain(`Lección 02 · ${FIXTURE_SPANISH["02-queues"].title}`);
      expect(first).toContain(FIXTURE_SPANISH["02-queues"].summary);
      expect(first).toContain("Editá lessons/02-queues/exercise.ts, guardá y se verifica");
      expect(first).toContain("en lessons/02-queues/exercise.ts:5");
      expect(first).toMatch(/n siguiente +p anterior +h pista +c verificar ahora +r restablecer +s solución +x caos +l English +q salir/);
      expect(first, "no English on the first screen").not.toMatch(/Next thing to do|lessons done|check now|not started/);

      screen.press("r");
      at = await screen.waitFor(/¿Volver a poner el lessons\/02-queues\/exercise\.ts original\?.*\[s\/N\]/, at);
      screen.press("n");
      at = await screen.waitFor(/No se cambió nada\./, at);

      // Lesson 01: its step 2 fails with the test's own words, in Spanish (the test worker's say).
      screen.press("1");
      at = await screen.waitFor(new RegExp(`Arreglá primero el paso 2 \\(${FIXTURE_SPANISH["01-buckets"].steps[1]}\\)`), at);
      at = await screen.waitFor(/Falla: paso 2: listBucketNames lista el bucket nuevo/, at);
      at = await screen.waitFor(/el emulador tiene:/, at);

      // l: English now, this screen and the next check (its workers get the new WORKSHOP_LANG).
      screen.press("l");
      at = await screen.waitFor(/Language: English\. Press l for Spanish\./, at);
      at = await screen.waitFor(/Fix step 2 first \(List the buckets\)/, at);
      at = await screen.waitFor(/Failing: step 2: listBucketNames lists the new bucket/, at);
      at = await screen.waitFor(/the emulator holds:/, at);
      at = await screen.waitFor(/x chaos +l Español +q quit/, at);

      screen.press("q");
      expect(await within(screen.exit, 20_000, "quitting")).toBe(0);
      expect(screen.text().slice(at)).toContain("Your progress is saved");
    } finally {
      screen.pty.kill();
    }
  });
});
