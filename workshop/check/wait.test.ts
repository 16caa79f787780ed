import { expect, test } from "vitest";
import { waitFor, WaitedTooLongError } from "./wait";

test("waitFor returns the probe's first answer that is not undefined", async () => {
  let calls = 0;
  const value = await waitFor("the third try", () => (++calls === 3 ? "here" : undefined), { intervalMs: 5 });
  expect(value).toBe("here");
  expect(calls).toBe(3);
});

test("waitFor gives up in time, naming what it waited for and the last error", async () => {
  const started = Date.now();
  const waiting = waitFor("the message sent to the queue", () => {
    throw new Error("queue does not exist");
  }, { timeoutMs: 300, intervalMs: 50 });
  await expect(waiting).rejects.toThrow(WaitedTooLongError);
  await expect(waiting).rejects.toThrow(/Waited 0.3 s for the message sent to the queue; it never came. The last try failed with Error: queue does not exist/);
  expect(Date.now() - started).toBeLessThan(5000);
});

test("within gives a call that never returns a bounded end, naming it, and passes an answer or error through", async () => {
  const { within } = await import("./wait");
  await expect(within("a loop that never ends", new Promise(() => {}), { timeoutMs: 200 })).rejects.toThrow(
    /^Waited 0.2 s for a loop that never ends; it never returned.$/,
  );
  await expect(within("an answer", Promise.resolve(42))).resolves.toBe(42);
  await expect(within("an error", Promise.reject(new Error("boom")))).rejects.toThrow("boom");
});
