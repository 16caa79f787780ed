// `npm start` in a terminal: the lessons with their status, a progress bar, and the current
// lesson's exercise watched and re-checked on every save, as rustlings does for Rust.
import { emitKeypressEvents } from "node:readline";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import ora, { type Ora } from "ora";
import { onSetupProgress } from "../emulator/moto";
import { listLessons, rel, type Lesson } from "../lessons";
import { Checker, Serialized } from "./checker";
import { describeHints, nextHint } from "./hint";
import { currentLesson, lessonStatus, readProgress, setCurrent, type Progress } from "./progress";
import { resetLesson } from "./reset";
import { page } from "./pager";
import { describeSolution, describeStepSolution } from "./solution";
import { countDone, pc, progressBar, statusTable, wrap } from "./ui";
import { joinedRoom } from "../classroom/joined";
import { describeCheckError, describeVerdict } from "./verdict";
import { describeWatchMode, watchLesson, watchMode } from "./watcher";
import type { FSWatcher } from "chokidar";

export interface DashboardOptions {
  /** Start on this lesson instead of the current one. */
  lesson?: Lesson;
  poll?: boolean;
}

interface Key {
  name?: string;
  ctrl?: boolean;
  sequence?: string;
}

type Mode =
  | { kind: "normal" }
  | { kind: "confirm"; question: string; onYes: () => Promise<void> | void }
  | { kind: "pager"; whole: boolean }
  | { kind: "external" };

/** Cuts text to `width` visible characters. */
function clip(text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(1, width - 1)) + "…" : text;
}

/** How many rows these lines take in a terminal `columns` wide (long lines wrap). */
function height(lines: string[], columns: number): number {
  return lines
    .flatMap((l) => l.split("\n"))
    .reduce((n, line) => n + Math.max(1, Math.ceil(stripVTControlCharacters(line).length / columns)), 0);
}

/** The lessons on one line, for a small terminal: "✓01 ✗02 ▸·03 ·04". */
function compactTable(lessons: Lesson[], progress: Progress, current: string): string {
  const mark = { complete: pc.green("✓"), done: pc.green("✓"), failing: pc.red("✗"), "not started": pc.dim("·") } as const;
  return lessons.map((l) => (l.slug === current ? pc.bold(pc.cyan(`▸${mark[lessonStatus(progress, l.slug)]}${l.number}`)) : `${mark[lessonStatus(progress, l.slug)]}${l.number}`)).join(" ");
}

const KEYS = [
  ["n", "next"],
  ["p", "previous"],
  ["h", "hint"],
  ["c", "check now"],
  ["r", "reset"],
  ["s", "solution"],
  ["x", "chaos"],
  ["q", "quit"],
] as const;

export async function runDashboard(options: DashboardOptions = {}): Promise<number> {
  const out = process.stdout;
  const stdin = process.stdin;
  const mode0 = watchMode(options.poll);
  const checker = new Checker();

  let lessons = listLessons();
  if (lessons.length === 0) {
    console.log("There are no lessons yet: lessons/ has no NN-slug folders.");
    return 0;
  }
  let lesson = options.lesson ?? currentLesson(lessons, readProgress())!;
  await setCurrent(lesson.slug);

  let verdict = "";
  let extra = "";
  let mode: Mode = { kind: "normal" };
  let spinner: Ora | undefined;
  let watcher: FSWatcher | undefined;
  let quitting = false;

  const restoreTerminal = () => {
    if (stdin.isTTY) stdin.setRawMode(false);
    out.write("\x1b[?25h");
  };
  process.on("exit", restoreTerminal);

  function keysLine(): string {
    const keys = KEYS.map(([key, label]) => `${pc.bold(pc.cyan(key))} ${label}`).join("  ");
    return keys;
  }

  function render(): void {
    // The solution on screen, or a pager: draw again when the learner comes back.
    if (mode.kind === "pager" || mode.kind === "external") return;
    spinner?.stop();
    spinner = undefined;
    lessons = listLessons();
    const progress = readProgress();
    const columns = out.columns || 100;
    const rows = out.rows || 40;
    const titleWidth = Math.max(16, Math.min(44, columns - 50));
    const inRoom = joinedRoom();
    const header = [pc.bold("No toca BOTÓN") + (inRoom ? pc.cyan(` · in room ${inRoom.code} as ${inRoom.name}`) : pc.dim(" · learn AWS from TypeScript against a local emulator")), progressBar(countDone(lessons, progress), lessons.length), ""];
    let table = [...statusTable(lessons, progress, lesson.slug, titleWidth), ""];
    let intro = [
      pc.bold(`Lesson ${lesson.number} · ${lesson.title}`),
      ...(lesson.summary ? [pc.dim(clip(lesson.summary, columns - 1))] : []),
      // Wrapped, never cut: the file and the README's path must stay whole.
      pc.dim(wrap(`Edit ${rel(lesson.exercise)}, save, and it is checked · the lesson: ${rel(join(lesson.dir, "README.md"))}`, columns - 1)),
      "",
    ];
    let body = [...(verdict && !checks.busy ? [verdict, ""] : []), ...(extra ? [extra, ""] : [])].flatMap((b) => b.split("\n"));
    const footer = [
      mode.kind === "confirm" ? pc.bold(pc.yellow(`${mode.question} [y/N]`)) : keysLine(),
      pc.dim(wrap(`${describeWatchMode(mode0)}${mode0.poll ? "" : " (a save not seen? press c, or start with --poll)"}${checker.description ? ` · ${checker.description}` : ""}`, columns - 1)),
    ];
    // A small terminal: fold the table into one line, then drop the summary, then cut the verdict short.
    const room = rows - 1 - (checks.busy ? 1 : 0);
    const fits = () => height([...header, ...table, ...intro, ...body, ...footer], columns) <= room;
    if (!fits()) table = [compactTable(lessons, progress, lesson.slug), ""];
    if (!fits() && lesson.summary) intro = intro.filter((_, i) => i !== 1);
    while (!fits() && body.length > 1) body = [...body.slice(0, -2), pc.dim("… (a taller window shows the rest; `npm start -- check` prints it all)")];
    const lines = [...header, ...table, ...intro, ...body, ...footer];
    // Home, clear, draw: one write, so the screen does not flicker.
    out.write("\x1b[?25l\x1b[H\x1b[2J" + lines.join("\n") + "\n");
    if (checks.busy) {
      spinner = ora({
        text: setupText ?? (checker.description ? `Checking ${rel(lesson.exercise)}…` : `Starting the emulator and checking ${rel(lesson.exercise)}…`),
        stream: out,
        discardStdin: false,
        isEnabled: Boolean(out.isTTY),
      }).start();
    }
  }

  const checks = new Serialized(async () => {
    const target = lesson;
    render();
    try {
      const result = await checker.check(target);
      if (result.lesson === lesson.slug) {
        // The first line names file and emulator, which the screen already shows.
        verdict = describeVerdict(result, () => `press ${pc.bold("n")}`).split("\n").slice(1).join("\n");
        if (result.ok) extra = "";
      }
    } catch (err) {
      if (target.slug === lesson.slug) verdict = `${describeCheckError(err)}\nFix it, then press ${pc.bold("c")} to check again.`;
    }
  }, () => quitting);

  async function check(): Promise<void> {
    if ((await checks.request()) && !quitting) render();
  }

  function watchCurrent(): void {
    const previous = watcher;
    void previous?.close();
    watcher = watchLesson(lesson, mode0, () => void check());
  }

  async function goTo(next: Lesson | undefined): Promise<void> {
    if (!next || next.slug === lesson.slug) return;
    lesson = next;
    verdict = "";
    extra = "";
    await setCurrent(lesson.slug);
    watchCurrent();
    await check();
  }

  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  async function quit(): Promise<void> {
    if (quitting) return;
    quitting = true;
    spinner?.stop();
    stdin.off("keypress", onKeypress);
    await watcher?.close();
    restoreTerminal();
    stdin.pause();
    const progress = readProgress();
    out.write(`\n${progressBar(countDone(lessons, progress), lessons.length)}. Your progress is saved; \`npm start\` picks up where you left off.\n`);
    await checker.stop().catch(() => {});
    finish(0);
  }

  async function onKey(str: string | undefined, key: Key | undefined): Promise<void> {
    const name = key?.name ?? str ?? "";
    if (key?.ctrl && name === "c") return quit();
    if (mode.kind === "confirm") {
      const { onYes } = mode;
      mode = { kind: "normal" };
      if (name === "y") await onYes();
      else {
        extra = pc.dim("Nothing was changed.");
        render();
      }
      return;
    }
    if (mode.kind === "external") return;
    if (mode.kind === "pager") {
      const leaving = mode;
      if (name === "a" && !leaving.whole) {
        // The whole file's difference, through the pager ($PAGER, else less -R) when it is long.
        mode = { kind: "external" };
        spinner?.stop();
        if (stdin.isTTY) stdin.setRawMode(false);
        stdin.off("keypress", onKeypress);
        out.write("\x1b[H\x1b[2J\x1b[?25h");
        try {
          await page(`${pc.bold(`Lesson ${lesson.number} · ${lesson.title}: your exercise and the reference solution`)}\n${describeSolution(lesson)}`, out);
        } catch (err) {
          extra = pc.red((err as Error).message);
        }
        if (stdin.isTTY) stdin.setRawMode(true);
        stdin.on("keypress", onKeypress);
        stdin.resume();
        mode = { kind: "normal" };
        render();
        return;
      }
      mode = { kind: "normal" };
      render();
      return;
    }
    const index = lessons.findIndex((l) => l.slug === lesson.slug);
    switch (name) {
      case "q":
      case "escape":
        return quit();
      case "n":
      case "right":
        return goTo(lessons[index + 1]);
      case "p":
      case "left":
        return goTo(lessons[index - 1]);
      case "h": {
        extra = describeHints(lesson, await nextHint(lesson), (out.columns || 100) - 1);
        render();
        return;
      }
      case "c":
      case "return":
      case "enter":
      case "space":
        checker.full(); // asked for by hand: every test runs (a save reruns only what changed)
        return check();
      case "x": {
        // Chaos on or off for the next checks (a new seed each time it is turned on): workshop/clients/chaos.ts.
        checker.chaos = checker.chaos === undefined ? Math.floor(Math.random() * 1_000_000) + 2 : undefined;
        extra = checker.chaos === undefined ? pc.dim("Chaos is off.") : pc.yellow(`Chaos is on (seed ${checker.chaos}): checks now meet throttling, 5xx answers, timeouts and latency, as on AWS. Press x again to turn it off.`);
        return check();
      }
      case "r": {
        mode = {
          kind: "confirm",
          question: `Put back the untouched ${rel(lesson.exercise)}? Your version is kept in .workshop/backups/.`,
          onYes: async () => {
            try {
              const outcome = await resetLesson(lesson);
              extra = outcome.unchanged
                ? "Your exercise is already the untouched one: nothing to reset."
                : pc.green(`Reset to the untouched exercise.`) + (outcome.backup ? ` Your version is in ${outcome.backup}.` : "");
            } catch (err) {
              extra = pc.red((err as Error).message);
            }
            // The watcher sees the write too; checking here covers polling's delay.
            await check();
          },
        };
        render();
        return;
      }
      case "s": {
        mode = {
          kind: "confirm",
          question: `Show the reference solution of the TODO you are on (lesson ${lesson.number})? Trying a hint first (h) teaches more.`,
          onYes: () => {
            try {
              const { text, whole } = describeStepSolution(lesson);
              spinner?.stop();
              const keys = whole ? "Press any key to go back to the dashboard." : `Press ${pc.bold("a")} for the whole file's difference from yours, any other key to go back to the dashboard.`;
              out.write(`\x1b[H\x1b[2J${pc.bold(`Lesson ${lesson.number} · ${lesson.title}: the reference solution`)}\n\n${text}\n\n${pc.dim(keys)}\n`);
              mode = { kind: "pager", whole };
            } catch (err) {
              extra = pc.red((err as Error).message);
              render();
            }
          },
        };
        render();
        return;
      }
      default:
        if (/^[1-9]$/.test(name)) return goTo(lessons.find((l) => Number(l.number) === Number(name)));
    }
  }

  function onKeypress(str: string | undefined, key: Key | undefined): void {
    void onKey(str, key).catch((err: Error) => {
      extra = pc.red(err.message);
      render();
    });
  }

  emitKeypressEvents(stdin);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.on("keypress", onKeypress);
  stdin.resume();
  out.on("resize", () => {
    if (mode.kind !== "pager" && mode.kind !== "external" && !quitting) render();
  });

  // One progress display at a time: moto's first-run install shows its steps in our spinner.
  let setupText: string | undefined;
  const stopSetupProgress = onSetupProgress((text) => {
    setupText = /^moto is installed/.test(text) ? undefined : text;
    if (spinner) spinner.text = setupText ?? `Checking ${rel(lesson.exercise)}…`;
  });
  process.once("exit", stopSetupProgress);

  // Warm from the start: the type checker loads while the first check runs, and a
  // `npm run check` typed in another terminal is handed to this session.
  checker.warm([lesson]);
  void checker.serve();
  watchCurrent();
  void check();
  return finished;
}
