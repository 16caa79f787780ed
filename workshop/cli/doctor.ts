// `npm start -- doctor`: is this machine ready for the workshop? One line per check, and for
// each problem what to do. Exits 0 when nothing blocks the lessons (warnings do not).
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import getPort from "get-port";
import ora from "ora";
import { clientConfig } from "../clients";
import { dockerEngine, imagePresent, ryukImage, type DockerEngine } from "../emulator/docker";
import { localStackImage } from "../emulator/localstack";
import { LOCALSTACK_DEFAULT_IMAGE, ping, portFree, readSharedState, startEmulator } from "../emulator";
import { listLessons, rel } from "../lessons";
import { findPython, motoInstalled, MOTO_VENV } from "../emulator/moto";
import { ROOT, STATE_DIR } from "../paths";
import { assertSafeTarget, DUMMY_CREDENTIALS, isLocalEndpoint, REAL_AWS_FLAG, realAwsAllowed, realCredentialsInEnv, UnsafeTargetError } from "../clients/safety";
import { MARK, pc } from "./ui";

export type Level = "ok" | "warn" | "fail";

export interface Finding {
  level: Level;
  /** What was found, in one line. */
  title: string;
  /** What to do about it (for warnings and failures). */
  fix?: string;
}

type Env = Record<string, string | undefined>;

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function readPackageJson(root = ROOT): { engines?: { node?: string }; dependencies?: Record<string, string>; devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
}

export function checkNode(version = process.versions.node): Finding {
  const wanted = /(\d+(?:\.\d+){0,2})/.exec(readPackageJson().engines?.node ?? ">=20")?.[1] ?? "20";
  if (!versionAtLeast(version, wanted)) {
    return {
      level: "fail",
      title: `Node ${version} is too old: the workshop needs ${wanted} or newer`,
      fix: `Install Node ${wanted.split(".")[0]} LTS or newer (https://nodejs.org, or nvm/fnm), then run \`npm install\` again.`,
    };
  }
  const major = Number(version.split(".")[0]);
  return {
    level: "ok",
    title:
      `Node ${version} (the workshop needs ${wanted} or newer)` +
      (major < 22 ? pc.dim("; the AWS SDK's releases from 2027 need Node 22, the locked versions here run on 20") : ""),
  };
}

export function checkDependencies(root = ROOT): Finding {
  const pkg = readPackageJson(root);
  const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
  const wanted = { ...pkg.dependencies, ...pkg.devDependencies };
  const missing: string[] = [];
  const devMissing: string[] = [];
  const different: string[] = [];
  for (const [name, version] of Object.entries(wanted)) {
    const file = join(root, "node_modules", name, "package.json");
    if (!existsSync(file)) {
      (dev.has(name) ? devMissing : missing).push(name);
      continue;
    }
    const installed = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    if (/^\d/.test(version) && installed !== version) different.push(`${name} ${installed} (wanted ${version})`);
  }
  const total = Object.keys(wanted).length;
  const list = (names: string[]) => `${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""}`;
  if (missing.length) {
    return { level: "fail", title: `${missing.length} of ${total} dependencies are not installed: ${list(missing)}`, fix: "Run `npm install` in the workshop's folder." };
  }
  if (devMissing.length) {
    return { level: "warn", title: `The lessons' dependencies are installed; the workshop's own tests also need ${list(devMissing)}`, fix: "Run `npm install` (without --omit=dev) to run `npm test`." };
  }
  if (different.length) {
    return { level: "warn", title: `${different.length} dependencies differ from package.json: ${different.slice(0, 3).join(", ")}`, fix: "Run `npm ci` to install exactly the versions the workshop was tested with." };
  }
  return { level: "ok", title: `All ${total} dependencies are installed` };
}

export interface DockerStatus {
  engine?: DockerEngine;
  /** Is LocalStack's image on the engine (a check never downloads it)? */
  localstackImage: boolean;
  ryukImage: boolean;
}

/** The Docker engine as Testcontainers finds it, and whether LocalStack's images are on it. */
export async function checkDocker(env: Env = process.env): Promise<{ findings: Finding[]; docker: DockerStatus }> {
  const chosen = env.WORKSHOP_EMULATOR;
  const findings: Finding[] = [];
  if (chosen && chosen !== "moto" && chosen !== "localstack") {
    findings.push({ level: "fail", title: `WORKSHOP_EMULATOR=${chosen} is neither moto nor localstack`, fix: "Set WORKSHOP_EMULATOR=moto or WORKSHOP_EMULATOR=localstack, or unset it to let the workshop choose." });
  }
  const engine = await dockerEngine();
  if (!engine) {
    findings.push({
      level: chosen === "localstack" ? "fail" : "ok",
      title: "No Docker engine answers: the workshop uses moto (Python) instead, which is fine",
      ...(chosen === "localstack" ? { fix: "WORKSHOP_EMULATOR=localstack needs Docker: start Docker (Docker Desktop, colima, …) or unset WORKSHOP_EMULATOR." } : {}),
    });
    return { findings, docker: { localstackImage: false, ryukImage: false } };
  }
  const image = localStackImage();
  const [localstackImage, ryuk] = await Promise.all([imagePresent(engine, image), imagePresent(engine, ryukImage())]);
  findings.push({ level: "ok", title: `A Docker engine answers (${engine.uri}), as Testcontainers finds it` + (chosen === "moto" ? pc.dim("; WORKSHOP_EMULATOR=moto: not used") : "") });
  if (chosen !== "moto") {
    findings.push(
      localstackImage
        ? { level: "ok", title: `LocalStack's image ${image} is on this machine` }
        : {
            level: "warn",
            title: `LocalStack's image ${image} is not on this machine: ` + (chosen === "localstack" ? "the first check downloads it (about 1 GB)" : "checks use moto until it is there"),
            fix: "Run `npm run setup` on a good network (the night before a workshop): it pulls LocalStack's images.",
          },
      ryuk || env.TESTCONTAINERS_RYUK_DISABLED === "true"
        ? { level: "ok", title: ryuk ? `Testcontainers' reaper ${ryukImage()} is on this machine` : "TESTCONTAINERS_RYUK_DISABLED=true: LocalStack runs without the reaper" }
        : { level: "ok", title: `Testcontainers' reaper ${ryukImage()} is not on this machine: LocalStack runs without it` + pc.dim(" (the workshop removes its containers itself; `npm run setup` pulls it)") },
    );
  }
  return { findings, docker: { engine, localstackImage, ryukImage: ryuk } };
}

export function checkPython(needed: boolean): Finding[] {
  const python = findPython();
  const findings: Finding[] = [];
  if (!python) {
    findings.push({
      level: needed ? "fail" : "warn",
      title: "No Python 3.9+ found, so moto (the embedded emulator) cannot run",
      fix:
        "Install Python 3 (https://www.python.org/downloads/; Debian/Ubuntu: sudo apt install python3 python3-venv), or point WORKSHOP_PYTHON at one" +
        (needed ? ". Or start Docker, or set AWS_ENDPOINT_URL to a running emulator." : "."),
    });
    return findings;
  }
  findings.push({ level: "ok", title: `Python ${python.version} (${[python.command, ...python.args].join(" ")})` });
  if (motoInstalled()) {
    const pinned = /moto\[[^\]]*\]==([\d.]+)/.exec(readFileSync(join(ROOT, "workshop", "emulator", "moto", "requirements.txt"), "utf8"))?.[1];
    findings.push({ level: "ok", title: `moto ${pinned ?? ""} is installed in ${rel(MOTO_VENV)}`.replace("  ", " ") });
  } else {
    findings.push({
      level: needed ? "warn" : "ok",
      title: needed ? "moto is not installed yet" : "moto is not installed (not needed now; it is what checks fall back to when LocalStack cannot start: `npm run setup` installs it)",
      ...(needed ? { fix: "Run `npm run setup` now (about 30 s); otherwise the first check installs it." } : {}),
    });
  }
  return findings;
}

/** Does the endpoint speak AWS? STS GetCallerIdentity, with the workshop's own (dummy) credentials. */
async function answersAsAws(endpoint: string): Promise<string | undefined> {
  // clientConfig() runs the safety guard on this endpoint, as every client of the workshop does.
  const sts = new STSClient({ ...clientConfig({ ...process.env, AWS_ENDPOINT_URL: endpoint }), maxAttempts: 1 });
  try {
    const me = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(5000) });
    return me.Account;
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}

/** Which emulator a check would use right now, and whether it answers (the resolution of emulator/index.ts, without keeping anything running). */
export async function checkEmulator(env: Env, docker: DockerStatus | undefined, canStartMoto: boolean): Promise<Finding[]> {
  const fromEnv = env.AWS_ENDPOINT_URL;
  if (fromEnv) {
    try {
      assertSafeTarget(fromEnv, env);
    } catch (err) {
      if (!(err instanceof UnsafeTargetError)) throw err;
      return [{ level: "fail", title: `AWS_ENDPOINT_URL=${fromEnv} is not a local emulator, so the workshop refuses it`, fix: "Unset AWS_ENDPOINT_URL (the workshop starts its own emulator), or point it at a local one such as http://localhost:4566." }];
    }
    if (!(await ping(fromEnv))) {
      return [{ level: "fail", title: `AWS_ENDPOINT_URL=${fromEnv} is set, and nothing answers there`, fix: "Start that emulator (`npm run emulator -- --port …`, `docker compose up -d`), or unset AWS_ENDPOINT_URL." }];
    }
    const account = await answersAsAws(fromEnv);
    return [{ level: account ? "ok" : "warn", title: `Checks use the emulator at ${fromEnv} (AWS_ENDPOINT_URL)` + (account ? `: it answers (account ${account})` : ": it answers HTTP but not STS"), ...(account ? {} : { fix: "Is it an AWS emulator (moto, LocalStack)? Check the URL and port." }) }];
  }
  if (realAwsAllowed(env)) {
    return [{ level: "warn", title: `${REAL_AWS_FLAG}=1: checks go to real AWS, which costs money`, fix: `Unset ${REAL_AWS_FLAG} to use an emulator; \`npm start -- cleanup\` removes what the lessons created.` }];
  }
  const shared = readSharedState();
  if (shared) {
    if (!(await ping(shared.endpoint))) {
      return [{ level: "fail", title: `The shared emulator (process ${shared.pid}) does not answer at ${shared.endpoint}`, fix: "Stop it with `npm start -- emulator stop` and start it again with `npm run emulator`." }];
    }
    return [{ level: "ok", title: `Checks reuse the shared ${shared.kind} at ${shared.endpoint} (npm run emulator): it answers` }];
  }
  // What a check would start right now: the same decision as startEmulator(), then proven by
  // starting it and sending one request.
  const chosen = env.WORKSHOP_EMULATOR;
  if (chosen && chosen !== "moto" && chosen !== "localstack") return []; // reported with Docker
  if (chosen === "localstack" && !docker?.engine) return []; // reported with Docker
  const image = env.LOCALSTACK_IMAGE || LOCALSTACK_DEFAULT_IMAGE;
  if (chosen === "localstack" && !docker?.localstackImage) {
    return [{ level: "warn", title: `Each check would start LocalStack (${image}), after downloading it`, fix: "Run `npm run setup` first: a check on a slow network would wait for the download." }];
  }
  const wantsLocalStack = chosen !== "moto" && Boolean(docker?.engine && docker.localstackImage);
  if (!wantsLocalStack && !canStartMoto) {
    const why = docker?.engine && chosen !== "moto" ? " (LocalStack's image is not here)" : "";
    return [{ level: "warn", title: `Each check would start moto${why}, which is not installed yet`, fix: "Run `npm run setup`, then `npm start -- doctor` again." }];
  }
  const spinner = ora({ text: `Starting ${wantsLocalStack ? "LocalStack" : "moto"} to see that it answers…`, stream: process.stderr, discardStdin: false }).start();
  const started = Date.now();
  let fallback: string | undefined;
  let emulator;
  try {
    // Without moto ready, a LocalStack that fails must not turn into a 30 s install here.
    emulator = await startEmulator({ kind: wantsLocalStack ? (canStartMoto ? undefined : "localstack") : "moto", onFallback: (reason) => (fallback = reason) });
    const account = await answersAsAws(emulator.endpoint!);
    spinner.stop();
    const what = emulator.kind === "localstack" ? `LocalStack (${image}) in Docker` : "moto on a free port";
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const findings: Finding[] = [];
    if (fallback) findings.push({ level: "warn", title: `LocalStack would not start: ${fallback}`, fix: "Checks use moto, which works; WORKSHOP_EMULATOR=moto skips Docker, WORKSHOP_EMULATOR=localstack makes this an error." });
    findings.push({
      level: account ? "ok" : "fail",
      title: `Each check starts ${what}: it started in ${secs} s` + (account ? ` and answers (account ${account})` : " but does not answer STS"),
      ...(account ? {} : { fix: emulator.kind === "moto" ? "Delete .workshop/moto-venv and run `npm run setup` again." : "Try WORKSHOP_EMULATOR=moto, and look at `docker logs` of LocalStack's container." }),
    });
    return findings;
  } catch (err) {
    spinner.stop();
    return [{ level: "fail", title: `The emulator did not start: ${(err as Error).message.split("\n")[0]}`, fix: "Run `npm run setup` again; WORKSHOP_EMULATOR=moto avoids Docker." }];
  } finally {
    await emulator?.stop();
  }
}

export async function checkPorts(env: Env = process.env): Promise<Finding[]> {
  const findings: Finding[] = [];
  const shared = readSharedState();
  const usedByUs = [shared?.endpoint, env.AWS_ENDPOINT_URL].some((e) => e && new URL(e).port === "4566");
  if (await portFree(4566)) findings.push({ level: "ok", title: "Port 4566 is free for `npm run emulator` (or LocalStack's docker compose)" });
  else if (usedByUs) findings.push({ level: "ok", title: "Port 4566 is in use by the emulator the workshop uses" });
  else {
    const answers = await ping("http://127.0.0.1:4566");
    findings.push({
      level: "warn",
      title: `Port 4566 is in use by another program${answers ? " that answers HTTP (an emulator?)" : ""}`,
      fix: answers
        ? "If it is an emulator, use it: AWS_ENDPOINT_URL=http://127.0.0.1:4566. Or start the workshop's on another port: `npm run emulator -- --port 4567`."
        : "Start the shared emulator on another port: `npm run emulator -- --port 4567`.",
    });
  }
  const port = await getPort({ host: "127.0.0.1" });
  findings.push({ level: "ok", title: `Free ports are available on 127.0.0.1 for emulators started per check (e.g. ${port})` });
  return findings;
}

export function checkCredentials(env: Env = process.env): Finding[] {
  const findings: Finding[] = [];
  if (realAwsAllowed(env)) {
    findings.push({ level: "warn", title: `${REAL_AWS_FLAG}=1 is set: real AWS credentials can be used, and real AWS costs money`, fix: `Unset ${REAL_AWS_FLAG} unless you mean it; afterwards, \`npm start -- cleanup\` removes what the lessons created.` });
    return findings;
  }
  if (env.AWS_ENDPOINT_URL && !isLocalEndpoint(env.AWS_ENDPOINT_URL)) return findings; // reported with the emulator
  // Without an endpoint, the guard must refuse before anything is sent.
  let guarded = false;
  try {
    assertSafeTarget(undefined, { ...env, AWS_ENDPOINT_URL: undefined });
  } catch (err) {
    guarded = err instanceof UnsafeTargetError;
  }
  const config = clientConfig({ ...env, AWS_ENDPOINT_URL: env.AWS_ENDPOINT_URL || "http://127.0.0.1:4566" });
  const dummy = config.credentials?.accessKeyId === DUMMY_CREDENTIALS.accessKeyId && config.credentials?.secretAccessKey === DUMMY_CREDENTIALS.secretAccessKey;
  if (!guarded || !dummy) {
    findings.push({ level: "fail", title: "The workshop's guard against real AWS is not working", fix: "Restore workshop/clients/ from git (`git checkout -- workshop/`)." });
    return findings;
  }
  const inEnv = realCredentialsInEnv(env);
  const inFile = existsSync(join(homedir(), ".aws", "credentials")) ? "~/.aws/credentials" : undefined;
  const found = [inEnv, inFile].filter(Boolean).join(" and ");
  findings.push({
    level: "ok",
    title: found
      ? `Real AWS credentials exist (${found}), and cannot be used by accident: every client sends dummy ones to a local endpoint`
      : "No real AWS credentials can be used by accident: every client sends dummy ones to a local endpoint",
  });
  return findings;
}

export function checkWorkspace(): Finding[] {
  const findings: Finding[] = [];
  const lessons = listLessons();
  const incomplete = lessons.filter((l) => !existsSync(l.exercise) || !existsSync(l.solution) || !existsSync(join(l.dir, "lesson.json")));
  findings.push(
    lessons.length === 0
      ? { level: "fail", title: "No lessons found in lessons/", fix: "Run the workshop from its own folder (the one with package.json)." }
      : incomplete.length
        ? { level: "warn", title: `${lessons.length} lessons found; incomplete: ${incomplete.map((l) => l.slug).join(", ")}`, fix: "A lesson needs lesson.json, exercise.ts and solutions/NN-slug/solution.ts; `npm start -- reset NN` restores a missing exercise." }
        : { level: "ok", title: `${lessons.length} lessons found` },
  );
  try {
    mkdirSync(STATE_DIR, { recursive: true });
    accessSync(STATE_DIR, constants.W_OK);
    findings.push({ level: "ok", title: `${rel(STATE_DIR)}/ is writable (progress, backups, the emulator's state)` });
  } catch {
    findings.push({ level: "fail", title: `${rel(STATE_DIR)}/ cannot be written`, fix: "Check the folder's permissions: the workshop keeps progress and moto there." });
  }
  const git = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT, encoding: "utf8" });
  findings.push(
    git.status === 0
      ? { level: "ok", title: "This is a git checkout: `reset` can restore untouched exercises" }
      : { level: "warn", title: git.error ? "git is not installed" : "This folder is not a git checkout", fix: "`npm start -- reset` needs the workshop cloned with git; everything else works without." },
  );
  return findings;
}

export async function runDoctor(env: Env = process.env): Promise<Finding[]> {
  const findings: Finding[] = [checkNode(), checkDependencies()];
  const { findings: dockerFindings, docker } = await checkDocker(env);
  findings.push(...dockerFindings);
  const needMoto = !env.AWS_ENDPOINT_URL && !realAwsAllowed(env) && !readSharedState() && (env.WORKSHOP_EMULATOR === "moto" || !docker.engine || !docker.localstackImage);
  const python = checkPython(needMoto);
  findings.push(...python);
  findings.push(...(await checkEmulator(env, docker, motoInstalled())));
  findings.push(...(await checkPorts(env)));
  findings.push(...checkCredentials(env));
  findings.push(...checkWorkspace());
  return findings;
}

export function describeFindings(findings: Finding[]): string {
  const lines = [pc.bold("Doctor: is this machine ready for the workshop?"), ""];
  for (const f of findings) {
    const mark = f.level === "ok" ? MARK.ok : f.level === "warn" ? MARK.warn : MARK.fail;
    lines.push(`${mark} ${f.title}`);
    if (f.fix) lines.push(`    ${pc.dim("→")} ${f.fix}`);
  }
  const failures = findings.filter((f) => f.level === "fail").length;
  const warnings = findings.filter((f) => f.level === "warn").length;
  lines.push("");
  if (failures) lines.push(pc.red(pc.bold(`${failures} problem${failures === 1 ? "" : "s"} block${failures === 1 ? "s" : ""} the workshop: do what the ✗ lines say, then run \`npm start -- doctor\` again.`)));
  else lines.push(pc.green(pc.bold(`Nothing blocks the workshop.`)) + (warnings ? ` ${warnings} note${warnings === 1 ? "" : "s"} (!) above.` : "") + " Start with `npm start`.");
  return lines.join("\n");
}
