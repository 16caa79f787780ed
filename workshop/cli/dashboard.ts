// `npm start` in a terminal: the lessons with their status, a progress bar, and the current
// lesson's exercise watched and re-checked on every save, as rustlings does for Rust.
import { emitKeypressEvents } from "node:readline";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import ora, { type Ora } from "ora";
import { onSetupProgress } from "../emulator/moto";
import { listLessons, rel, type Lesson } from "../lessons";
import { Checker, Serialized } from "./checker";
import { describeHints, nextHint, readmeOf } from "./hint";
import { lang, setLang, t, type Lang, type MessageKey } from "../i18n";
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

/** The key legend, in order; each label is read in the current language when drawn. */
const KEYS = [
  ["n", "dashboard.key.next"],
  ["p", "dashboard.key.previous"],
  ["h", "dashboard.key.hint"],
  ["c", "dashboard.key.check"],
  ["r", "dashboard.key.reset"],
  ["s", "dashboard.key.solution"],
  ["x", "dashboard.key.chaos"],
  ["l", "dashboard.key.lang"], // the other language's name: "l Español", "l English"
  ["q", "dashboard.key.quit"],
] as const satisfies ReadonlyArray<readonly [string, MessageKey]>;

/** The language the l key switches to. */
const other = (language: Lang): Lang => (language === "es" ? "en" : "es");

export async function runDashboard(options: DashboardOptions = {}): Promise<number> {
  const out = process.stdout;
  const stdin = process.stdin;
  const mode0 = watchMode(options.poll);
  const checker = new Checker();

  let lessons = listLessons();
  if (lessons.length === 0) {
    console.log(t("cli.noLessonFolders"));
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
    const to = t("lang.name", {}, other(lang()));
    const keys = KEYS.map(([key, label]) => `${pc.bold(pc.cyan(key))} ${t(label, { lang: to })}`).join("  ");
    return keys;
  }

  function render(): void {
    // The solution on screen, or a pager: draw again when the learner comes back.
    if (mode.kind === "pager" || mode.kind === "external") return;
    spinner?.stop();
    spinner = undefined;
    lessons = listLessons();
    // The lesson's texts in the language of now (the l key may have switched it).
    lesson = lessons.find((l) => l.slug === lesson.slug) ?? lesson;
    const progress = readProgress();
    const columns = out.columns || 100;
    const rows = out.rows || 40;
    const titleWidth = Math.max(16, Math.min(44, columns - 50));
    const inRoom = joinedRoom();
    const header = [pc.bold("No toca BOTÓN") + (inRoom ? pc.cyan(` · ${t("dashboard.inRoom", { code: inRoom.code, name: inRoom.name })}`) : pc.dim(` · ${t("cli.tagline")}`)), progressBar(countDone(lessons, progress), lessons.length), ""];
    let table = [...statusTable(lessons, progress, lesson.slug, titleWidth), ""];
    let intro = [
      pc.bold(t("cli.lesson.heading", { number: lesson.number, title: lesson.title })),
      ...(lesson.summary ? [pc.dim(clip(lesson.summary, columns - 1))] : []),
      // Wrapped, never cut: the file and the README's path must stay whole.
      pc.dim(wrap(t("dashboard.edit", { file: rel(lesson.exercise), readme: readmeOf(lesson) }), columns - 1)),
      "",
    ];
    let body = [...(verdict && !checks.busy ? [verdict, ""] : []), ...(extra ? [extra, ""] : [])].flatMap((b) => b.split("\n"));
    const footer = [
      mode.kind === "confirm" ? pc.bold(pc.yellow(`${mode.question} ${t("dashboard.yesNo")}`)) : keysLine(),
      pc.dim(wrap(`${describeWatchMode(mode0)}${mode0.poll ? "" : ` ${t("dashboard.saveNotSeen")}`}${checker.description ? ` · ${checker.description}` : ""}`, columns - 1)),
    ];
    // A small terminal: fold the table into one line, then drop the summary, then cut the verdict short.
    const room = rows - 1 - (checks.busy ? 1 : 0);
    const fits = () => height([...header, ...table, ...intro, ...body, ...footer], columns) <= room;
    if (!fits()) table = [compactTable(lessons, progress, lesson.slug), ""];
    if (!fits() && lesson.summary) intro = intro.filter((_, i) => i !== 1);
    while (!fits() && body.length > 1) body = [...body.slice(0, -2), pc.dim(t("dashboard.cut"))];
    const lines = [...header, ...table, ...intro, ...body, ...footer];
    // Home, clear, draw: one write, so the screen does not flicker.
    out.write("\x1b[?25l\x1b[H\x1b[2J" + lines.join("\n") + "\n");
    if (checks.busy) {
      spinner = ora({
        text: setupText ?? (checker.description ? t("cli.check.checking", { file: rel(lesson.exercise) }) : t("dashboard.starting", { file: rel(lesson.exercise) })),
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
        verdict = describeVerdict(result, () => t("dashboard.pressN", { key: pc.bold("n") })).split("\n").slice(1).join("\n");
        if (result.ok) extra = "";
      }
    } catch (err) {
      if (target.slug === lesson.slug) verdict = `${describeCheckError(err)}\n${t("dashboard.fixThenCheck", { key: pc.bold("c") })}`;
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
    out.write(`\n${progressBar(countDone(lessons, progress), lessons.length)}. ${t("dashboard.bye")}\n`);
    await checker.stop().catch(() => {});
    finish(0);
  }

  async function onKey(str: string | undefined, key: Key | undefined): Promise<void> {
    const name = key?.name ?? str ?? "";
    if (key?.ctrl && name === "c") return quit();
    if (mode.kind === "confirm") {
      const { onYes } = mode;
      mode = { kind: "normal" };
      if (name === "y" || (name === "s" && lang() === "es")) await onYes();
      else {
        extra = pc.dim(t("cli.nothingChanged"));
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
          await page(`${pc.bold(t("dashboard.solution.wholeTitle", { number: lesson.number, title: lesson.title }))}\n${describeSolution(lesson)}`, out);
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
        extra = checker.chaos === undefined ? pc.dim(t("dashboard.chaos.off")) : pc.yellow(t("dashboard.chaos.on", { seed: checker.chaos }));
        return check();
      }
      case "l": {
        // The other language, now: this screen, and the next check (its test workers get WORKSHOP_LANG).
        setLang(other(lang()));
        extra = pc.dim(t("lang.switched", { key: "l" }));
        render();
        return check();
      }
      case "r": {
        mode = {
          kind: "confirm",
          question: t("cli.reset.ask", { file: rel(lesson.exercise) }),
          onYes: async () => {
            try {
              const outcome = await resetLesson(lesson);
              extra = outcome.unchanged
                ? t("dashboard.reset.unchanged")
                : pc.green(t("dashboard.reset.done")) + (outcome.backup ? ` ${t("dashboard.reset.backup", { backup: outcome.backup })}` : "");
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
          question: t("dashboard.solution.ask", { number: lesson.number }),
          onYes: () => {
            try {
              const { text, whole } = describeStepSolution(lesson);
              spinner?.stop();
              const keys = whole ? t("dashboard.solution.back") : t("dashboard.solution.keys", { key: pc.bold("a") });
              out.write(`\x1b[H\x1b[2J${pc.bold(t("dashboard.solution.title", { number: lesson.number, title: lesson.title }))}\n\n${text}\n\n${pc.dim(keys)}\n`);
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
    if (spinner) spinner.text = setupText ?? t("cli.check.checking", { file: rel(lesson.exercise) });
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
