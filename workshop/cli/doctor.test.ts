// `doctor`, run as a process on a throwaway copy of the workshop: a ready machine passes, and
// each problem is named with what to do, and blocks (exit 1) only when the lessons cannot run.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { motoInstalled } from "../moto";
import { checkNode, type Finding } from "./doctor";
import { makeProject, type Project } from "./fixture";

let project: Project;
beforeAll(() => {
  project = makeProject();
});
afterAll(() => project?.remove());

function doctor(env: Record<string, string | undefined> = {}) {
  const run = project.cli(["doctor", "--json"], { env });
  const shown = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  const findings = (run.stdout.trim().startsWith("[") ? JSON.parse(run.stdout) : []) as Finding[];
  const find = (pattern: RegExp) => findings.find((f) => pattern.test(f.title));
  return { status: run.status, findings, find, shown };
}

describe("doctor", () => {
  test("a ready machine: every line is ✓ or !, and it exits 0", () => {
    const d = doctor({ AWS_ENDPOINT_URL: inject("awsEndpoint") });
    expect(d.status, d.shown).toBe(0);
    expect(d.findings.filter((f) => f.level === "fail"), d.shown).toEqual([]);
    expect(d.find(/^Node \d+\.\d+\.\d+/)?.level).toBe("ok");
    expect(d.find(/dependencies are installed/)?.level).toBe("ok");
    expect(d.find(/Docker engine/), "Docker is reported either way").toBeDefined();
    expect(d.find(/Checks use the emulator at .* it answers \(account \d+\)/)?.level, d.shown).toBe("ok");
    expect(d.find(/Port 4566/)).toBeDefined();
    expect(d.find(/cannot be used by accident|can be used by accident/)?.level).toBe("ok");
    expect(d.find(/2 lessons found/)?.level).toBe("ok");
    expect(d.find(/git checkout/)?.level).toBe("ok");
    const text = project.cli(["doctor"], { env: { AWS_ENDPOINT_URL: inject("awsEndpoint") } });
    expect(text.stdout).toMatch(/^✓ Node /m);
    expect(text.stdout).toContain("Nothing blocks the workshop.");
  });

  test("an endpoint that is not local is refused, with what to do (exit 1)", () => {
    const d = doctor({ AWS_ENDPOINT_URL: "https://s3.amazonaws.com" });
    expect(d.status, d.shown).toBe(1);
    const refused = d.find(/is not a local emulator/);
    expect(refused?.level).toBe("fail");
    expect(refused?.fix).toContain("Unset AWS_ENDPOINT_URL");
  });

  test("an endpoint where nothing answers is a problem (exit 1)", async () => {
    const port = await getPort({ host: "127.0.0.1" });
    const d = doctor({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(d.status, d.shown).toBe(1);
    expect(d.find(/nothing answers there/)?.fix).toMatch(/Start that emulator|unset AWS_ENDPOINT_URL/);
  });

  test("real credentials in the environment cannot be used by accident; WORKSHOP_REAL_AWS=1 is a warning", () => {
    const env = { AWS_ENDPOINT_URL: inject("awsEndpoint"), AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "not-a-real-secret" };
    const d = doctor(env);
    const line = d.find(/Real AWS credentials exist/);
    expect(line?.level, d.shown).toBe("ok");
    expect(line?.title).toContain("AKIA…MPLE");
    expect(line?.title, "the secret is never shown").not.toContain("AKIAIOSFODNN7EXAMPLE");
    const real = doctor({ ...env, AWS_ENDPOINT_URL: undefined, WORKSHOP_REAL_AWS: "1" });
    expect(real.status, real.shown).toBe(0);
    expect(real.findings.filter((f) => f.level === "warn").map((f) => f.title).join("\n")).toMatch(/WORKSHOP_REAL_AWS=1.*costs money/);
  });

  test.runIf(motoInstalled())("without an emulator running, it starts moto to see that it answers", () => {
    const d = doctor({ AWS_ENDPOINT_URL: undefined, WORKSHOP_EMULATOR: "moto" });
    expect(d.status, d.shown).toBe(0);
    expect(d.find(/Each check starts moto on a free port: it started in [\d.]+ s and answers/)?.level, d.shown).toBe("ok");
    expect(d.find(/moto [\d.]+ is installed/)?.level).toBe("ok");
    expect(d.find(/Python 3\.\d+/)?.level).toBe("ok");
  });

  test("a missing dependency blocks, and says to run npm install", () => {
    const file = join(project.root, "package.json");
    const original = readFileSync(file, "utf8");
    const pkg = JSON.parse(original);
    pkg.dependencies["nt-not-installed-package"] = "1.0.0";
    writeFileSync(file, JSON.stringify(pkg, null, 2));
    try {
      const d = doctor({ AWS_ENDPOINT_URL: inject("awsEndpoint") });
      expect(d.status, d.shown).toBe(1);
      const line = d.find(/dependencies are not installed/);
      expect(line?.title).toContain("nt-not-installed-package");
      expect(line?.fix).toContain("npm install");
    } finally {
      writeFileSync(file, original);
    }
  });

  test("a Node older than package.json's engines blocks", () => {
    expect(checkNode("18.20.0")).toMatchObject({ level: "fail" });
    expect(checkNode("18.20.0").fix).toMatch(/Install Node/);
    expect(checkNode("20.19.0").level).toBe("ok");
    expect(checkNode("22.1.0").level).toBe("ok");
  });
});
