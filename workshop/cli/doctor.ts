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
import { t } from "../i18n";

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
      title: t("doctor.node.old", { version, wanted }),
      fix: t("doctor.node.oldFix", { major: wanted.split(".")[0] }),
    };
  }
  const major = Number(version.split(".")[0]);
  return {
    level: "ok",
    title: t("doctor.node.ok", { version, wanted, note: major < 22 ? pc.dim(t("doctor.node.sdkNote")) : "" }),
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
    if (/^\d/.test(version) && installed !== version) different.push(t("doctor.deps.wanted", { name, installed, version }));
  }
  const total = Object.keys(wanted).length;
  const list = (names: string[]) => `${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""}`;
  if (missing.length) {
    return { level: "fail", title: t("doctor.deps.missing", { n: missing.length, total, list: list(missing) }), fix: t("doctor.deps.missingFix") };
  }
  if (devMissing.length) {
    return { level: "warn", title: t("doctor.deps.devMissing", { list: list(devMissing) }), fix: t("doctor.deps.devMissingFix") };
  }
  if (different.length) {
    return { level: "warn", title: t("doctor.deps.different", { n: different.length, list: different.slice(0, 3).join(", ") }), fix: t("doctor.deps.differentFix") };
  }
  return { level: "ok", title: t("doctor.deps.ok", { total }) };
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
    findings.push({ level: "fail", title: t("doctor.docker.badKind", { value: chosen }), fix: t("doctor.docker.badKindFix") });
  }
  const engine = await dockerEngine();
  if (!engine) {
    findings.push({
      level: chosen === "localstack" ? "fail" : "ok",
      title: t("doctor.docker.none"),
      ...(chosen === "localstack" ? { fix: t("doctor.docker.noneFix") } : {}),
    });
    return { findings, docker: { localstackImage: false, ryukImage: false } };
  }
  const image = localStackImage();
  const [localstackImage, ryuk] = await Promise.all([imagePresent(engine, image), imagePresent(engine, ryukImage())]);
  findings.push({ level: "ok", title: t("doctor.docker.found", { uri: engine.uri, note: chosen === "moto" ? pc.dim(t("doctor.docker.notUsed")) : "" }) });
  if (chosen !== "moto") {
    findings.push(
      localstackImage
        ? { level: "ok", title: t("doctor.docker.image", { image }) }
        : {
            level: "warn",
            title: t(chosen === "localstack" ? "doctor.docker.noImageDownload" : "doctor.docker.noImageMoto", { image }),
            fix: t("doctor.docker.noImageFix"),
          },
      ryuk || env.TESTCONTAINERS_RYUK_DISABLED === "true"
        ? { level: "ok", title: ryuk ? t("doctor.docker.ryuk", { image: ryukImage() }) : t("doctor.docker.ryukDisabled") }
        : { level: "ok", title: t("doctor.docker.noRyuk", { image: ryukImage(), note: pc.dim(t("doctor.docker.noRyukNote")) }) },
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
      title: t("doctor.python.none"),
      fix: t(needed ? "doctor.python.noneFixNeeded" : "doctor.python.noneFix"),
    });
    return findings;
  }
  findings.push({ level: "ok", title: t("doctor.python.ok", { version: python.version, command: [python.command, ...python.args].join(" ") }) });
  if (motoInstalled()) {
    const pinned = /moto\[[^\]]*\]==([\d.]+)/.exec(readFileSync(join(ROOT, "workshop", "emulator", "moto", "requirements.txt"), "utf8"))?.[1];
    findings.push({ level: "ok", title: t("doctor.moto.installed", { version: pinned ?? "", dir: rel(MOTO_VENV) }).replace("  ", " ") });
  } else {
    findings.push({
      level: needed ? "warn" : "ok",
      title: t(needed ? "doctor.moto.notYet" : "doctor.moto.notNeeded"),
      ...(needed ? { fix: t("doctor.moto.notYetFix") } : {}),
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
      return [{ level: "fail", title: t("doctor.endpoint.refused", { endpoint: fromEnv }), fix: t("doctor.endpoint.refusedFix") }];
    }
    if (!(await ping(fromEnv))) {
      return [{ level: "fail", title: t("doctor.endpoint.down", { endpoint: fromEnv }), fix: t("doctor.endpoint.downFix") }];
    }
    const account = await answersAsAws(fromEnv);
    return [{ level: account ? "ok" : "warn", title: account ? t("doctor.endpoint.answers", { endpoint: fromEnv, account }) : t("doctor.endpoint.noSts", { endpoint: fromEnv }), ...(account ? {} : { fix: t("doctor.endpoint.noStsFix") }) }];
  }
  if (realAwsAllowed(env)) {
    return [{ level: "warn", title: t("doctor.realAws", { flag: REAL_AWS_FLAG }), fix: t("doctor.realAwsFix", { flag: REAL_AWS_FLAG }) }];
  }
  const shared = readSharedState();
  if (shared) {
    if (!(await ping(shared.endpoint))) {
      return [{ level: "fail", title: t("doctor.shared.down", { pid: shared.pid, endpoint: shared.endpoint }), fix: t("doctor.shared.downFix") }];
    }
    return [{ level: "ok", title: t("doctor.shared.ok", { kind: shared.kind, endpoint: shared.endpoint }) }];
  }
  // What a check would start right now: the same decision as startEmulator(), then proven by
  // starting it and sending one request.
  const chosen = env.WORKSHOP_EMULATOR;
  if (chosen && chosen !== "moto" && chosen !== "localstack") return []; // reported with Docker
  if (chosen === "localstack" && !docker?.engine) return []; // reported with Docker
  const image = env.LOCALSTACK_IMAGE || LOCALSTACK_DEFAULT_IMAGE;
  if (chosen === "localstack" && !docker?.localstackImage) {
    return [{ level: "warn", title: t("doctor.start.download", { image }), fix: t("doctor.start.downloadFix") }];
  }
  const wantsLocalStack = chosen !== "moto" && Boolean(docker?.engine && docker.localstackImage);
  if (!wantsLocalStack && !canStartMoto) {
    const noImage = Boolean(docker?.engine && chosen !== "moto");
    return [{ level: "warn", title: t(noImage ? "doctor.start.noMotoNoImage" : "doctor.start.noMoto"), fix: t("doctor.start.noMotoFix") }];
  }
  const spinner = ora({ text: t("doctor.start.spinner", { what: wantsLocalStack ? "LocalStack" : "moto" }), stream: process.stderr, discardStdin: false }).start();
  const started = Date.now();
  let fallback: string | undefined;
  let emulator;
  try {
    // Without moto ready, a LocalStack that fails must not turn into a 30 s install here.
    emulator = await startEmulator({ kind: wantsLocalStack ? (canStartMoto ? undefined : "localstack") : "moto", onFallback: (reason) => (fallback = reason) });
    const account = await answersAsAws(emulator.endpoint!);
    spinner.stop();
    const what = emulator.kind === "localstack" ? t("doctor.start.whatLocalStack", { image }) : t("doctor.start.whatMoto");
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const findings: Finding[] = [];
    if (fallback) findings.push({ level: "warn", title: t("doctor.start.fallback", { reason: fallback }), fix: t("doctor.start.fallbackFix") });
    findings.push({
      level: account ? "ok" : "fail",
      title: account ? t("doctor.start.ok", { what, secs, account }) : t("doctor.start.noSts", { what, secs }),
      ...(account ? {} : { fix: t(emulator.kind === "moto" ? "doctor.start.noStsFixMoto" : "doctor.start.noStsFixLocalStack") }),
    });
    return findings;
  } catch (err) {
    spinner.stop();
    return [{ level: "fail", title: t("doctor.start.failed", { why: (err as Error).message.split("\n")[0] }), fix: t("doctor.start.failedFix") }];
  } finally {
    await emulator?.stop();
  }
}

export async function checkPorts(env: Env = process.env): Promise<Finding[]> {
  const findings: Finding[] = [];
  const shared = readSharedState();
  const usedByUs = [shared?.endpoint, env.AWS_ENDPOINT_URL].some((e) => e && new URL(e).port === "4566");
  if (await portFree(4566)) findings.push({ level: "ok", title: t("doctor.port.free") });
  else if (usedByUs) findings.push({ level: "ok", title: t("doctor.port.ours") });
  else {
    const answers = await ping("http://127.0.0.1:4566");
    findings.push({
      level: "warn",
      title: t(answers ? "doctor.port.otherAnswers" : "doctor.port.other"),
      fix: t(answers ? "doctor.port.otherAnswersFix" : "doctor.port.otherFix"),
    });
  }
  const port = await getPort({ host: "127.0.0.1" });
  findings.push({ level: "ok", title: t("doctor.port.available", { port }) });
  return findings;
}

export function checkCredentials(env: Env = process.env): Finding[] {
  const findings: Finding[] = [];
  if (realAwsAllowed(env)) {
    findings.push({ level: "warn", title: t("doctor.creds.realAws", { flag: REAL_AWS_FLAG }), fix: t("doctor.creds.realAwsFix", { flag: REAL_AWS_FLAG }) });
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
    findings.push({ level: "fail", title: t("doctor.creds.broken"), fix: t("doctor.creds.brokenFix") });
    return findings;
  }
  const inEnv = realCredentialsInEnv(env);
  const inFile = existsSync(join(homedir(), ".aws", "credentials")) ? "~/.aws/credentials" : undefined;
  const found = inEnv && inFile ? t("doctor.creds.and", { a: inEnv, b: inFile }) : (inEnv ?? inFile);
  findings.push({
    level: "ok",
    title: found ? t("doctor.creds.exist", { found }) : t("doctor.creds.none"),
  });
  return findings;
}

export function checkWorkspace(): Finding[] {
  const findings: Finding[] = [];
  const lessons = listLessons();
  const incomplete = lessons.filter((l) => !existsSync(l.exercise) || !existsSync(l.solution) || !existsSync(join(l.dir, "lesson.json")));
  findings.push(
    lessons.length === 0
      ? { level: "fail", title: t("doctor.lessons.none"), fix: t("doctor.lessons.noneFix") }
      : incomplete.length
        ? { level: "warn", title: t("doctor.lessons.incomplete", { n: lessons.length, list: incomplete.map((l) => l.slug).join(", ") }), fix: t("doctor.lessons.incompleteFix") }
        : { level: "ok", title: t("doctor.lessons.ok", { n: lessons.length }) },
  );
  try {
    mkdirSync(STATE_DIR, { recursive: true });
    accessSync(STATE_DIR, constants.W_OK);
    findings.push({ level: "ok", title: t("doctor.state.ok", { dir: rel(STATE_DIR) }) });
  } catch {
    findings.push({ level: "fail", title: t("doctor.state.fail", { dir: rel(STATE_DIR) }), fix: t("doctor.state.failFix") });
  }
  const git = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT, encoding: "utf8" });
  findings.push(
    git.status === 0
      ? { level: "ok", title: t("doctor.git.ok") }
      : { level: "warn", title: t(git.error ? "doctor.git.none" : "doctor.git.notCheckout"), fix: t("doctor.git.fix") },
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
  const lines = [pc.bold(t("doctor.title")), ""];
  for (const f of findings) {
    const mark = f.level === "ok" ? MARK.ok : f.level === "warn" ? MARK.warn : MARK.fail;
    lines.push(`${mark} ${f.title}`);
    if (f.fix) lines.push(`    ${pc.dim("→")} ${f.fix}`);
  }
  const failures = findings.filter((f) => f.level === "fail").length;
  const warnings = findings.filter((f) => f.level === "warn").length;
  lines.push("");
  if (failures) lines.push(pc.red(pc.bold(failures === 1 ? t("doctor.blocks.one") : t("doctor.blocks.many", { n: failures }))));
  else {
    const notes = warnings ? ` ${warnings === 1 ? t("doctor.ready.notes.one") : t("doctor.ready.notes.many", { n: warnings })}` : "";
    lines.push(`${pc.green(pc.bold(t("doctor.ready")))}${notes} ${t("doctor.ready.start")}`);
  }
  return lines.join("\n");
}
