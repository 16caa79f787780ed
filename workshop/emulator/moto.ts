// The embedded emulator: moto's server from PyPI, installed once into a project-local
// virtual environment and started on a free loopback port.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import ora from "ora";
import { ROOT } from "../paths";
import { t } from "../i18n";

export const MOTO_REQUIREMENTS = join(ROOT, "workshop", "emulator", "moto", "requirements.txt");
const RUNNER = join(ROOT, "workshop", "emulator", "moto", "run_moto.py");
export const MOTO_VENV = process.env.WORKSHOP_MOTO_VENV || join(ROOT, ".workshop", "moto-venv");
const MARKER = join(MOTO_VENV, ".workshop-installed");

/** What the first run takes, as `npm run bench -- --install` measures it (see the README). */
export const MOTO_INSTALL_ESTIMATE = "about 1 to 2 minutes";
/** The same estimate in the current language. */
export function motoInstallEstimate(): string {
  return t("emulator.moto.estimate");
}

let progressListener: ((text: string) => void) | undefined;

/** Shows the moto install's steps in the caller's own progress display; returns a function that stops. */
export function onSetupProgress(listener: (text: string) => void): () => void {
  progressListener = listener;
  return () => {
    if (progressListener === listener) progressListener = undefined;
  };
}

export class EmulatorSetupError extends Error {
  override name = "EmulatorSetupError";
}

export interface Python {
  command: string;
  args: string[];
  version: string;
}

/** Finds a Python 3.9+ to build moto's environment with: $WORKSHOP_PYTHON, python3, python, or py -3. */
export function findPython(env = process.env): Python | undefined {
  const options: Array<[string, string[]]> = [];
  if (env.WORKSHOP_PYTHON) options.push([env.WORKSHOP_PYTHON, []]);
  options.push(["python3", []], ["python", []]);
  if (process.platform === "win32") options.push(["py", ["-3"]]);
  for (const [command, args] of options) {
    const probe = spawnSync(command, [...args, "-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"], {
      encoding: "utf8",
      timeout: 10_000,
    });
    const version = probe.stdout?.trim();
    if (probe.status === 0 && version) {
      const [major, minor] = version.split(".").map(Number);
      if (major === 3 && minor >= 9) return { command, args, version };
    }
  }
  return undefined;
}

export function venvPython(): string {
  return process.platform === "win32" ? join(MOTO_VENV, "Scripts", "python.exe") : join(MOTO_VENV, "bin", "python");
}

function requirementsHash(): string {
  return createHash("sha256").update(readFileSync(MOTO_REQUIREMENTS)).digest("hex");
}

export function motoInstalled(): boolean {
  return existsSync(MARKER) && existsSync(venvPython()) && readFileSync(MARKER, "utf8").trim() === requirementsHash();
}

/** Runs a command, feeding each output line to onLine; resolves with the exit code and the output's tail. */
function run(command: string, args: string[], onLine: (line: string) => void): Promise<{ code: number; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString().split(/\r?\n/)) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 30) lines.shift();
        onLine(line.trim());
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => resolve({ code: -1, tail: String(err) }));
    child.on("close", (code) => resolve({ code: code ?? -1, tail: lines.join("\n") }));
  });
}

/**
 * Installs moto into .workshop/moto-venv unless the pinned version is already there.
 * Safe to call from several processes at once: the first installs, the others wait.
 */
export async function ensureMotoInstalled(): Promise<void> {
  if (motoInstalled()) return;
  mkdirSync(dirname(MOTO_VENV), { recursive: true });
  const release = await lockfile.lock(dirname(MOTO_VENV), {
    lockfilePath: `${MOTO_VENV}.lock`,
    stale: 120_000,
    retries: { retries: 600, minTimeout: 500, maxTimeout: 1000 },
  });
  try {
    if (motoInstalled()) return;
    const python = findPython();
    if (!python) {
      throw new EmulatorSetupError(t("emulator.noPython"));
    }
    // One progress display at a time: a command that shows its own (the check's spinner) listens
    // with onSetupProgress(); otherwise a spinner of our own in a terminal, plain lines elsewhere.
    const listener = progressListener;
    const spinner = listener ? undefined : ora({ text: "", stream: process.stderr, discardStdin: false, isEnabled: Boolean(process.stderr.isTTY) });
    const say = (text: string) => {
      if (listener) listener(text);
      else if (spinner?.isEnabled) (spinner.isSpinning ? (spinner.text = text) : spinner.start(text));
      else console.error(text);
    };
    say(t("emulator.moto.installing", { version: python.version, estimate: motoInstallEstimate() }));
    const started = Date.now();
    const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
    const step = async (label: string, command: string, args: string[], onLine: (line: string) => void = () => {}) => {
      const result = await run(command, args, onLine);
      if (result.code !== 0) {
        spinner?.fail(t("emulator.moto.stepFailed", { label }));
        throw new EmulatorSetupError(t("emulator.moto.stepFailedWhy", { label, code: result.code, tail: result.tail }));
      }
    };
    if (!existsSync(venvPython())) {
      say(t("emulator.moto.progress.venv", { elapsed: elapsed() }));
      await step(t("emulator.moto.step.venv"), python.command, [...python.args, "-m", "venv", MOTO_VENV]);
    }
    let collected = 0;
    say(t("emulator.moto.progress.download", { elapsed: elapsed() }));
    await step(t("emulator.moto.step.install"), venvPython(), [
      "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "-r", MOTO_REQUIREMENTS,
    ], (line) => {
      if (/^Collecting /.test(line)) {
        collected += 1;
        say(t("emulator.moto.progress.downloaded", { n: collected, elapsed: elapsed() }));
      } else if (/^Installing collected packages/.test(line)) {
        say(collected ? t("emulator.moto.progress.install", { n: collected, elapsed: elapsed() }) : t("emulator.moto.progress.installAll", { elapsed: elapsed() }));
      }
    });
    writeFileSync(MARKER, requirementsHash() + "\n");
    const done = t("emulator.moto.installed", { elapsed: elapsed() });
    if (spinner?.isSpinning) spinner.succeed(done);
    else if (listener) listener(done);
    else console.error(done);
  } finally {
    await release();
  }
}

export interface MotoProcess {
  endpoint: string;
  child: ChildProcess;
}

/** Starts moto's server on host:port and resolves once it says it listens. */
export function spawnMoto(host: string, port: number): Promise<MotoProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(venvPython(), ["-u", RUNNER, host, String(port)], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1", MOTO_PORT: String(port) },
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new EmulatorSetupError(t("emulator.moto.startTimeout", { output })));
    }, 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("moto listening on")) {
        clearTimeout(timer);
        resolve({ endpoint: `http://${host}:${port}`, child });
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new EmulatorSetupError(t("emulator.moto.exited", { code: String(code), output: output.slice(-2000) })));
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new EmulatorSetupError(t("emulator.moto.cannotRun", { why: err.message })));
    });
  });
}
