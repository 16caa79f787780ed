// Test support for the CLI's tests (not a test itself): a throwaway copy of the workshop with
// two small lessons of its own, a git history and its own .workshop/, so that the CLI can be
// run as a process (and in a pseudo-terminal) without touching the real lessons or progress.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { ROOT, STATE_DIR } from "../paths";

const EXERCISE_01 = `import { CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { createClient, runMain, todo, uniqueName } from "../../workshop/lesson";

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  // TODO 1: create the bucket with CreateBucketCommand.
  todo(1, "create the bucket with CreateBucketCommand");
}

export async function listBucketNames(s3: S3Client): Promise<string[]> {
  // TODO 2: list the buckets' names with ListBucketsCommand.
  todo(2, "list the buckets' names with ListBucketsCommand");
}

export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

export async function main(): Promise<void> {
  const s3 = createClient(S3Client);
  const bucket = uniqueName("demo");
  await createBucket(s3, bucket);
  console.log(await listBucketNames(s3));
  await deleteBucket(s3, bucket);
}

runMain(import.meta.url, main);
`;

const SOLUTION_01 = EXERCISE_01.replace(
  `  // TODO 1: create the bucket with CreateBucketCommand.\n  todo(1, "create the bucket with CreateBucketCommand");`,
  `  await s3.send(new CreateBucketCommand({ Bucket: bucket }));`,
)
  .replace(
    `  // TODO 2: list the buckets' names with ListBucketsCommand.\n  todo(2, "list the buckets' names with ListBucketsCommand");`,
    `  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));\n  return Buckets.map((b) => b.Name!);`,
  )
  .replace(`import { createClient, runMain, todo, uniqueName }`, `import { createClient, runMain, uniqueName }`);

const TEST_01 = `import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, expect, test } from "vitest";
import { createClient, loadLesson, say, uniqueName } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("01-buckets");
const s3 = createClient(S3Client);
const bucket = uniqueName("fixture");
const listed = uniqueName("fixture");

afterAll(async () => {
  await lesson.deleteBucket(s3, bucket).catch(() => {});
  await lesson.deleteBucket(s3, listed).catch(() => {});
});

test("step 1: createBucket creates the bucket", async () => {
  await lesson.createBucket(s3, bucket);
  await s3.send(new HeadBucketCommand({ Bucket: bucket }));
});

test(say("step 2: listBucketNames lists the new bucket", "step 2: listBucketNames lista el bucket nuevo"), async () => {
  // Made with the SDK itself, so that this step's test fails only because of this step.
  await s3.send(new CreateBucketCommand({ Bucket: listed }));
  const names = await lesson.listBucketNames(s3);
  expect(names, say(\`the emulator holds: \${names.join(", ")}\`, \`el emulador tiene: \${names.join(", ")}\`)).toContain(listed);
});
`;

const EXERCISE_02 = `import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { todo } from "../../workshop/lesson";

export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  // TODO 1: create the queue with CreateQueueCommand and return its URL.
  todo(1, "create the queue with CreateQueueCommand and return its URL");
}

export async function deleteQueue(sqs: SQSClient, url: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
}
`;

const SOLUTION_02 = EXERCISE_02.replace(
  `  // TODO 1: create the queue with CreateQueueCommand and return its URL.\n  todo(1, "create the queue with CreateQueueCommand and return its URL");`,
  `  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));\n  return QueueUrl!;`,
).replace(`import { todo } from "../../workshop/lesson";\n`, "");

const TEST_02 = `import { SQSClient } from "@aws-sdk/client-sqs";
import { expect, test } from "vitest";
import { createClient, loadLesson, uniqueName } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("02-queues");

test("step 1: createQueue returns the new queue's URL", async () => {
  const sqs = createClient(SQSClient);
  const name = uniqueName("fixture");
  const url = await lesson.createQueue(sqs, name);
  try {
    expect(url, "the URL CreateQueue returned").toContain(name);
  } finally {
    await lesson.deleteQueue(sqs, url);
  }
});
`;

export const FIXTURE_LESSONS = {
  "01-buckets": {
    meta: {
      title: "Buckets",
      summary: "Create and list buckets",
      minutes: { core: 5, stretch: 5 },
      todos: [
        { n: 1, step: "Create a bucket", function: "createBucket", core: true, hints: ["Look at CreateBucketCommand.", "Send it with s3.send and the bucket's name as Bucket."] },
        { n: 2, step: "List the buckets", function: "listBucketNames", core: false, hints: ["ListBucketsCommand returns Buckets: map them to their Name."] },
      ],
    },
    exercise: EXERCISE_01,
    solution: SOLUTION_01,
    test: TEST_01,
  },
  "02-queues": {
    meta: {
      title: "Queues",
      summary: "Create a queue",
      minutes: { core: 5, stretch: 0 },
      todos: [{ n: 1, step: "Create a queue", function: "createQueue", core: true, hints: ["Look at CreateQueueCommand."] }],
    },
    exercise: EXERCISE_02,
    solution: SOLUTION_02,
    test: TEST_02,
  },
} as const;

export type FixtureSlug = keyof typeof FIXTURE_LESSONS;

/** The fixture lessons' texts in Spanish: lesson.json holds each text as { en, es }. */
export const FIXTURE_SPANISH: Record<FixtureSlug, { title: string; summary: string; steps: string[]; hints: string[][] }> = {
  "01-buckets": {
    title: "Buckets en español",
    summary: "Crear y listar buckets",
    steps: ["Crear un bucket", "Listar los buckets"],
    hints: [["Mirá CreateBucketCommand.", "Mandalo con s3.send y el nombre del bucket como Bucket."], ["ListBucketsCommand devuelve Buckets: quedate con el Name de cada uno."]],
  },
  "02-queues": {
    title: "Colas",
    summary: "Crear una cola",
    steps: ["Crear una cola"],
    hints: [["Mirá CreateQueueCommand."]],
  },
};

/** A fixture's lesson.json: its English texts beside their Spanish. */
function bilingualMeta(slug: FixtureSlug): unknown {
  const { meta } = FIXTURE_LESSONS[slug];
  const es = FIXTURE_SPANISH[slug];
  return {
    ...meta,
    title: { en: meta.title, es: es.title },
    summary: { en: meta.summary, es: es.summary },
    todos: meta.todos.map((todo, i) => ({ ...todo, step: { en: todo.step, es: es.steps[i] }, hints: todo.hints.map((hint, j) => ({ en: hint, es: es.hints[i][j] })) })),
  };
}

export interface Project {
  root: string;
  exercise(slug: FixtureSlug): string;
  solution(slug: FixtureSlug): string;
  /** Writes the reference solution over the attendee's exercise (as a save in an editor would). */
  solve(slug: FixtureSlug): void;
  progress(): { current?: string; lessons: Record<string, { status?: string; step?: number; hints?: Record<string, number>; hintsShown?: number; core?: { passed: number; total: number }; stretch?: { passed: number; total: number } }> };
  /** Runs the CLI to the end, without a terminal. */
  cli(args: string[], options?: { env?: Record<string, string | undefined>; input?: string; timeout?: number }): SpawnSyncReturns<string>;
  /** Starts the CLI without waiting (for `watch`). */
  start(args: string[], env?: Record<string, string | undefined>): Running;
  /** The environment the CLI runs with: no colours unless asked, no Vitest worker variables. */
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  remove(): void;
}

export interface Running {
  output(): string;
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code (or null after a signal) when the process ends by itself. */
  exited: Promise<number | null>;
  pid: number;
}

function git(root: string, args: string[]): void {
  const run = spawnSync("git", ["-c", "user.name=Workshop Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${run.stderr}`);
}

/** A throwaway workshop: the real harness, two fixture lessons, its own state; git unless told not to. */
export function makeProject(options: { git?: boolean } = {}): Project {
  const root = mkdtempSync(join(tmpdir(), "nt-cli-"));
  cpSync(join(ROOT, "workshop"), join(root, "workshop"), { recursive: true, filter: (src) => !src.endsWith(".test.ts") });
  for (const file of ["package.json", "tsconfig.json"]) cpSync(join(ROOT, file), join(root, file));
  // "junction" makes a directory link without administrator rights on Windows; elsewhere it is ignored.
  symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"), "junction");
  mkdirSync(join(root, ".workshop"));
  if (existsSync(join(STATE_DIR, "moto-venv"))) symlinkSync(join(STATE_DIR, "moto-venv"), join(root, ".workshop", "moto-venv"), "junction");
  writeFileSync(join(root, ".gitignore"), "node_modules\n.workshop/\n");
  for (const [slug, lesson] of Object.entries(FIXTURE_LESSONS)) {
    mkdirSync(join(root, "lessons", slug), { recursive: true });
    mkdirSync(join(root, "solutions", slug), { recursive: true });
    writeFileSync(join(root, "lessons", slug, "lesson.json"), JSON.stringify(bilingualMeta(slug as FixtureSlug), null, 2) + "\n");
    writeFileSync(join(root, "lessons", slug, "exercise.ts"), lesson.exercise);
    writeFileSync(join(root, "lessons", slug, `${slug}.test.ts`), lesson.test);
    writeFileSync(join(root, "lessons", slug, "README.md"), `# ${lesson.meta.title}\n`);
    writeFileSync(join(root, "solutions", slug, "solution.ts"), lesson.solution);
  }
  if (options.git !== false) {
    git(root, ["init", "-q"]);
    git(root, ["add", "-A"]);
    git(root, ["commit", "-q", "-m", "the workshop as shipped"]);
  }

  const env = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
    const out: Record<string, string> = {};
    // The CLI's tests prove the command line, not the compiler: the type check is proven by
    // workshop/check/check.test.ts, and leaving it out here saves a cold type check per process.
    for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, WORKSHOP_TYPECHECK: "0", ...extra })) {
      if (v !== undefined && !k.startsWith("VITEST") && k !== "NODE_OPTIONS") out[k] = v;
    }
    return out;
  };
  const entry = ["--import", "tsx", join(root, "workshop", "cli", "index.ts")];

  return {
    root,
    exercise: (slug) => join(root, "lessons", slug, "exercise.ts"),
    solution: (slug) => join(root, "solutions", slug, "solution.ts"),
    solve(slug) {
      writeFileSync(join(root, "lessons", slug, "exercise.ts"), FIXTURE_LESSONS[slug].solution);
    },
    progress() {
      const file = join(root, ".workshop", "progress.json");
      return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { lessons: {} };
    },
    env,
    cli(args, opts = {}) {
      return spawnSync(process.execPath, [...entry, ...args], {
        cwd: root,
        encoding: "utf8",
        env: env(opts.env),
        input: opts.input ?? "",
        timeout: opts.timeout ?? 90_000,
      });
    },
    start(args, extra) {
      const child = spawn(process.execPath, [...entry, ...args], { cwd: root, env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      const listeners = new Set<() => void>();
      const take = (chunk: Buffer) => {
        output += stripVTControlCharacters(chunk.toString());
        for (const l of listeners) l();
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      return {
        pid: child.pid!,
        exited,
        output: () => output,
        waitFor: (pattern, from = 0, timeoutMs = 120_000) => waitForText(() => output, listeners, pattern, from, timeoutMs),
        async stop(signal = "SIGTERM") {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      };
    },
    remove() {
      rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

/** Resolves with the index just after the first match of pattern at or after `from`; rejects with what was seen. */
export function waitForText(read: () => string, listeners: Set<() => void>, pattern: RegExp, from: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const look = () => {
      const text = read().slice(from);
      const match = pattern.exec(text);
      if (match) {
        done();
        resolve(from + match.index + match[0].length);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${pattern}. The output after position ${from} was:\n${read().slice(from).slice(-3000)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      listeners.delete(look);
    };
    listeners.add(look);
    look();
  });
}
