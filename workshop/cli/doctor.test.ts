// `doctor`: a ready machine passes, and each problem is named with what to do, and blocks
// (exit 1) only when the lessons cannot run. Run as a process on a throwaway copy of the
// workshop; the single checks are also called directly, which is quicker.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, inject, test, vi } from "vitest";
import { motoInstalled } from "../emulator/moto";
import { ROOT } from "../paths";
import { checkCredentials, checkDependencies, checkEmulator, checkNode, describeFindings, type Finding } from "./doctor";
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

describe("doctor as a process", { timeout: 180_000 }, () => {
  test("a ready machine: one line per check, each ✓ or !, and exit 0", () => {
    const run = project.cli(["doctor"], { env: { AWS_ENDPOINT_URL: inject("awsEndpoint") } });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const line of [
      /^✓ Node \d+\.\d+\.\d+ \(the workshop needs/m,
      /^✓ All \d+ dependencies are installed$/m,
      /^[✓✗] .*Docker engine/m,
      /^✓ Checks use the emulator at .* it answers \(account \d+\)$/m,
      /^[✓!] Port 4566 /m,
      /^✓ .*can be used by accident|^✓ .*cannot be used by accident/m,
      /^✓ 2 lessons found$/m,
      /^✓ This is a git checkout/m,
      /^Nothing blocks the workshop\./m,
    ]) {
      expect(run.stdout).toMatch(line);
    }
    expect(run.stdout).not.toMatch(/^✗/m);
  });

  test("an endpoint that is not local is refused, with what to do (exit 1)", () => {
    const d = doctor({ AWS_ENDPOINT_URL: "https://s3.amazonaws.com" });
    expect(d.status, d.shown).toBe(1);
    const refused = d.find(/is not a local emulator/);
    expect(refused?.level).toBe("fail");
    expect(refused?.fix).toContain("Unset AWS_ENDPOINT_URL");
  });

  test.runIf(motoInstalled())("without an emulator running, it starts moto to see that it answers", () => {
    const d = doctor({ AWS_ENDPOINT_URL: undefined, WORKSHOP_EMULATOR: "moto" });
    expect(d.status, d.shown).toBe(0);
    expect(d.find(/Each check starts moto on a free port: it started in [\d.]+ s and answers/)?.level, d.shown).toBe("ok");
    expect(d.find(/moto [\d.]+ is installed/)?.level).toBe("ok");
    expect(d.find(/Python 3\.\d+/)?.level).toBe("ok");
  });
});

describe("doctor's checks", () => {
  test("an endpoint where nothing answers is a problem", async () => {
    const port = await getPort({ host: "127.0.0.1" });
    const [finding] = await checkEmulator({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }, undefined, false);
    expect(finding.level).toBe("fail");
    expect(finding.title).toContain("nothing answers there");
    expect(finding.fix).toMatch(/Start that emulator/);
  });

  test("real credentials in the environment cannot be used by accident; WORKSHOP_REAL_AWS=1 is a warning", () => {
    const env = { AWS_ENDPOINT_URL: "http://127.0.0.1:4566", AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "not-a-real-secret" };
    const [line] = checkCredentials(env);
    expect(line.level).toBe("ok");
    expect(line.title).toMatch(/^Real AWS credentials exist \(AWS_ACCESS_KEY_ID=AKIA…MPLE/);
    expect(line.title, "the key is never shown whole").not.toContain("AKIAIOSFODNN7EXAMPLE");
    const [real] = checkCredentials({ ...env, WORKSHOP_REAL_AWS: "1" });
    expect(real.level).toBe("warn");
    expect(real.title).toMatch(/WORKSHOP_REAL_AWS=1 .*costs money/);
  });

  test("a missing dependency blocks, and says to run npm install", () => {
    const root = mkdtempSync(join(tmpdir(), "nt-doctor-"));
    try {
      cpSync(join(ROOT, "package.json"), join(root, "package.json"));
      symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"), "junction");
      expect(checkDependencies(root).level).toBe("ok");
      const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
      pkg.dependencies["nt-not-installed-package"] = "1.0.0";
      writeFileSync(join(root, "package.json"), JSON.stringify(pkg));
      const finding = checkDependencies(root);
      expect(finding.level).toBe("fail");
      expect(finding.title).toContain("nt-not-installed-package");
      expect(finding.fix).toContain("npm install");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a Node older than package.json's engines blocks", () => {
    expect(checkNode("18.20.0")).toMatchObject({ level: "fail" });
    expect(checkNode("18.20.0").fix).toMatch(/Install Node/);
    expect(checkNode("20.19.0").level).toBe("ok");
    expect(checkNode("22.1.0").level).toBe("ok");
  });
});

describe("doctor en español", () => {
  beforeAll(() => {
    vi.stubEnv("WORKSHOP_LANG", "es");
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  test("its first lines and its verdict are in Spanish", () => {
    const text = describeFindings([checkNode("22.1.0"), checkDependencies()]).replace(/\x1b\[[0-9;]*m/g, "");
    const lines = text.split("\n");
    expect(lines[0]).toBe("Doctor: ¿está lista esta máquina para el taller?");
    expect(lines[2]).toMatch(/^✓ Node 22\.1\.0 \(el taller necesita \d+(\.\d+)* o más nuevo\)$/);
    expect(lines[3]).toMatch(/^✓ Las \d+ dependencias están instaladas$/);
    expect(text).toContain("Nada bloquea el taller. Empezá con `npm start`.");
    expect(text).not.toMatch(/Nothing blocks|dependencies are installed|the workshop needs/);
  });

  test("a problem is said in Spanish, with what to do", async () => {
    const [refused] = await checkEmulator({ AWS_ENDPOINT_URL: "https://s3.amazonaws.com" }, undefined, false);
    expect(refused.level).toBe("fail");
    expect(refused.title).toBe("AWS_ENDPOINT_URL=https://s3.amazonaws.com no es un emulador local, así que el taller lo rechaza");
    expect(refused.fix).toMatch(/^Borrá AWS_ENDPOINT_URL/);
    const old = checkNode("18.20.0");
    expect(old.title).toMatch(/^Node 18\.20\.0 es demasiado viejo/);
    expect(describeFindings([old]).replace(/\x1b\[[0-9;]*m/g, "")).toContain("1 problema bloquea el taller: hacé lo que dicen las líneas ✗");
  });
});
