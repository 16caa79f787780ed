// Checks for a long-lived session (the dashboard, `watch`, `npm run emulator`): one emulator and
// one warm type checker for the whole session, so that every re-check is a warm one, and every
// verdict of the learner's exercise recorded as progress. It can also take checks handed over by
// `npm run check` in another terminal (handoff.ts).
import { runChecks, type CheckResult } from "../check";
import { IncrementalCache } from "../check/incremental";
import { WarmVitest } from "../check/warm-vitest";
import { TypecheckThread } from "../check/typecheck-thread";
import { ping, useEmulator, type Emulator } from "../emulator";
import { listLessons, type Lesson } from "../lessons";
import type { LessonTarget } from "../testing";
import { serveChecks } from "./handoff";
import { recordCheck } from "./progress";
import { saveCheckResults } from "../clients/run-report";
import { lang, t, type Lang } from "../i18n";

export class Checker {
  private emulator: Emulator | undefined;
  /** Random chaos for the session's own checks, with this seed (the dashboard's x key). */
  chaos: number | undefined;
  private readonly types = new TypecheckThread();
  /** One check at a time: the session's own and those handed over queue up. */
  private queue: Promise<unknown> = Promise.resolve();
  private server: { close(): void } | undefined;
  /**
   * The last result of every test: a save reruns only the tests whose code changed
   * (workshop/check/incremental.ts). WORKSHOP_INCREMENTAL=0 checks everything every time.
   */
  readonly results = new IncrementalCache();
  /** The session's Vitest, kept warm between checks. */
  private readonly vitest = new WarmVitest();
  private fullNext = false;

  /**
   * `describe` words the emulator in a language, for the checks handed over by a process in
   * another language than this one (`npm run emulator` knows its own emulator's words).
   */
  constructor(
    emulator?: Emulator,
    private readonly describe?: (language: Lang) => string,
  ) {
    this.emulator = emulator;
  }

  /** Starts the type checker on these lessons' files now, so that the first check finds it warm. */
  warm(lessons: Lesson[]): void {
    if (process.env.WORKSHOP_TYPECHECK !== "0") this.types.warm(lessons.map((l) => l.exercise));
  }

  /** Takes the checks `npm run check` hands over, from now until stop(). */
  async serve(): Promise<void> {
    this.server ??= await serveChecks((lessons, target, endpoint, language, full) => this.checkMany(lessons, target, endpoint, undefined, language, full)).catch(() => undefined);
  }

  /** The next check runs every test (a check asked for by hand, not by a save). */
  full(): void {
    this.fullNext = true;
  }

  /** Several lessons in one run, after the checks already queued, in `language` (the asker's); nothing recorded (the asker records). */
  checkMany(lessons: Lesson[], target: LessonTarget, endpoint?: string, chaos?: number, language: Lang = lang(), full = false): Promise<CheckResult[]> {
    const run = this.queue.then(async () => {
      const emulator: Emulator = endpoint
        ? { kind: "endpoint", endpoint, description: t("cli.checker.endpoint", { endpoint }, language), stop: async () => {} }
        : await this.ensureEmulator().then((e) => (this.describe && language !== lang() ? { ...e, description: this.describe(language) } : e));
      const everything = full || this.fullNext || process.env.WORKSHOP_INCREMENTAL === "0";
      this.fullNext = false;
      return runChecks(lessons, { target, emulator, typecheck: process.env.WORKSHOP_TYPECHECK === "0" ? false : this.types, chaos, lang: language, incremental: this.results, warm: this.vitest, ...(everything ? { full: true } : {}) });
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** What the checks run against, once known. */
  get description(): string | undefined {
    return this.emulator?.description;
  }

  /** Resolves the emulator once; resolves it again if the one in use stopped answering. */
  async ensureEmulator(): Promise<Emulator> {
    if (this.emulator?.endpoint && !(await ping(this.emulator.endpoint))) {
      await this.emulator.stop().catch(() => {});
      this.emulator = undefined;
    }
    this.emulator ??= await useEmulator();
    return this.emulator;
  }

  /** The session's own check, in the session's language now (the dashboard's l key switches it). */
  async check(lesson: Lesson): Promise<CheckResult> {
    const language = lang();
    // Its texts (the steps' names) in the language of now, whatever it was when the lesson was read.
    const now = listLessons(language).find((l) => l.slug === lesson.slug) ?? lesson;
    const [result] = await this.checkMany([now], "exercise", undefined, this.chaos, language);
    await recordCheck(result);
    saveCheckResults([result]);
    return result;
  }

  /** Stops the emulator if this session started it, the type checker, and serving checks. */
  async stop(): Promise<void> {
    this.server?.close();
    this.server = undefined;
    const emulator = this.emulator;
    this.emulator = undefined;
    await this.types.close();
    await this.vitest.close();
    await emulator?.stop();
  }
}

/**
 * Runs `work` on request, never two at once. A request made while it runs is not lost: the
 * work runs once more when the current run ends, so a burst of saves becomes one more check.
 */
export class Serialized {
  private running = false;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    /** Checked before running again: true stops the loop (the session is ending). */
    private readonly stopped: () => boolean = () => false,
  ) {}

  get busy(): boolean {
    return this.running;
  }

  /** Resolves true once this call did the work, false when it only asked the running one for another round. */
  async request(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return false;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.work();
      } while (this.again && !this.stopped());
    } finally {
      this.running = false;
    }
    return true;
  }
}
