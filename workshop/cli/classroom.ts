// The classroom's commands: `classroom` and `classroom end` (the instructor), `join` and `leave`
// (an attendee). The room itself is in workshop/classroom/.
import type { Command } from "commander";
import { CliError } from "./errors";
import { pc } from "./ui";
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
    (removed.length ? `removed ${removed.join(", ")}` : pc.dim("nothing to remove")) +
    (failed.length ? pc.red(`; could not remove ${failed.join(", ")}`) : "");
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
    .description("instructors: one emulator for the room, an account per attendee, and a live page (until Ctrl-C)")
    .option("--port <port>", "the port of the room's door", "4566")
    .option("--host <host>", "the address the door listens on (127.0.0.1 for a room on this machine only)", "0.0.0.0")
    .option("--page-port <port>", "the port of the instructor's page (default: a free one)")
    .option("--endpoint <url>", "an emulator that already runs, instead of starting one")
    .option("--kind <kind>", "moto or localstack (default: LocalStack if Docker answers, else moto)")
    .option("--new", "a new room (a new code, nobody in it), even if the last one is remembered")
    .action(async (opts: { port: string; host: string; pagePort?: string; endpoint?: string; kind?: "moto" | "localstack"; new?: boolean }) => {
      const { openRoom } = await import("../classroom");
      const existing = readRoomState();
      if (existing?.running && alive(existing.running.pid) && existing.running.pid !== process.pid) {
        throw new CliError(`A classroom is already running here (process ${existing.running.pid}); its door is ${existing.running.door}.`);
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
      console.log(`${pc.green("●")} Room ${pc.bold(room.state.code)} is open: ${room.emulator.description}, behind the door at ${room.address}.`);
      if (known) console.log(pc.dim(`  (the room remembered from last time, with ${known} attendee${known === 1 ? "" : "s"}; --new starts an empty one)`));
      console.log("");
      console.log("  Put this on the projector:");
      console.log(`    ${pc.bold(room.joinLine)}`);
      console.log("");
      console.log(`  Your page (keep the address to yourself: its token is the key): ${room.pageUrl}`);
      console.log(`  When the workshop is over: ${pc.bold("npm start -- classroom end")} (removes every attendee's resources), then Ctrl-C here.`);
      await new Promise<void>((resolve) => {
        // Runs before the emulator's own handler, which stops it and ends the process at once.
        const stop = () => {
          console.log("\nThe room is closed: the door, the page and the emulator stop with this process.");
          void room.close().finally(resolve);
        };
        process.prependOnceListener("SIGINT", stop);
        process.prependOnceListener("SIGTERM", stop);
      });
      process.exit(0);
    });

  classroom
    .command("end")
    .description("remove every attendee's resources from the room's emulator, and forget the room")
    .action(async () => {
      const state = readRoomState();
      if (!state) return console.log("There is no room on this machine (no .workshop/classroom.json): nothing to end.");
      if (!state.running || !alive(state.running.pid)) {
        forgetRoomState();
        return console.log(`Room ${state.code} is not running, and its emulator went with it: nothing was left. The room is forgotten; \`npm start -- classroom\` opens a new one.`);
      }
      console.log(pc.bold(`Ending room ${state.code}: removing what each of its ${Object.keys(state.attendees).length} attendees created…`));
      const { removed, failed } = await endRoom(state, state.running.door);
      forgetRoomState();
      console.log("");
      console.log(
        failed
          ? pc.red(`Removed ${removed} resource${removed === 1 ? "" : "s"}; ${failed} could not be removed (see above).`)
          : pc.green(`Removed ${removed} resource${removed === 1 ? "" : "s"}: nothing is left in the room's emulator.`),
      );
      console.log(`The room is forgotten: the next \`npm start -- classroom\` opens a new one. Stop this one with Ctrl-C in its terminal.`);
      process.exitCode = failed ? 1 : 0;
    });

  program
    .command("join")
    .description("attendees: join the instructor's room (checks, demos, the dashboard and tests then go to it)")
    .argument("<code>", "the join code on the projector, CODE@ADDRESS:PORT (a bare CODE for a room on this machine)")
    .requiredOption("--name <name>", "your name, as the instructor will see it")
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
        return console.log(`You are already in room ${current.code} as ${current.name}. (\`npm start -- leave\` to leave it.)`);
      }
      if (current) throw new CliError(`You are in room ${current.code} (${current.endpoint}) as ${current.name}: \`npm start -- leave\` first.`);
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
      console.log(`${pc.green("✓")} You are in room ${pc.bold(room.code)} as ${pc.bold(room.name)}, in an AWS account of your own on the room's emulator (${room.account}).`);
      console.log(`  Your credentials: access key ${mask(room.accessKeyId)}, secret ${mask(room.secretAccessKey)} (kept in .workshop/room.json, sent only to the room).`);
      console.log(`  From now on every check, demo, \`npm test\` and the dashboard use the room at ${room.endpoint}; the instructor sees how your checks go.`);
      console.log(`  \`npm start -- leave\` removes what you created there and returns to a local emulator.`);
    });

  program
    .command("leave")
    .description("attendees: remove what you created in the room, and return to a local emulator")
    .action(async () => {
      const room = joinedRoom();
      if (!room) return console.log("You are not in a room: checks use a local emulator.");
      const { ping } = await import("../emulator");
      if (await ping(room.endpoint, 3000)) {
        const { cleanup } = await import("./cleanup");
        process.env.AWS_ENDPOINT_URL = room.endpoint;
        const result = summary(room.name, await cleanup({ maxWaitSeconds: 30 }));
        console.log(result.line.trim());
        if (result.failed) {
          process.exitCode = 1;
          return console.log(pc.red("Some of your resources could not be removed, so you are still in the room: try `npm start -- leave` again in a minute."));
        }
      } else {
        console.log(pc.yellow(`The room at ${room.endpoint} does not answer: what you created there stays until the instructor ends the room.`));
      }
      forgetRoom();
      console.log(`You left room ${room.code}. Checks use a local emulator again.`);
    });
}
