// `watch` without a terminal: a verdict at start, and a new one on every save, with file
// events and with polling (the fallback for WSL2 and mounted folders).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

describe("watch", { timeout: 180_000 }, () => {
  for (const [label, args, env] of [
    ["file events", ["watch", "01"], {}],
    ["polling (--poll)", ["watch", "02", "--poll"], {}],
  ] as const) {
    test(`re-checks on every save, with ${label}`, async () => {
      const slug = args[1] === "01" ? "01-buckets" : "02-queues";
      project.cli(["reset", slug, "--yes"]);
      const watch = project.start([...args], env);
      try {
        let at = await watch.waitFor(/TODO 1: /);
        expect(watch.output()).toContain(label.startsWith("polling") ? "polling every" : "watching for saves");
        // Saving a file before the first check is over would race the watcher's start: wait for it.
        await new Promise((r) => setTimeout(r, 300));
        project.solve(slug);
        at = await watch.waitFor(/exercise\.ts saved/, at);
        at = await watch.waitFor(/✓ All \d+ checks pass\./, at);
        expect(watch.output().slice(at)).toMatch(/is done\. Next|whole workshop is done/);
        expect(project.progress().lessons[slug].status).toBe("complete");
      } finally {
        await watch.stop();
      }
    });
  }
});
