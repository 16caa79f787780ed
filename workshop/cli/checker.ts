// Checks for a long-lived session (the dashboard, `watch`): one emulator for the whole session,
// so that every re-check is a warm one, and every verdict recorded as progress.
import { runCheck, type CheckResult } from "../check";
import { ping, useEmulator, type Emulator } from "../emulator";
import type { Lesson } from "../lessons";
import { recordCheck } from "./progress";

export class Checker {
  private emulator: Emulator | undefined;

  /** What the checks run against, once known. */
  get description(): string | undefined {
    return this.emulator?.description;
  }

  /** Resolves the emulator once; resolves it again if the one in use stopped answering. */
  async ensureEmulator(): Promise<Emulator> {
    if (this.emulator?.endpoint && !(await ping(this.emulator.endpoint, 1500))) {
      await this.emulator.stop().catch(() => {});
      this.emulator = undefined;
    }
    this.emulator ??= await useEmulator();
    return this.emulator;
  }

  async check(lesson: Lesson): Promise<CheckResult> {
    const emulator = await this.ensureEmulator();
    const result = await runCheck(lesson, { target: "exercise", emulator });
    await recordCheck(result);
    return result;
  }

  /** Stops the emulator if this session started it. */
  async stop(): Promise<void> {
    const emulator = this.emulator;
    this.emulator = undefined;
    await emulator?.stop();
  }
}
