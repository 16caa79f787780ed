// The classroom's commands: `classroom` and `classroom end` (the instructor), `join` and `leave`
// (an attendee). The room itself is in workshop/classroom/.
import type { Command } from "commander";
import { CliError } from "./errors";
import { pc } from "./ui";
import { t } from "../i18n";
import { assertSafeTarget, mask } from "../clients/safety";
import { forgetRoom, joinedRoom, rememberRoom, actAs, type JoinedRoom } from "../classroom/joined";
import { credentialsOf, forgetRoomState, readRoomState, writeRoomState, type RoomState } from "../classroom/room";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What the cleanup removed, in one line per attendee. */
function summary(name: string, reports: Array<{ service: string; removed: string[]; failed: string[] }>): { line: string; removed: number; failed: number } {
  const removed = reports.flatMap((r) => r.removed.map((what) => `${r.service} ${what}`));
  const failed = reports.flatMap((r) => r.failed.map((what) => `${r.service} ${what}`));
  const line =
    `  ${pc.bold(name)}: ` +
    (removed.length ? t("cleanup.line.removed", { what: removed.join(", ") }) : pc.dim(t("cleanup.line.nothing"))) +
    (failed.length ? pc.red(`; ${t("cleanup.line.failed", { what: failed.join(", ") })}`) : "");
  return { line, removed: removed.length, failed: failed.length };
}

/** The cleanup's name for each service as the SDK signs it. */
const CLEANED: Record<string, string> = { s3: "S3", sqs: "SQS", sns: "SNS", dynamodb: "DynamoDB", monitoring: "CloudWatch", iam: "IAM", elasticloadbalancing: "ELBv2", ec2: "EC2" };

/**
 * Removes every attendee's resources through the room's door, each in their own account, a few
 * attendees at a time, and only in the services each one used (moto sets up a whole EC2 region
 * for every account that asks, which is slow).
 */
export async function endRoom(state: RoomState, door: string, log: (line: string) => void = console.log): Promise<{ removed: number; failed: number }> {
  const { cleanup } = await import("./cleanup");
  const env = { ...process.env, AWS_ENDPOINT_URL: door };
  const attendees = Object.values(state.attendees).sort((a, b) => a.name.localeCompare(b.name));
  const results = new Array<ReturnType<typeof summary>>(attendees.length);
  let next = 0;
  const before = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = env.AWS_ENDPOINT_URL;
  try {
    const worker = async () => {
      while (next < attendees.length) {
        const i = next++;
        const attendee = attendees[i];
        const services = (attendee.services ?? []).map((s) => CLEANED[s]).filter(Boolean);
        const reports = services.length ? await actAs({ endpoint: door, credentials: credentialsOf(state, attendee.id) }, () => cleanup({ maxWaitSeconds: 30, services })) : [];
        results[i] = summary(attendee.name, reports);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    if (before === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = before;
  }
  for (const r of results) log(r.line);
  return { removed: results.reduce((n, r) => n + r.removed, 0), failed: results.reduce((n, r) => n + r.failed, 0) };
}

export function registerClassroom(program: Command): void {
  const classroom = program
    .command("classroom")
    .description(t("classroom.cli.describe"))
    .option("--port <port>", t("classroom.cli.opt.port"), "4566")
    .option("--host <host>", t("classroom.cli.opt.host"), "0.0.0.0")
    .option("--page-port <port>", t("classroom.cli.opt.pagePort"))
    .option("--endpoint <url>", t("classroom.cli.opt.endpoint"))
    .option("--kind <kind>", t("classroom.cli.opt.kind"))
    .option("--new", t("classroom.cli.opt.new"))
    .action(async (opts: { port: string; host: string; pagePort?: string; endpoint?: string; kind?: "moto" | "localstack"; new?: boolean }) => {
      const { openRoom } = await import("../classroom");
      const existing = readRoomState();
      if (existing?.running && alive(existing.running.pid) && existing.running.pid !== process.pid) {
        throw new CliError(t("classroom.cli.alreadyRunning", { pid: existing.running.pid, door: existing.running.door }));
      }
      const room = await openRoom({
        port: Number(opts.port), host: opts.host, pagePort: opts.pagePort ? Number(opts.pagePort) : undefined,
        endpoint: opts.endpoint, kind: opts.kind, fresh: opts.new,
      });
      process.on("exit", () => {
        // Ctrl-C ends the process before anything asynchronous could run: note synchronously that the room is closed.
        const latest = readRoomState();
        if (latest?.running?.pid === process.pid) {
          delete latest.running;
          writeRoomState(latest);
        }
      });
      const known = Object.keys(room.state.attendees).length;
      console.log(t("classroom.cli.open", { dot: pc.green("●"), code: pc.bold(room.state.code), emulator: room.emulator.description, address: room.address }));
      if (known) console.log(pc.dim(known === 1 ? t("classroom.cli.remembered.one") : t("classroom.cli.remembered.many", { n: known })));
      console.log("");
      console.log(t("classroom.cli.projector"));
      console.log(`    ${pc.bold(room.joinLine)}`);
      console.log("");
      console.log(t("classroom.cli.page", { url: room.pageUrl }));
      console.log(t("classroom.cli.whenOver", { command: pc.bold("npm start -- classroom end") }));
      await new Promise<void>((resolve) => {
        // Runs before the emulator's own handler, which stops it and ends the process at once.
        const stop = () => {
          console.log(`\n${t("classroom.cli.closed")}`);
          void room.close().finally(resolve);
        };
        process.prependOnceListener("SIGINT", stop);
        process.prependOnceListener("SIGTERM", stop);
      });
      process.exit(0);
    });

  classroom
    .command("end")
    .description(t("classroom.cli.end.describe"))
    .action(async () => {
      const state = readRoomState();
      if (!state) return console.log(t("classroom.cli.end.noRoom"));
      if (!state.running || !alive(state.running.pid)) {
        forgetRoomState();
        return console.log(t("classroom.cli.end.notRunning", { code: state.code }));
      }
      console.log(pc.bold(t("classroom.cli.end.ending", { code: state.code, n: Object.keys(state.attendees).length })));
      const { removed, failed } = await endRoom(state, state.running.door);
      forgetRoomState();
      console.log("");
      console.log(
        failed
          ? pc.red(t(removed === 1 ? "classroom.cli.end.failed.one" : "classroom.cli.end.failed.many", { removed, failed }))
          : pc.green(removed === 1 ? t("classroom.cli.end.done.one") : t("classroom.cli.end.done.many", { n: removed })),
      );
      console.log(t("classroom.cli.end.forgotten"));
      process.exitCode = failed ? 1 : 0;
    });

  program
    .command("join")
    .description(t("classroom.cli.join.describe"))
    .argument("<code>", t("classroom.cli.join.code"))
    .requiredOption("--name <name>", t("classroom.cli.join.name"))
    .action(async (code: string, opts: { name: string }) => {
      const { hello, joinRoom, parseJoinCode, JoinError } = await import("../classroom/attendee");
      const current = joinedRoom();
      let target: { code: string; endpoint: string };
      try {
        target = parseJoinCode(code);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (current && current.endpoint === target.endpoint && current.code === target.code) {
        return console.log(t("classroom.cli.join.already", { code: current.code, name: current.name }));
      }
      if (current) throw new CliError(t("classroom.cli.join.elsewhere", { code: current.code, endpoint: current.endpoint, name: current.name }));
      // The safety guard decides what is local (a private LAN address is).
      assertSafeTarget(target.endpoint);
      let room: JoinedRoom;
      try {
        room = await joinRoom(code, opts.name);
        rememberRoom(room);
        await hello(room);
      } catch (err) {
        if (err instanceof JoinError) throw new CliError(err.message);
        throw err;
      }
      console.log(t("classroom.cli.join.in", { mark: pc.green("✓"), code: pc.bold(room.code), name: pc.bold(room.name), account: room.account }));
      console.log(t("classroom.cli.join.credentials", { key: mask(room.accessKeyId), secret: mask(room.secretAccessKey) }));
      console.log(t("classroom.cli.join.fromNow", { endpoint: room.endpoint }));
      console.log(t("classroom.cli.join.leaveHint"));
    });

  program
    .command("leave")
    .description(t("classroom.cli.leave.describe"))
    .action(async () => {
      const room = joinedRoom();
      if (!room) return console.log(t("classroom.cli.leave.notIn"));
      const { ping } = await import("../emulator");
      if (await ping(room.endpoint, 3000)) {
        const { cleanup } = await import("./cleanup");
        process.env.AWS_ENDPOINT_URL = room.endpoint;
        const result = summary(room.name, await cleanup({ maxWaitSeconds: 30 }));
        console.log(result.line.trim());
        if (result.failed) {
          process.exitCode = 1;
          return console.log(pc.red(t("classroom.cli.leave.stillIn")));
        }
      } else {
        console.log(pc.yellow(t("classroom.cli.leave.noAnswer", { endpoint: room.endpoint })));
      }
      forgetRoom();
      console.log(t("classroom.cli.leave.left", { code: room.code }));
    });
}
