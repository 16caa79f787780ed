// The command line: `npm start` and its subcommands, one file per command beside this one.
//   npm start                 the dashboard (in a terminal) or the status table (in a pipe, in CI)
//   npm start -- list | check [lesson] | watch [lesson] | hint [lesson] | reset [lesson]
//              | solution [lesson] | cost [lesson] | doctor | emulator start|stop|status | cleanup
// A lesson is named by number or slug; without one, the current lesson.
// Heavy modules (Vitest, the AWS SDK clients, the file watcher, the prompts) are imported by the
// commands that need them, so that `list`, `hint` and the status table answer at once.
import { existsSync } from "node:fs";
import { Command } from "commander";
import ora from "ora";
import { askFirst } from "./confirm";
import { CliError, explainStateError } from "./errors";
import { currentTodo, describeHints, forgetHints, nextHint } from "./hint";
import { currentLesson, lessonStatus, readProgress, recordCheck } from "./progress";
import { resetLesson } from "./reset";
import { resolveLesson } from "./resolve";
import { pc, statusReport } from "./ui";
import { registerClassroom } from "./classroom";
import { joinedRoom } from "../classroom/joined";
import { assertStateWritable, clearSharedState, EmulatorSetupError, pidAlive, ping, readSharedState, startEmulator, useEmulator, writeSharedState } from "../emulator";
import { listLessons, rel, UnknownLessonError } from "../lessons";
import { realAwsAllowed, UnsafeTargetError } from "../clients/safety";
import { SHARED_EMULATOR_FILE } from "../paths";

const program = new Command()
  .name("npm start --")
  .description("No toca BOTÓN: learn AWS from TypeScript against a local emulator.")
  .enablePositionalOptions()
  .showHelpAfterError("(`npm start -- --help` lists the commands)")
  .addHelpText(
    "after",
    "\nWithout a command, `npm start` opens the dashboard in a terminal (the status table in a pipe or CI).\n" +
      "A lesson is named by number or slug (04, 04-s3, s3); without one, the current lesson.",
  );

const LESSON_ARG = ["[lesson]", "lesson number or slug, e.g. 04 or 04-s3 (default: the current lesson)"] as const;

function printStatus(): void {
  const lessons = listLessons();
  const progress = readProgress();
  console.log(statusReport(lessons, progress, currentLesson(lessons, progress)?.slug));
}

// No subcommand: the dashboard.
program
  .option("--poll", "poll for saves instead of waiting for file events (WSL2, mounted folders); or WORKSHOP_POLL=1")
  .allowExcessArguments(true)
  .action(async (opts: { poll?: boolean }, command: Command) => {
    if (command.args.length > 0) {
      const names = program.commands.map((c) => c.name());
      command.error(`error: unknown command '${command.args[0]}'. The commands are: ${names.join(", ")}.`);
    }
    // Without a terminal (CI, `npm start | cat`) there is nothing to interact with: print the table.
    if (!process.stdout.isTTY || !process.stdin.isTTY) return printStatus();
    const { runDashboard } = await import("./dashboard");
    process.exit(await runDashboard({ poll: opts.poll }));
  });

program
  .command("list")
  .description("list the lessons with your progress")
  .option("--json", "print the lessons and their status as JSON")
  .action((opts: { json?: boolean }) => {
    if (!opts.json) return printStatus();
    const lessons = listLessons();
    const progress = readProgress();
    const current = currentLesson(lessons, progress)?.slug;
    const rows = lessons.map((l) => {
      const entry = progress.lessons[l.slug];
      return { number: l.number, slug: l.slug, title: l.title, status: lessonStatus(progress, l.slug), current: l.slug === current, minutes: l.minutes ?? null, core: entry?.core ?? null, stretch: entry?.stretch ?? null, step: entry?.step ?? null };
    });
    console.log(JSON.stringify(rows, null, 2));
  });

program
  .command("check")
  .description("run a lesson's tests and type check against your exercise (exit 0 only when everything passes)")
  .argument("[lessons...]", "lesson numbers or slugs, e.g. 04 or 04-s3 5 (default: the current lesson)")
  .option("--solution", "check the reference solution instead of your exercise")
  .option("--all", "check every lesson, in one test run (with --solution: does every solution still pass?)")
  .option("--json", "print the result as JSON")
  .option("--chaos [seed]", "meet what AWS does: throttling, 5xx, timeouts, latency, partial failures, stale reads (a seed replays the same faults)")
  .option("-y, --yes", "with WORKSHOP_REAL_AWS=1: do not ask before spending")
  .option("--full", "handed to a running dashboard or `npm run emulator`: run every test, none keeps its last result")
  .action(async (refs: string[], opts: { solution?: boolean; all?: boolean; json?: boolean; chaos?: boolean | string; yes?: boolean; full?: boolean }) => {
    if (opts.all && refs.length > 0) throw new CliError("Name lessons or use --all, not both.");
    const lessons = opts.all ? listLessons() : refs.length > 0 ? [...new Map(refs.map((ref) => resolveLesson(ref)).map((l) => [l.slug, l])).values()] : [resolveLesson()];
    if (realAwsAllowed() && !process.env.AWS_ENDPOINT_URL) {
      const { confirmSpend, SpendRefused } = await import("../clients/spend");
      for (const lesson of lessons) {
        await confirmSpend(lesson.slug, { yes: opts.yes }).catch((err: Error) => {
          throw err instanceof SpendRefused ? new CliError(err.message, 1) : err;
        });
      }
    }
    const { chaosSeed } = await import("../clients/run-report");
    const chaos = chaosSeed(opts.chaos);
    if (chaos !== undefined && !opts.json) console.error(pc.yellow(`Chaos: seed ${chaos} (replay with --chaos=${chaos})`));
    if (lessons.length === 0) throw new CliError("There are no lessons yet: lessons/ has no NN-slug folders.");
    const target = opts.solution ? "solution" : "exercise";
    const many = lessons.length > 1;
    const what = many ? `${lessons.length} lessons` : rel(target === "solution" ? lessons[0].solution : lessons[0].exercise);
    const spinner = ora({ text: `Checking ${what}…`, stream: process.stderr, discardStdin: false, isEnabled: !opts.json && Boolean(process.stderr.isTTY) });
    const { runChecksHere } = await import("./remote");
    const results = await runChecksHere(lessons, target, spinner, chaos, opts.full);
    const { saveCheckResults } = await import("../clients/run-report");
    saveCheckResults(results);
    if (target === "exercise") for (const result of results) await recordCheck(result);
    else if (joinedRoom()) for (const result of results) await (await import("../classroom/attendee")).reportCheck(result); // the room's page sees solution checks too
    const { describeCheck } = await import("../check/verdict");
    if (!many) {
      const [result] = results;
      console.log(opts.json ? JSON.stringify(result, null, 2) : describeCheck(result, pc));
    } else if (opts.json) {
      console.log(JSON.stringify(results, null, 2));
    } else if (opts.all) {
      for (const r of results) {
        const count = `${r.passed}/${r.passed + r.failed}`.padEnd(7);
        const why = r.ok ? "" : r.loadError ? pc.red(r.loadError.split("\n")[0]) : r.nextTodo ? `next: TODO ${r.nextTodo.n}${r.nextTodo.location ? ` at ${r.nextTodo.location}` : ""}` : pc.red(r.first?.test ?? r.failures[0]?.test ?? "failed");
        console.log(`${r.ok ? pc.green("✓") : pc.red("✗")} ${r.lesson.padEnd(24)} ${count} ${why}`);
      }
    } else {
      console.log(results.map((r) => describeCheck(r, pc)).join("\n\n"));
    }
    if (many && !opts.json) {
      const passing = results.filter((r) => r.ok).length;
      console.log(`\n${passing} of ${results.length} lessons pass (${target === "solution" ? "reference solutions" : "your exercises"}).`);
      const { costLine } = await import("../clients/cost");
      for (const r of results) if (r.cost) console.log(pc.dim(`${r.lesson}: ${costLine(r.cost)}`));
      if (chaos !== undefined) {
        const { describeFault } = await import("../clients/faults");
        const { sortFaults } = await import("../clients/run-report");
        const faults = results.flatMap((r) => sortFaults(r.chaos?.faults ?? []).map((f) => `  ${r.lesson}: ${describeFault(f)}${f.test ? ` · in "${f.test}"` : ""}`));
        console.log(pc.dim(`Chaos: seed ${chaos} (replay with --chaos=${chaos}): ${faults.length} fault(s) injected.`));
        if (faults.length) console.log(pc.dim(faults.join("\n")));
      }
    }
    process.exitCode = results.every((r) => r.ok) ? 0 : 1;
  });

program
  .command("cost")
  .description("what the lesson's last check or demo would have cost on AWS, request by request, from the dated price table")
  .argument(...LESSON_ARG)
  .option("--json", "print the last run's summary as JSON")
  .action(async (ref: string | undefined, opts: { json?: boolean }) => {
    const lesson = resolveLesson(ref);
    if (opts.json) {
      const { readLessonRun } = await import("../clients/cost");
      const run = readLessonRun(lesson.slug);
      console.log(JSON.stringify(run ?? null, null, 2));
      process.exitCode = run ? 0 : 1;
      return;
    }
    const { describeLessonCost } = await import("./cost");
    console.log(describeLessonCost(lesson));
  });

program
  .command("watch")
  .description("check your exercise on every save, printing each verdict (the dashboard without the screen)")
  .argument(...LESSON_ARG)
  .option("--poll", "poll for saves instead of waiting for file events (WSL2, mounted folders); or WORKSHOP_POLL=1")
  .action(async (ref: string | undefined, opts: { poll?: boolean }) => {
    const lesson = resolveLesson(ref);
    const { runWatch } = await import("./watch");
    process.exit(await runWatch(lesson, { poll: opts.poll }));
  });

program
  .command("hint")
  .description("the next hint for the TODO you are on (from your last check), one at a time, from a nudge to nearly the answer")
  .argument(...LESSON_ARG)
  .option("--reset", "forget the hints shown so far, to start again from the first")
  .action(async (ref: string | undefined, opts: { reset?: boolean }) => {
    const lesson = resolveLesson(ref);
    if (opts.reset) {
      await forgetHints(lesson);
      return console.log(`The hints of lesson ${lesson.number} start again from the first.`);
    }
    console.log(`Lesson ${lesson.number} · ${lesson.title}`);
    console.log(describeHints(lesson, await nextHint(lesson), process.stdout.isTTY ? process.stdout.columns || 80 : 100));
  });

program
  .command("reset")
  .description("put back the untouched exercise (your version is kept in .workshop/backups/)")
  .argument(...LESSON_ARG)
  .option("-y, --yes", "do not ask first")
  .action(async (ref: string | undefined, opts: { yes?: boolean }) => {
    const lesson = resolveLesson(ref);
    const go = await askFirst(`Put back the untouched ${rel(lesson.exercise)}? Your version is kept in .workshop/backups/.`, { yes: opts.yes, flagHint: "--yes" });
    if (!go) {
      console.log("Nothing was changed.");
      process.exitCode = 1;
      return;
    }
    const outcome = await resetLesson(lesson);
    if (outcome.unchanged) return console.log(`${rel(lesson.exercise)} is already the untouched exercise: nothing to reset.`);
    console.log(pc.green(`${rel(lesson.exercise)} is the untouched exercise again (from git, ${outcome.commit}).`));
    if (outcome.backup) console.log(`Your version is kept in ${outcome.backup}.`);
  });

program
  .command("solution")
  .description("show the reference solution of the TODO you are on (asks first); --all: the whole file's difference")
  .argument(...LESSON_ARG)
  .option("-y, --yes", "do not ask first")
  .option("--all", "the difference between your whole exercise and the solution (through a pager when long)")
  .option("--todo <n>", "the reference of TODO n instead of the current one")
  .action(async (ref: string | undefined, opts: { yes?: boolean; all?: boolean; todo?: string }) => {
    const lesson = resolveLesson(ref);
    const n = opts.todo !== undefined ? Number(opts.todo) : currentTodo(lesson);
    const what = opts.all || n === undefined ? `the reference solution for lesson ${lesson.number}` : `the reference solution of TODO ${n} of lesson ${lesson.number}`;
    const go = await askFirst(`Show ${what}? (\`npm start -- hint\` first teaches more.)`, { yes: opts.yes, flagHint: "--yes" });
    if (!go) {
      console.log("Not shown.");
      process.exitCode = 1;
      return;
    }
    const { page } = await import("./pager");
    // The TypeScript compiler (to find the function) is loaded only by the commands that need it.
    const { describeSolution, describeStepSolution } = await import("./solution");
    if (opts.all) return page(describeSolution(lesson));
    const { text, whole } = describeStepSolution(lesson, n);
    await page(whole ? text : `${text}\n\n${pc.dim(`The whole file's difference from yours: npm start -- solution ${lesson.number} --all`)}`);
  });

program
  .command("doctor")
  .description("is this machine ready? Node, dependencies, Docker, Python and moto, the emulator, ports, credentials")
  .option("--json", "print the findings as JSON")
  .action(async (opts: { json?: boolean }) => {
    const { describeFindings, runDoctor } = await import("./doctor");
    const findings = await runDoctor();
    if (opts.json) console.log(JSON.stringify(findings, (k, v) => (typeof v === "string" ? v.replace(/\x1b\[[0-9;]*m/g, "") : v), 2));
    else console.log(describeFindings(findings));
    process.exitCode = findings.some((f) => f.level === "fail") ? 1 : 0;
  });

program
  .command("cleanup")
  .description("remove everything the workshop created (names nt-…, tag workshop=no-toca-boton) on the current endpoint")
  .option("--dry-run", "only list what would be removed")
  .option("-y, --yes", "do not ask first (asked only for real AWS)")
  .option("--json", "print what was removed as JSON")
  .option("--run <id>", "only what one run created (its run id): on a shared emulator, leave everyone else's alone")
  .action(async (opts: { dryRun?: boolean; yes?: boolean; json?: boolean; run?: string }) => {
    if (!process.env.AWS_ENDPOINT_URL && !realAwsAllowed() && !readSharedState() && !joinedRoom()) {
      console.log(
        "No emulator is running: AWS_ENDPOINT_URL is not set and `npm run emulator` is not running.\n" +
          "Each check starts an emulator of its own and everything in it goes when it stops: nothing to clean.",
      );
      return;
    }
    const { cleanup, describeCleanup } = await import("./cleanup");
    const emulator = await useEmulator();
    try {
      if (emulator.kind === "aws" && !opts.dryRun) {
        const go = await askFirst(`Remove everything named nt-… or tagged workshop=no-toca-boton from REAL AWS (region ${process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1"})?`, { yes: opts.yes, flagHint: "--yes" });
        if (!go) {
          console.log("Nothing was removed.");
          process.exitCode = 1;
          return;
        }
      }
      const spinner = ora({ text: "Looking for what the workshop created…", stream: process.stderr, discardStdin: false, isEnabled: !opts.json && Boolean(process.stderr.isTTY) });
      if (spinner.isEnabled) spinner.start();
      if ((emulator.kind === "shared" || emulator.kind === "endpoint") && !joinedRoom()) {
        if (!opts.run && !opts.json) console.error(pc.yellow(`This removes every workshop resource on ${emulator.endpoint}, also those of anyone else sharing it (--run <id> narrows it to one run).`));
      }
      const reports = await cleanup({ dryRun: opts.dryRun, run: opts.run }).finally(() => spinner.stop());
      if (opts.json) console.log(JSON.stringify({ endpoint: emulator.endpoint ?? "aws", dryRun: Boolean(opts.dryRun), services: reports }, null, 2));
      else console.log(describeCleanup(reports, emulator.description, Boolean(opts.dryRun), pc));
      process.exitCode = reports.some((r) => r.failed.length) ? 1 : 0;
    } finally {
      await emulator.stop();
    }
  });

const emulator = program.command("emulator").description("a long-lived emulator that checks and test runs reuse");
emulator
  .command("start")
  .description("start an emulator and keep it running until Ctrl-C")
  .option("--port <port>", "port to listen on", "4566")
  .option("--host <host>", "address to listen on (0.0.0.0 to serve a classroom)", "127.0.0.1")
  .option("--kind <kind>", "moto or localstack (default: LocalStack if Docker answers, else moto)")
  .action(async (opts: { port: string; host: string; kind?: "moto" | "localstack" }) => {
    const existing = readSharedState();
    if (existing && (await ping(existing.endpoint))) {
      console.log(`An emulator is already running at ${existing.endpoint} (process ${existing.pid}); checks and tests reuse it.`);
      return;
    }
    assertStateWritable(); // before starting anything: its endpoint is kept in .workshop/emulator.json
    const started = await startEmulator({ port: Number(opts.port), host: opts.host, kind: opts.kind });
    const endpoint = started.endpoint!.replace("0.0.0.0", "127.0.0.1");
    writeSharedState({ endpoint, pid: process.pid, kind: started.kind, startedAt: new Date().toISOString() });
    process.on("exit", () => clearSharedState());
    console.log(`${pc.green("●")} ${started.description} is running.`);
    console.log(`  Checks, \`npm test\` and \`npx tsx lessons/…\` in this folder now reuse it.`);
    console.log(`  Elsewhere, use it with: AWS_ENDPOINT_URL=${endpoint}`);
    console.log(`  Stop it with Ctrl-C here, or \`npm start -- emulator stop\`.`);
    // A warm checker too: `npm run check` in another terminal hands its check to this process.
    const { Checker } = await import("./checker");
    // Described as a check in another terminal would find it (the same words, handed over or not).
    const checker = new Checker({ kind: "shared", endpoint, description: `the shared ${started.kind} at ${endpoint} (npm run emulator)`, stop: async () => {} });
    await checker.serve();
    // The current lesson's file only: warming all of them would cost every check a few seconds now.
    const current = currentLesson(listLessons(), readProgress());
    if (current) checker.warm([current]);
    console.log(`  \`npm run check\` in this folder hands its check to this process (a warm check, type check included).`);
    // Ctrl-C or `emulator stop` ends this process; the emulator stops with it (see emulator/index.ts).
    // A container holds no handle in this process, so something must keep it alive until then.
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  });
emulator
  .command("stop")
  .description("stop the emulator started with `npm run emulator`")
  .action(async () => {
    const state = readSharedState();
    if (!state) return console.log("No shared emulator is running.");
    process.kill(state.pid, "SIGTERM");
    // Wait until it has stopped its emulator (a container's stop takes a moment), so that what
    // comes next finds nothing running. Its last act is to remove emulator.json (a process that
    // ended may linger as a zombie until its parent notices, so its pid alone does not tell).
    const stopped = () => !existsSync(SHARED_EMULATOR_FILE) || !pidAlive(state.pid);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !stopped()) await new Promise((resolve) => setTimeout(resolve, 200));
    if (!stopped()) throw new CliError(`The emulator's process ${state.pid} did not stop within 30 s; stop it with \`kill ${state.pid}\`.`);
    console.log(`Stopped the emulator at ${state.endpoint} (process ${state.pid}).`);
  });
emulator
  .command("status")
  .description("is the shared emulator running?")
  .action(async () => {
    const state = readSharedState();
    if (!state) {
      console.log("No shared emulator is running. Start one with `npm run emulator`.");
      process.exitCode = 1;
      return;
    }
    const up = await ping(state.endpoint);
    console.log(`${up ? "running" : "not answering"}: ${state.kind} at ${state.endpoint} (process ${state.pid})`);
    process.exitCode = up ? 0 : 1;
  });

registerClassroom(program);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CliError) {
    console.error(err.exitCode === 1 ? err.message : pc.red(err.message));
    process.exit(err.exitCode);
  }
  if (err instanceof UnknownLessonError || err instanceof UnsafeTargetError || err instanceof EmulatorSetupError) {
    console.error(pc.red(err.message));
    process.exit(2);
  }
  const plain = explainStateError(err);
  if (plain) {
    console.error(pc.red(plain));
    process.exit(2);
  }
  throw err;
}
