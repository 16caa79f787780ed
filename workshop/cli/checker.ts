// Checks for a long-lived session (the dashboard, `watch`): one emulator for the whole session,
// so that every re-check is a warm one, and every verdict recorded as progress.
import { runCheck, type CheckResult } from "../check";
import { ping, useEmulator, type Emulator } from "../emulator";
import type { Lesson } from "../lessons";
import { recordCheck } from "./progress";
import { saveCheckResults } from "../clients/run-report";

export class Checker {
  private emulator: Emulator | undefined;
  /** Random chaos for the session's checks, with this seed (the dashboard's x key). */
  chaos: number | undefined;

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

  async check(lesson: Lesson): Promise<CheckResult> {
    const emulator = await this.ensureEmulator();
    const result = await runCheck(lesson, { target: "exercise", emulator, chaos: this.chaos });
    await recordCheck(result);
    saveCheckResults([result]);
    return result;
  }

  /** Stops the emulator if this session started it. */
  async stop(): Promise<void> {
    const emulator = this.emulator;
    this.emulator = undefined;
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
