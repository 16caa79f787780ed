// `npm run bench`: how long the learner's loop takes. A benchmark, not a timed test: it prints
// figures (a table, or with --json one JSON object) and fails only if something cannot run.
//   - the emulator's cold start (moto; LocalStack too when a Docker engine answers);
//   - one warm check of a lesson against a running emulator, type check included: from a save to
//     the verdict in one process, as the dashboard does it (its watcher, its warm type checker;
//     median of several runs), and as a `npm run check` process typed by hand, both on its own
//     and handed to a running workshop process (this one plays the dashboard);
//   - the floor: the time of the lesson's own tests and hooks (its AWS calls) inside the check,
//     and the ratio of the check to it;
//   - the whole `npm test` (skip with --skip-suite);
//   - a classroom: lesson 04 through the room's door for one, ten and thirty attendees at once (skip with --skip-classroom).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { watch } from "chokidar";
import { cpus, totalmem, type as osType, release as osRelease } from "node:os";
import { Command } from "commander";
import pc from "picocolors";
import ts from "typescript";
import { createVitest, type TestModule } from "vitest/node";
import { runCheck, runChecks } from "../check";
import { FIXED_TEST_SEED } from "../clients/chaos";
import { Checker } from "./checker";
import { dockerEngine, findDockerEngine, imagePresent } from "../emulator/docker";
import { localStackImage } from "../emulator/localstack";
import { readSharedState, startEmulator, type Emulator } from "../emulator";
import { findLesson, listLessons, type Lesson } from "../lessons";
import { ensureMotoInstalled } from "../emulator/moto";
import { ROOT } from "../paths";
import { t } from "../i18n";

interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

function stats(runs: number[]): Stats {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: Math.round(median), min: sorted[0], max: sorted.at(-1)!, runs };
}

async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: Math.round(performance.now() - started), value };
}

function log(message: string): void {
  // Progress goes to stderr, so that `--json` leaves stdout to the JSON alone.
  process.stderr.write(pc.dim(`${message}\n`));
}

async function coldStart(kind: "moto" | "localstack", runs: number): Promise<Stats> {
  if (kind === "moto") await ensureMotoInstalled(); // the first-run install is not a start
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // startEmulator() resolves once the emulator answers HTTP (it pings it).
    const { ms, value } = await time(() => startEmulator({ kind }));
    times.push(ms);
    await value.stop();
  }
  return stats(times);
}

/** The lesson's tests as the check runs them, with Vitest's own account of where the time went. */
async function floorRun(lesson: Lesson, endpoint: string): Promise<{ wallMs: number; testsAndHooksMs: number; importMs: number; ok: boolean }> {
  const started = performance.now();
  const vitest = await createVitest(
    "test",
    { config: false, root: ROOT, dir: lesson.dir, watch: false, reporters: [{}], silent: true, env: { LESSON_TARGET: "solution", AWS_ENDPOINT_URL: endpoint } },
    { logLevel: "silent" },
  );
  let modules: TestModule[];
  try {
    modules = (await vitest.start()).testModules;
  } finally {
    await vitest.close();
  }
  const wallMs = Math.round(performance.now() - started);
  let testsAndHooksMs = 0;
  let importMs = 0;
  let ok = modules.length > 0;
  for (const module of modules) {
    const d = module.diagnostic();
    testsAndHooksMs += d.duration;
    importMs += d.collectDuration + d.setupDuration + d.prepareDuration + d.environmentSetupDuration;
    ok &&= module.ok();
  }
  return { wallMs, testsAndHooksMs: Math.round(testsAndHooksMs), importMs: Math.round(importMs), ok };
}

/**
 * Chaos's price in time (issue 12: a chaos check within twice a plain one; npm test, which runs
 * every solution once more under chaos, grown by at most a quarter): warm checks of the lesson
 * under npm test's fixed seed, and, with the suite, every lesson once plain and once under chaos.
 */
async function chaosFigures(lesson: Lesson, emulator: Emulator, runs: number, plainMedian: number, withAll: boolean) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await time(() => runCheck(lesson, { target: "solution", emulator, typecheck: false, chaos: FIXED_TEST_SEED }))).ms);
  const check = stats(times);
  let allLessons: { plainMs: number; chaosMs: number; ok: boolean } | undefined;
  if (withAll) {
    const plain = await time(() => runChecks(listLessons(), { target: "solution", emulator, typecheck: false }));
    const chaos = await time(() => runChecks(listLessons(), { target: "solution", emulator, typecheck: false, chaos: FIXED_TEST_SEED }));
    allLessons = { plainMs: plain.ms, chaosMs: chaos.ms, ok: chaos.value.every((r) => r.ok) };
  }
  return { seed: FIXED_TEST_SEED, warmCheckMs: check, ratioToPlain: Math.round((check.median / Math.max(1, plainMedian)) * 100) / 100, allLessons: allLessons ?? null };
}

function npm(): { command: string; shell: boolean } {
  return process.platform === "win32" ? { command: "npm.cmd", shell: true } : { command: "npm", shell: false };
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; tail: string }> {
  return new Promise((resolve) => {
    const { command, shell } = npm();
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, shell, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.stderr.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.on("close", (code) => resolve({ ms: Math.round(performance.now() - started), code, tail: output }));
  });
}

function machine() {
  const cpu = cpus();
  const moto = spawnSync(process.platform === "win32" ? "python" : "python3", ["--version"], { encoding: "utf8" });
  return {
    cpu: cpu[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown",
    cores: cpu.length,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    os: `${osType()} ${osRelease()} ${process.arch}`,
    node: process.version,
    python: (moto.stdout || moto.stderr || "").trim() || undefined,
  };
}

/**
 * With Docker present, how much later does the first verdict come than without it? One cold
 * `npm run check` as a new attendee types it (own emulator, nothing shared), as the workshop
 * chooses, against the same with WORKSHOP_EMULATOR=moto (a machine without Docker). On an engine
 * with no images (offline) the first falls back to moto: the difference is the Docker detour
 * (target: at most 5 s). With the images, it is LocalStack's start instead.
 */
async function dockerDetour(lesson: Lesson) {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const state = mkdtempSync(join(tmpdir(), "nt-bench-"));
  const env = { ...process.env, WORKSHOP_STATE_DIR: state, AWS_ENDPOINT_URL: "" };
  try {
    const args = ["run", "--silent", "check", "--", lesson.number, "--solution"];
    const asChosen = await timeProcess(args, { ...env, WORKSHOP_EMULATOR: "" });
    const moto = await timeProcess(args, { ...env, WORKSHOP_EMULATOR: "moto" });
    const outcome = /against LocalStack/.test(asChosen.tail) ? "localstack" : /using moto instead/.test(asChosen.tail) ? "moto (fallback)" : "moto (no Docker)";
    return { docker: (await findDockerEngine()) ?? null, outcome, firstVerdictMs: asChosen.ms, withoutDockerMs: moto.ms, extraMs: asChosen.ms - moto.ms, targetExtraMs: 5000, ok: asChosen.code === 0 && moto.code === 0 };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * Edits of the lesson's solution, one step's function at a time, for the incremental figures: a
 * comment added inside the function (the code still passes), kept until restore(), so that each
 * save changes exactly one function since the last verdict. restore() puts the file back as it was.
 */
function stepEdits(lesson: Lesson) {
  const original = readFileSync(lesson.solution, "utf8");
  let text = original;
  const withFunction = (lesson.todos ?? []).filter((t) => t.function);
  // Steps 1, 3, 5, … then 2, 4, 6, …: a spread of the lesson, whatever the number of runs.
  const steps = [...withFunction.filter((_, k) => k % 2 === 0), ...withFunction.filter((_, k) => k % 2 === 1)];
  let i = 0;
  let pending = original;
  const restoreOnExit = () => {
    if (readFileSync(lesson.solution, "utf8") !== original) writeFileSync(lesson.solution, original);
  };
  process.once("exit", restoreOnExit);
  process.once("SIGINT", () => process.exit(130));
  return {
    /** Prepares the next edit and returns its step number. */
    next(): number {
      const todo = steps[i % steps.length];
      i += 1;
      const source = ts.createSourceFile(lesson.solution, text, ts.ScriptTarget.Latest, true);
      let at = -1;
      for (const st of source.statements) {
        if (ts.isFunctionDeclaration(st) && st.name?.text === todo.function && st.body) at = st.body.getStart(source) + 1;
        if (ts.isVariableStatement(st)) {
          for (const d of st.declarationList.declarations) {
            const init = d.initializer;
            if (ts.isIdentifier(d.name) && d.name.text === todo.function && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && ts.isBlock(init.body)) at = init.body.getStart(source) + 1;
          }
        }
      }
      if (at < 0) throw new Error(`bench: no function ${todo.function} in ${lesson.solution}`);
      pending = `${text.slice(0, at)}\n  // bench: an edit of step ${todo.n} (${i})${text.slice(at)}`;
      return todo.n;
    },
    write(): void {
      text = pending;
      writeFileSync(lesson.solution, text);
    },
    restore(): void {
      if (readFileSync(lesson.solution, "utf8") !== original) writeFileSync(lesson.solution, original);
      text = original;
    },
  };
}

const program = new Command()
  .name("npm run bench --")
  .description(t("bench.describe"))
  .option("--lesson <lesson>", t("bench.opt.lesson"), "04")
  .option("--runs <n>", t("bench.opt.runs"), "5")
  .option("--process-runs <n>", t("bench.opt.processRuns"), "3")
  .option("--cold-runs <n>", t("bench.opt.coldRuns"), "3")
  .option("--skip-suite", t("bench.opt.skipSuite"))
  .option("--install", t("bench.opt.install"))
  .option("--skip-classroom", t("bench.opt.skipClassroom"))
  .option("--skip-extras", t("bench.opt.skipExtras"))
  .option("--json", t("bench.opt.json"))
  .parse();

const opts = program.opts<{ lesson: string; runs: string; processRuns: string; coldRuns: string; skipSuite?: boolean; skipClassroom?: boolean; skipExtras?: boolean; install?: boolean; json?: boolean }>();

/**
 * A room on its own moto, behind its door: N attendees join and run lesson 04's solution through
 * the door at once, each in their own account (the calls of a check, without N Vitest processes).
 */
async function classroomBench(sizes = [1, 10, 30]): Promise<Array<{ attendees: number; wallMs: number; slowestMs: number; medianMs: number; ok: boolean }>> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { openRoom } = await import("../classroom");
  const { joinRoom } = await import("../classroom/attendee");
  const { simulateLesson04 } = await import("../classroom/simulate");
  const { endRoom } = await import("./classroom");
  const { readRoomState } = await import("../classroom/room");
  const dir = mkdtempSync(join(tmpdir(), "nt-bench-room-"));
  const room = await openRoom({ host: "127.0.0.1", port: 0, kind: "moto", fresh: true, file: join(dir, "classroom.json") });
  const out = [];
  try {
    for (const size of sizes) {
      log(t("bench.log.classroom", { n: size }));
      const attendees = await Promise.all(Array.from({ length: size }, (_, i) => joinRoom(room.joinCode, `bench ${size}-${i}`)));
      const { ms, value: runs } = await time(() => Promise.all(attendees.map((a) => simulateLesson04(a))));
      out.push({ attendees: size, wallMs: ms, slowestMs: Math.max(...runs.map((r) => r.ms)), medianMs: stats(runs.map((r) => r.ms)).median, ok: runs.every((r) => r.ok) });
    }
    await endRoom(readRoomState(join(dir, "classroom.json"))!, room.localDoor, () => {});
  } finally {
    await room.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
const lesson = findLesson(opts.lesson);
const runs = Math.max(1, Number(opts.runs));

/** moto's first-run install, as `npm run setup` does it, into a throwaway virtual environment. */
async function installRun(): Promise<{ ms: number; ok: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), "nt-bench-moto-"));
  try {
    const env = { ...process.env, WORKSHOP_MOTO_VENV: join(dir, "moto-venv"), WORKSHOP_EMULATOR: "moto", AWS_ENDPOINT_URL: undefined };
    const run = await timeProcess(["run", "--silent", "setup"], env);
    return { ms: run.ms, ok: run.code === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let install: { ms: number; ok: boolean } | undefined;
if (opts.install) {
  log(t("bench.log.install"));
  install = await installRun();
}

const docker = await findDockerEngine();
log(t("bench.log.coldMoto", { n: opts.coldRuns }));
const cold: Record<string, Stats> = { moto: await coldStart("moto", Math.max(1, Number(opts.coldRuns))) };
const engine = docker ? await dockerEngine() : undefined;
if (engine && (await imagePresent(engine, localStackImage()))) {
  log(t("bench.log.coldLocalStack"));
  cold.localstack = await coldStart("localstack", 1);
}

// One running emulator for the warm figures: the shared one if it runs, else one of our own.
const shared = readSharedState();
let own: Emulator | undefined;
let endpoint: string;
let emulatorDescription: string;
if (process.env.AWS_ENDPOINT_URL) {
  endpoint = process.env.AWS_ENDPOINT_URL;
  emulatorDescription = t("emulator.describe.endpoint", { endpoint });
} else if (shared) {
  endpoint = shared.endpoint;
  emulatorDescription = t("emulator.describe.shared", { kind: shared.kind, endpoint });
} else {
  own = await startEmulator({ kind: "moto" });
  endpoint = own.endpoint!;
  emulatorDescription = own.description;
}
const emulator: Emulator = { kind: "endpoint", endpoint, description: emulatorDescription, stop: async () => {} };
process.env.AWS_ENDPOINT_URL = endpoint;

try {
  log(t("bench.log.warm", { lesson: lesson.slug, n: runs }));
  const warmUp = await runCheck(lesson, { target: "solution", emulator });
  if (!warmUp.ok) throw new Error(t("bench.err.solutionFails", { lesson: lesson.slug, why: String(warmUp.failures[0]?.message ?? warmUp.loadError) }));
  const rssStart = process.memoryUsage().rss;
  const inProcess: number[] = [];
  for (let i = 0; i < runs; i++) inProcess.push((await time(() => runCheck(lesson, { target: "solution", emulator, typecheck: false }))).ms);
  const rssEnd = process.memoryUsage().rss;

  // As the dashboard does it: a save seen by the file watcher, its 150 ms pause for a burst of
  // saves, and a check by the session's warm Checker (emulator, type checker in its thread).
  // Each save is a real edit of one step's function (a comment added inside it, so the code still
  // passes): the incremental check reruns that step's tests and keeps the others'. Then the same
  // with every test run (the dashboard's c key, `--full`).
  log(t("bench.log.saveToVerdict", { n: runs }));
  const checker = new Checker(emulator);
  checker.warm([{ ...lesson, exercise: lesson.solution }]);
  await checker.checkMany([lesson], "solution");
  const edits = stepEdits(lesson);
  let typecheckIncluded = true;
  const watcher = watch(dirname(lesson.solution), { ignoreInitial: true });
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  const saveToVerdict: number[] = [];
  const saveToVerdictFull: number[] = [];
  const rerun: Array<{ step: number; ran: number; kept: number }> = [];
  try {
    const save = async (change: () => void, full: boolean): Promise<number> => {
      const verdict = new Promise<number>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const onChange = () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            watcher.off("change", onChange);
            if (full) checker.full();
            checker.checkMany([lesson], "solution").then(([r]) => {
              if (!r.ok) reject(new Error(t("bench.err.checkFailed", { why: String(r.first?.message ?? r.loadError) })));
              if (r.skipNotes?.some((n) => n.startsWith("the type check could not run"))) typecheckIncluded = false;
              resolve(performance.now());
            }, reject);
          }, 150);
        };
        watcher.on("change", onChange);
      });
      const saved = performance.now();
      change();
      return Math.round((await verdict) - saved);
    };
    // In turns, so that a machine's changing load weighs on both figures alike.
    for (let i = 0; i < runs; i++) {
      const step = edits.next();
      saveToVerdict.push(await save(() => edits.write(), false));
      rerun.push({ step, ...(checker.results.last.get(lesson.slug) ?? { ran: 0, kept: 0 }) });
      saveToVerdictFull.push(
        await save(() => {
          const now = new Date();
          utimesSync(lesson.solution, now, now); // a save: the type checker sees a new version too
        }, true),
      );
    }
  } finally {
    await watcher.close();
    edits.restore();
  }
  log(t("bench.log.floor", { n: runs }));
  const floors = [];
  for (let i = 0; i < runs; i++) floors.push(await floorRun(lesson, endpoint));

  const processRuns = Math.max(1, Number(opts.processRuns));
  log(t("bench.log.process", { number: lesson.number, n: processRuns }));
  const processTimes: number[] = [];
  for (let i = 0; i < processRuns; i++) {
    const run = await timeProcess(["run", "--silent", "check", "--", lesson.number, "--solution"], { ...process.env, AWS_ENDPOINT_URL: endpoint, WORKSHOP_NO_HANDOFF: "1" });
    if (run.code !== 0) throw new Error(t("bench.err.exited", { code: String(run.code), tail: run.tail }));
    processTimes.push(run.ms);
  }
  log(t("bench.log.handoff", { number: lesson.number, n: processRuns }));
  await checker.serve();
  // After an edit of one step each (as a learner types the check after a save), then with --full.
  const handoffTimes: number[] = [];
  const handoffFullTimes: number[] = [];
  try {
    for (let i = 0; i < processRuns; i++) {
      for (const full of [false, true]) {
        if (!full) {
          edits.next();
          edits.write();
        }
        const run = await timeProcess(["run", "--silent", "check", "--", lesson.number, "--solution", ...(full ? ["--full"] : [])], { ...process.env, AWS_ENDPOINT_URL: endpoint, WORKSHOP_NO_HANDOFF: undefined });
        if (run.code !== 0) throw new Error(t("bench.err.exited", { code: String(run.code), tail: run.tail }));
        (full ? handoffFullTimes : handoffTimes).push(run.ms);
      }
    }
  } finally {
    edits.restore();
  }
  await checker.stop();

  if (!opts.skipExtras) log(t("bench.log.detour"));
  const detour = opts.skipExtras ? null : await dockerDetour(lesson);
  if (!opts.skipExtras) log(t(opts.skipSuite ? "bench.log.chaos" : "bench.log.chaosAll", { lesson: lesson.slug, seed: FIXED_TEST_SEED, n: runs }));
  const chaos = opts.skipExtras ? null : await chaosFigures(lesson, emulator, runs, stats(inProcess).median, !opts.skipSuite);

  let suite: { ms: number; exitCode: number | null; summary?: string } | undefined;
  if (!opts.skipSuite) {
    log(t("bench.log.suite"));
    const run = await timeProcess(["test"], { ...process.env, AWS_ENDPOINT_URL: endpoint });
    suite = { ms: run.ms, exitCode: run.code, summary: /^\s*(\d+ passed, \d+ failed.*)$/m.exec(run.tail)?.[1] };
  }

  const classroom = opts.skipClassroom ? null : await classroomBench();

  const warm = stats(inProcess);
  const floor = stats(floors.map((f) => f.testsAndHooksMs));
  const result = {
    machine: machine(),
    lesson: lesson.slug,
    emulator: emulatorDescription,
    coldStartMs: cold,
    /** moto's first-run install (with --install): what the README's estimate says. */
    motoInstallMs: install ? (install.ok ? install.ms : "failed") : null,
    /** The dashboard: from a save (an edit of one step) to its verdict, type check included (the target: 1.0 s). */
    saveToVerdictMs: stats(saveToVerdict),
    /** Which step each save edited, and how many tests its incremental check ran and kept. */
    saveReruns: rerun,
    /** The same with every test run (the dashboard's c key; `npm run check -- --full`). */
    saveToVerdictFullMs: stats(saveToVerdictFull),
    typecheckIncluded,
    /** The tests alone, in one process, without the type check (for comparison with older figures). */
    warmCheckMs: warm,
    /** `npm run check` as a process of its own, type check included (the target: 2.0 s). */
    checkProcessMs: stats(processTimes),
    /** `npm run check` handed to a running workshop process (the dashboard, `npm run emulator`). */
    checkHandedOffMs: stats(handoffTimes),
    /** The same with --full: every test runs. */
    checkHandedOffFullMs: stats(handoffFullTimes),
    floorMs: floor,
    /**
     * A check's wall time over its floor, both from the same run (median over the runs): what the
     * harness (starting Vitest, importing the tests and the SDK) costs on top of the AWS calls.
     */
    checkToFloorRatio: Math.round(stats(floors.map((f) => (f.wallMs / Math.max(1, f.testsAndHooksMs)) * 100)).median) / 100,
    testImportMs: stats(floors.map((f) => f.importMs)).median,
    rssGrowthMBOverWarmRuns: Math.round((rssEnd - rssStart) / 1024 ** 2),
    dockerDetourMs: detour,
    suite: suite ?? null,
    classroom,
    chaos,
    targets: { saveToVerdictMs: 1000, checkProcessMs: 2000, suiteMs: 45_000, chaosCheckRatio: 2, suiteGrowthRatio: 1.25 },
  };

  if (opts.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const row = (label: string, value: string, note = "") => console.log(`  ${label.padEnd(46)} ${value.padEnd(30)} ${note}`);
    const target = (ok: boolean, text: string) => (ok ? pc.green(`✓ ${text}`) : pc.yellow(`✗ ${text}`));
    const m = result.machine;
    console.log(pc.bold(t("bench.title", { lesson: lesson.slug })));
    console.log(pc.dim(`  ${m.cpu} ×${m.cores}, ${m.memoryGB} GB, ${m.os}, Node ${m.node}${m.python ? `, ${m.python}` : ""}`));
    console.log(pc.dim(t("bench.against", { emulator: emulatorDescription })));
    console.log("");
    row("", t("bench.head"));
    if (install) row(t("bench.row.install"), install.ok ? s(install.ms) : t("bench.row.failed"));
    for (const [kind, st] of Object.entries(cold)) row(t("bench.row.cold", { kind }), `${s(st.median)} (${s(st.min)}–${s(st.max)})`);
    const sv = result.saveToVerdictMs;
    const cp = result.checkProcessMs;
    const ch = result.checkHandedOffMs;
    const svf = result.saveToVerdictFullMs;
    const chf = result.checkHandedOffFullMs;
    row(t("bench.row.saveToVerdict"), `${s(sv.median)} (${s(sv.min)}–${s(sv.max)})`, target(sv.median <= 1000, t("bench.target", { value: "1.0 s" })) + pc.dim(` ${t("bench.row.oneStep", { steps: rerun.map((r) => t("bench.row.ranKept", { step: r.step, ran: r.ran, kept: r.kept })).join("; ") })}`));
    row(t("bench.row.saveFull"), `${s(svf.median)} (${s(svf.min)}–${s(svf.max)})`);
    row(t("bench.row.warm"), `${s(warm.median)} (${s(warm.min)}–${s(warm.max)})`);
    row(t("bench.row.process"), `${s(cp.median)} (${s(cp.min)}–${s(cp.max)})`, target(cp.median <= 2000, t("bench.target", { value: "2.0 s" })));
    row(t("bench.row.handoff"), `${s(ch.median)} (${s(ch.min)}–${s(ch.max)})`, target(ch.median <= 2000, t("bench.target", { value: "2.0 s" })));
    row(t("bench.row.handoffFull"), `${s(chf.median)} (${s(chf.min)}–${s(chf.max)})`);
    row(t("bench.row.floor"), `${s(floor.median)} (${s(floor.min)}–${s(floor.max)})`, t("bench.row.floorNote"));
    row(t("bench.row.ratio"), `${result.checkToFloorRatio}×`, pc.dim(t("bench.row.ratioNote", { time: s(result.testImportMs) })));
    for (const c of classroom ?? []) row(t("bench.row.classroom", { n: c.attendees }), t("bench.row.slowest", { time: s(c.wallMs), slowest: s(c.slowestMs) }), c.ok ? "" : pc.red(t("bench.row.someFailed")));
    if (detour) row(t("bench.row.firstVerdict", { outcome: detour.outcome }), `${s(detour.firstVerdictMs)} / ${s(detour.withoutDockerMs)}`, detour.outcome === "localstack" ? pc.dim(t("bench.row.localStackStart")) : target(detour.extraMs <= 5000, t("bench.row.detourTarget", { extra: s(Math.max(0, detour.extraMs)) })));
    if (suite) row(t("bench.row.suite"), s(suite.ms), target(suite.ms <= 45_000, t("bench.target", { value: "45 s" })) + pc.dim(`${t("bench.row.exit", { code: String(suite.exitCode) })}${suite.summary ? `, ${suite.summary}` : ""}`));
    if (chaos) row(t("bench.row.chaos", { seed: chaos.seed }), t("bench.row.chaosValue", { time: s(chaos.warmCheckMs.median), ratio: chaos.ratioToPlain }), target(chaos.ratioToPlain <= 2, t("bench.targetPlain")));
    if (chaos?.allLessons) row(t("bench.row.allLessons"), `${s(chaos.allLessons.plainMs)}, ${s(chaos.allLessons.chaosMs)}`, pc.dim(t("bench.row.allLessonsNote")));
  }
} finally {
  await own?.stop();
}
process.exit(0);
