// The workshop's command line: `npm start` and its subcommands.
import { Command } from "commander";
import pc from "picocolors";
import { describeCheck, runCheck } from "./check";
import { clearSharedState, EmulatorSetupError, ping, readSharedState, startEmulator, writeSharedState } from "./emulator";
import { findLesson, listLessons, UnknownLessonError } from "./lessons";
import { UnsafeTargetError } from "./safety";

const program = new Command()
  .name("npm start --")
  .description("No toca BOTÓN: learn AWS from TypeScript against a local emulator.");

program
  .command("list", { isDefault: true })
  .description("list the lessons")
  .action(() => {
    for (const lesson of listLessons()) console.log(`  ${lesson.number}  ${lesson.slug.padEnd(22)} ${lesson.title}`);
    console.log(`\nCheck one with ${pc.bold("npm run check -- 04")}.`);
  });

program
  .command("check")
  .description("run a lesson's tests against your exercise (exit 0 only when they pass)")
  .argument("<lesson>", "lesson number or slug, e.g. 04 or 04-s3")
  .option("--solution", "check the reference solution instead of your exercise")
  .option("--json", "print the result as JSON")
  .action(async (ref: string, opts: { solution?: boolean; json?: boolean }) => {
    const lesson = findLesson(ref);
    const result = await runCheck(lesson, { target: opts.solution ? "solution" : "exercise" });
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else console.log(describeCheck(result, pc));
    process.exitCode = result.ok ? 0 : 1;
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
    const started = await startEmulator({ port: Number(opts.port), host: opts.host, kind: opts.kind });
    const endpoint = started.endpoint!.replace("0.0.0.0", "127.0.0.1");
    writeSharedState({ endpoint, pid: process.pid, kind: started.kind, startedAt: new Date().toISOString() });
    process.on("exit", () => clearSharedState());
    console.log(`${pc.green("●")} ${started.description} is running.`);
    console.log(`  Checks, \`npm test\` and \`npx tsx lessons/…\` in this folder now reuse it.`);
    console.log(`  Elsewhere, use it with: AWS_ENDPOINT_URL=${endpoint}`);
    console.log(`  Stop it with Ctrl-C here, or \`npm start -- emulator stop\`.`);
    // Ctrl-C or `emulator stop` ends this process; the emulator stops with it (see emulator.ts).
    await new Promise(() => {});
  });
emulator
  .command("stop")
  .description("stop the emulator started with `npm run emulator`")
  .action(() => {
    const state = readSharedState();
    if (!state) return console.log("No shared emulator is running.");
    process.kill(state.pid, "SIGTERM");
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

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof UnknownLessonError || err instanceof UnsafeTargetError || err instanceof EmulatorSetupError) {
    console.error(pc.red(err.message));
    process.exit(2);
  }
  throw err;
}
