// Waiting for something that may never come (a message, a page marker that never advances),
// bounded, so that a check ends with a sentence instead of a test-runner timeout.
import { setTimeout as sleep } from "node:timers/promises";
import { t } from "../i18n";

export interface WaitOptions {
  /** Give up after this long (default 8 s: a check must end within 10 s of a wait that cannot succeed). */
  timeoutMs?: number;
  /** Time between two probes (default 200 ms). */
  intervalMs?: number;
}

export class WaitedTooLongError extends Error {
  override name = "WaitedTooLongError";
}

/**
 * Calls `probe` until it returns something other than undefined, and returns that.
 * After `timeoutMs` it throws "Waited 8 s for <what>; it never came." (with the probe's last
 * error, if it threw). `what` names the awaited thing in plain words: "the message sent to the queue".
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs);
  }
  const seconds = Math.round(timeoutMs / 100) / 10;
  // In the learner's language (a test worker has it as WORKSHOP_LANG); `what` comes from the lesson's say(…).
  const because = lastError instanceof Error ? ` ${t("check.wait.lastTry", { name: lastError.name, message: lastError.message })}` : "";
  throw new WaitedTooLongError(`${t("check.wait.came", { seconds, what })}${because}`);
}

/**
 * The promise's outcome, or a WaitedTooLongError naming what never finished within `timeoutMs`
 * (default 8 s): `await within("sendMessageBatch to send a batch that half failed", lesson.sendMessageBatch(…))`.
 * For a lesson's call that could loop for ever (a retry loop without a bound, a marker that never advances).
 */
export async function within<T>(what: string, promise: Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 8000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitedTooLongError(t("check.wait.returned", { seconds: Math.round(timeoutMs / 100) / 10, what }))), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
