// The verdict's words, without running anything: no test-framework jargon, step names, ranking.
import { expect, test } from "vitest";
import { judge, plainMessage, rankFailures, stepOfName } from "./verdict";
import { wrap } from "../cli/ui";

test("a test's own message comes without Vitest's jargon, the values on one line", () => {
  const message = plainMessage({
    message: "the stored metadata (Metadata): expected { talk: 'x' } to deeply equal { talk: 'PyCon' } // Object.is equality\n    at file.ts:3:4",
    expected: "{\n  \"talk\": \"PyCon\",\n}",
    actual: "{\n  \"talk\": \"x\",\n}",
  });
  expect(message).toBe('the stored metadata (Metadata)\n(wanted { "talk": "PyCon" }, got { "talk": "x" })');
  expect(plainMessage({ message: "Test timed out in 60000ms.\nIf this is a long-running test, pass a timeout value" })).toMatch(/^It waited 60 s and gave up/);
});

test("steps come from test names and describe names; lesson: tests rank after every step", () => {
  expect(stepOfName("step 4: listObjects reads every page")).toBe(4);
  expect(stepOfName("step 2 > putObject stores the body")).toBe(2);
  expect(stepOfName("lesson: cleanup leaves nothing")).toBeUndefined();
  const ranked = rankFailures([
    { test: "lesson: cleanup", message: "x" },
    { test: "step 5: five", message: "TODO 5", todo: { n: 5, task: "five" }, step: 5 },
    { test: "step 6: six", message: "TODO 2", todo: { n: 2, task: "two" }, step: 6 },
  ]);
  expect(ranked.map((f) => f.test)).toEqual(["step 6: six", "step 5: five", "lesson: cleanup"]);
  const judged = judge({ slug: "x", todos: [] }, "exercise.ts", { failures: ranked, stepPasses: new Map([[1, 1]]) }, []);
  expect(judged.currentStep).toBe(2);
  expect(judged.nextTodo).toMatchObject({ n: 2, task: "two" });
});

test("wrap breaks at word boundaries, never inside a word", () => {
  const text = wrap("Hint 1 of 3: " + "paginateListObjectsV2 ".repeat(8).trim(), 40, "  ");
  for (const line of text.split("\n")) {
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line.trim()).toMatch(/^(Hint|paginateListObjectsV2)/);
  }
});
