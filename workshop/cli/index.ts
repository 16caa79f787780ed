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
import { t, type Lang } from "../i18n";

const HELP_TITLES: Record<string, string> = {
  "Usage:": t("cli.help.usage"),
  "Options:": t("cli.help.options"),
  "Commands:": t("cli.help.commands"),
  "Arguments:": t("cli.help.arguments"),
};

const program = new Command()
  .name("npm start --")
  .description(`No toca BOTÓN: ${t("cli.tagline")}.`)
  .enablePositionalOptions()
  .showHelpAfterError(t("cli.help.afterError"))
  .addHelpText("after", `\n${t("cli.help.after")}`)
  // Commander's own words in --help, in the learner's language (every command made below inherits them).
  .helpOption("-h, --help", t("cli.help.option"))
  .helpCommand("help [command]", t("cli.help.command"))
  .configureHelp({ styleTitle: (title) => HELP_TITLES[title] ?? title });

const LESSON_ARG = ["[lesson]", t("cli.arg.lesson")] as const;

function printStatus(): void {
  const lessons = listLessons();
  const progress = readProgress();
  console.log(statusReport(lessons, progress, currentLesson(lessons, progress)?.slug));
}

// No subcommand: the dashboard.
program
  .option("--poll", t("cli.opt.poll"))
  .allowExcessArguments(true)
  .action(async (opts: { poll?: boolean }, command: Command) => {
    if (command.args.length > 0) {
      const names = program.commands.map((c) => c.name());
      command.error(t("cli.unknownCommand", { command: command.args[0], commands: names.join(", ") }));
    }
    // Without a terminal (CI, `npm start | cat`) there is nothing to interact with: print the table.
    if (!process.stdout.isTTY || !process.stdin.isTTY) return printStatus();
    const { runDashboard } = await import("./dashboard");
    process.exit(await runDashboard({ poll: opts.poll }));
  });

program
  .command("list")
  .description(t("cli.cmd.list"))
  .option("--json", t("cli.opt.listJson"))
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
  .description(t("cli.cmd.check"))
  .argument("[lessons...]", t("cli.arg.lessons"))
  .option("--solution", t("cli.opt.solution"))
  .option("--all", t("cli.opt.checkAll"))
  .option("--json", t("cli.opt.json"))
  .option("--chaos [seed]", t("cli.opt.chaos"))
  .option("-y, --yes", t("cli.opt.yesSpend"))
  .option("--full", t("cli.opt.full"))
  .action(async (refs: string[], opts: { solution?: boolean; all?: boolean; json?: boolean; chaos?: boolean | string; yes?: boolean; full?: boolean }) => {
    if (opts.all && refs.length > 0) throw new CliError(t("cli.check.allAndNames"));
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
    if (chaos !== undefined && !opts.json) console.error(pc.yellow(t("cli.check.chaos", { seed: chaos })));
    if (lessons.length === 0) throw new CliError(t("cli.noLessonFolders"));
    const target = opts.solution ? "solution" : "exercise";
    const many = lessons.length > 1;
    const spinnerText = many ? t("cli.check.checkingMany", { n: lessons.length }) : t("cli.check.checking", { file: rel(target === "solution" ? lessons[0].solution : lessons[0].exercise) });
    const spinner = ora({ text: spinnerText, stream: process.stderr, discardStdin: false, isEnabled: !opts.json && Boolean(process.stderr.isTTY) });
    const { runChecksHere } = await import("./remote");
    const results = await runChecksHere(lessons, target, spinner, chaos, opts.full);
    const { saveCheckResults } = await import("../clients/run-report");
    saveCheckResults(results);
    if (target === "exercise") for (const result of results) await recordCheck(result);
    else if (joinedRoom()) for (const result of results) await (await import("../classroom/attendee")).reportCheck(result); // the room's page sees solution checks too
    const { describeCheck, failureName, localizeTestName } = await import("../check/verdict");
    if (!many) {
      const [result] = results;
      console.log(opts.json ? JSON.stringify(result, null, 2) : describeCheck(result, pc));
    } else if (opts.json) {
      console.log(JSON.stringify(results, null, 2));
    } else if (opts.all) {
      for (const r of results) {
        const count = `${r.passed}/${r.passed + r.failed}`.padEnd(7);
        const failure = r.first ?? r.failures[0];
        const why = r.ok ? "" : r.loadError ? pc.red(r.loadError.split("\n")[0]) : r.nextTodo ? t(r.nextTodo.location ? "cli.check.nextAt" : "cli.check.nextTodo", { n: r.nextTodo.n, location: r.nextTodo.location ?? "" }) : pc.red(failure ? failureName(failure) : t("check.failedNoMessage"));
        console.log(`${r.ok ? pc.green("✓") : pc.red("✗")} ${r.lesson.padEnd(24)} ${count} ${why}`);
      }
    } else {
      console.log(results.map((r) => describeCheck(r, pc)).join("\n\n"));
    }
    if (many && !opts.json) {
      const passing = results.filter((r) => r.ok).length;
      console.log(`\n${t(target === "solution" ? "cli.check.summarySolutions" : "cli.check.summaryExercises", { passing, total: results.length })}`);
      const { costLine } = await import("../clients/cost");
      for (const r of results) if (r.cost) console.log(pc.dim(`${r.lesson}: ${costLine(r.cost)}`));
      if (chaos !== undefined) {
        const { describeFault } = await import("../clients/faults");
        const { sortFaults } = await import("../clients/run-report");
        const faults = results.flatMap((r) => sortFaults(r.chaos?.faults ?? []).map((f) => `  ${r.lesson}: ${describeFault(f)}${f.test ? ` · ${t("cli.check.inTest", { test: localizeTestName(f.test) })}` : ""}`));
        console.log(pc.dim(t("cli.check.chaosFaults", { seed: chaos, n: faults.length })));
        if (faults.length) console.log(pc.dim(faults.join("\n")));
      }
    }
    process.exitCode = results.every((r) => r.ok) ? 0 : 1;
  });

program
  .command("cost")
  .description(t("cli.cmd.cost"))
  .argument(...LESSON_ARG)
  .option("--json", t("cli.opt.costJson"))
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
  .description(t("cli.cmd.watch"))
  .argument(...LESSON_ARG)
  .option("--poll", t("cli.opt.poll"))
  .action(async (ref: string | undefined, opts: { poll?: boolean }) => {
    const lesson = resolveLesson(ref);
    const { runWatch } = await import("./watch");
    process.exit(await runWatch(lesson, { poll: opts.poll }));
  });

program
  .command("hint")
  .description(t("cli.cmd.hint"))
  .argument(...LESSON_ARG)
  .option("--reset", t("cli.opt.hintReset"))
  .action(async (ref: string | undefined, opts: { reset?: boolean }) => {
    const lesson = resolveLesson(ref);
    if (opts.reset) {
      await forgetHints(lesson);
      return console.log(t("cli.hint.reset", { number: lesson.number }));
    }
    console.log(t("cli.lesson.heading", { number: lesson.number, title: lesson.title }));
    console.log(describeHints(lesson, await nextHint(lesson), process.stdout.isTTY ? process.stdout.columns || 80 : 100));
  });

program
  .command("reset")
  .description(t("cli.cmd.reset"))
  .argument(...LESSON_ARG)
  .option("-y, --yes", t("cli.opt.yes"))
  .action(async (ref: string | undefined, opts: { yes?: boolean }) => {
    const lesson = resolveLesson(ref);
    const go = await askFirst(t("cli.reset.ask", { file: rel(lesson.exercise) }), { yes: opts.yes, flagHint: "--yes" });
    if (!go) {
      console.log(t("cli.nothingChanged"));
      process.exitCode = 1;
      return;
    }
    const outcome = await resetLesson(lesson);
    if (outcome.unchanged) return console.log(t("cli.reset.unchanged", { file: rel(lesson.exercise) }));
    console.log(pc.green(t("cli.reset.done", { file: rel(lesson.exercise), commit: outcome.commit })));
    if (outcome.backup) console.log(t("cli.reset.backup", { backup: outcome.backup }));
  });

program
  .command("solution")
  .description(t("cli.cmd.solution"))
  .argument(...LESSON_ARG)
  .option("-y, --yes", t("cli.opt.yes"))
  .option("--all", t("cli.opt.solutionAll"))
  .option("--todo <n>", t("cli.opt.solutionTodo"))
  .action(async (ref: string | undefined, opts: { yes?: boolean; all?: boolean; todo?: string }) => {
    const lesson = resolveLesson(ref);
    const n = opts.todo !== undefined ? Number(opts.todo) : currentTodo(lesson);
    const question = opts.all || n === undefined ? t("cli.solution.askLesson", { number: lesson.number }) : t("cli.solution.askTodo", { n, number: lesson.number });
    const go = await askFirst(question, { yes: opts.yes, flagHint: "--yes" });
    if (!go) {
      console.log(t("cli.solution.notShown"));
      process.exitCode = 1;
      return;
    }
    const { page } = await import("./pager");
    // The TypeScript compiler (to find the function) is loaded only by the commands that need it.
    const { describeSolution, describeStepSolution } = await import("./solution");
    if (opts.all) return page(describeSolution(lesson));
    const { text, whole } = describeStepSolution(lesson, n);
    await page(whole ? text : `${text}\n\n${pc.dim(t("cli.solution.wholeHint", { command: `npm start -- solution ${lesson.number} --all` }))}`);
  });

program
  .command("doctor")
  .description(t("cli.cmd.doctor"))
  .option("--json", t("cli.opt.doctorJson"))
  .action(async (opts: { json?: boolean }) => {
    const { describeFindings, runDoctor } = await import("./doctor");
    const findings = await runDoctor();
    if (opts.json) console.log(JSON.stringify(findings, (k, v) => (typeof v === "string" ? v.replace(/\x1b\[[0-9;]*m/g, "") : v), 2));
    else console.log(describeFindings(findings));
    process.exitCode = findings.some((f) => f.level === "fail") ? 1 : 0;
  });

program
  .command("cleanup")
  .description(t("cli.cmd.cleanup"))
  .option("--dry-run", t("cli.opt.dryRun"))
  .option("-y, --yes", t("cli.opt.yesCleanup"))
  .option("--json", t("cli.opt.cleanupJson"))
  .option("--run <id>", t("cli.opt.run"))
  .action(async (opts: { dryRun?: boolean; yes?: boolean; json?: boolean; run?: string }) => {
    if (!process.env.AWS_ENDPOINT_URL && !realAwsAllowed() && !readSharedState() && !joinedRoom()) {
      console.log(t("cli.cleanup.noEmulator"));
      return;
    }
    const { cleanup, describeCleanup } = await import("./cleanup");
    const emulator = await useEmulator();
    try {
      if (emulator.kind === "aws" && !opts.dryRun) {
        const go = await askFirst(t("cli.cleanup.askAws", { region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1" }), { yes: opts.yes, flagHint: "--yes" });
        if (!go) {
          console.log(t("cli.cleanup.nothingRemoved"));
          process.exitCode = 1;
          return;
        }
      }
      const spinner = ora({ text: t("cli.cleanup.looking"), stream: process.stderr, discardStdin: false, isEnabled: !opts.json && Boolean(process.stderr.isTTY) });
      if (spinner.isEnabled) spinner.start();
      if ((emulator.kind === "shared" || emulator.kind === "endpoint") && !joinedRoom()) {
        if (!opts.run && !opts.json) console.error(pc.yellow(t("cli.cleanup.shared", { endpoint: emulator.endpoint ?? "" })));
      }
      const reports = await cleanup({ dryRun: opts.dryRun, run: opts.run }).finally(() => spinner.stop());
      if (opts.json) console.log(JSON.stringify({ endpoint: emulator.endpoint ?? "aws", dryRun: Boolean(opts.dryRun), services: reports }, null, 2));
      else console.log(describeCleanup(reports, emulator.description, Boolean(opts.dryRun), pc));
      process.exitCode = reports.some((r) => r.failed.length) ? 1 : 0;
    } finally {
      await emulator.stop();
    }
  });

const emulator = program.command("emulator").description(t("cli.cmd.emulator"));
emulator
  .command("start")
  .description(t("cli.cmd.emulatorStart"))
  .option("--port <port>", t("cli.opt.port"), "4566")
  .option("--host <host>", t("cli.opt.host"), "127.0.0.1")
  .option("--kind <kind>", t("cli.opt.kind"))
  .action(async (opts: { port: string; host: string; kind?: "moto" | "localstack" }) => {
    const existing = readSharedState();
    if (existing && (await ping(existing.endpoint))) {
      console.log(t("cli.emulator.already", { endpoint: existing.endpoint, pid: existing.pid }));
      return;
    }
    assertStateWritable(); // before starting anything: its endpoint is kept in .workshop/emulator.json
    const started = await startEmulator({ port: Number(opts.port), host: opts.host, kind: opts.kind });
    const endpoint = started.endpoint!.replace("0.0.0.0", "127.0.0.1");
    writeSharedState({ endpoint, pid: process.pid, kind: started.kind, startedAt: new Date().toISOString() });
    process.on("exit", () => clearSharedState());
    console.log(`${pc.green("●")} ${t("cli.emulator.running", { emulator: started.description })}`);
    console.log(`  ${t("cli.emulator.reused")}`);
    console.log(`  ${t("cli.emulator.elsewhere", { endpoint })}`);
    console.log(`  ${t("cli.emulator.howStop")}`);
    // A warm checker too: `npm run check` in another terminal hands its check to this process.
    const { Checker } = await import("./checker");
    // Described as a check in another terminal would find it (the same words, handed over or not).
    const describe = (language?: Lang) => t("cli.emulator.shared", { kind: started.kind, endpoint }, language);
    const checker = new Checker({ kind: "shared", endpoint, description: describe(), stop: async () => {} }, describe);
    await checker.serve();
    // The current lesson's file only: warming all of them would cost every check a few seconds now.
    const current = currentLesson(listLessons(), readProgress());
    if (current) checker.warm([current]);
    console.log(`  ${t("cli.emulator.handoff")}`);
    // Ctrl-C or `emulator stop` ends this process; the emulator stops with it (see emulator/index.ts).
    // A container holds no handle in this process, so something must keep it alive until then.
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  });
emulator
  .command("stop")
  .description(t("cli.cmd.emulatorStop"))
  .action(async () => {
    const state = readSharedState();
    if (!state) return console.log(t("cli.emulator.none"));
    process.kill(state.pid, "SIGTERM");
    // Wait until it has stopped its emulator (a container's stop takes a moment), so that what
    // comes next finds nothing running. Its last act is to remove emulator.json (a process that
    // ended may linger as a zombie until its parent notices, so its pid alone does not tell).
    const stopped = () => !existsSync(SHARED_EMULATOR_FILE) || !pidAlive(state.pid);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !stopped()) await new Promise((resolve) => setTimeout(resolve, 200));
    if (!stopped()) throw new CliError(t("cli.emulator.didNotStop", { pid: state.pid }));
    console.log(t("cli.emulator.stopped", { endpoint: state.endpoint, pid: state.pid }));
  });
emulator
  .command("status")
  .description(t("cli.cmd.emulatorStatus"))
  .action(async () => {
    const state = readSharedState();
    if (!state) {
      console.log(t("cli.emulator.noneStart"));
      process.exitCode = 1;
      return;
    }
    const up = await ping(state.endpoint);
    console.log(t(up ? "cli.emulator.statusUp" : "cli.emulator.statusDown", { kind: state.kind, endpoint: state.endpoint, pid: state.pid }));
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
