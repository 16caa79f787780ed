// The incremental check: after a save, rerun only the tests whose code changed and keep the
// other tests' last results, so that the dashboard's verdict of a one-step edit comes in about
// the time of that step's tests, not the whole lesson's.
//
// What "changed" means, decided with the TypeScript compiler API, never by guessing:
//   - the exercise (or solution) is cut into its top-level functions; each function's key is a
//     hash of its own text and of every top-level function it calls, directly or not (an edit to
//     a helper called by two steps changes both steps' keys);
//   - everything else at the top level of that file (imports, constants, classes; not interfaces
//     and type aliases, which do not run) is one more hash that every test depends on;
//   - each test of the lesson's test file is tied to the `lesson.<fn>` it uses (in its own body,
//     in the test file's helpers it calls, and in hooks and other top-level code, which count for
//     every test); a test that uses no lesson function at all ("nothing is left behind") runs
//     every time;
//   - a test's key also holds the hash of its test file, of the harness (workshop/, which the
//     tests import), of the emulator, the target, chaos and the language: any change there
//     reruns everything.
// A test whose key is the one of its last result keeps that result; every other test runs. So
// the verdict is the one a full run would give (workshop/check/incremental.test.ts proves it on
// a few edits). A check with nothing remembered, or asked for in full (`--full`), runs it all.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import type { TestCase, TestModule } from "vitest/node";
import { ROOT } from "../paths";

const sha = (...parts: string[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 24);
};

// ── The exercise: its functions and who calls whom ─────────────────────────────────────────────

export interface ModuleShape {
  /** Hash of everything at the top level that is not a function (or only a type). */
  rest: string;
  /** function name → its key (own text and the text of every function it calls, transitively). */
  functions: Map<string, string>;
}

function functionNodes(statement: ts.Statement): Array<[string, ts.Node]> | undefined {
  if (ts.isFunctionDeclaration(statement)) return statement.name ? [[statement.name.text, statement]] : undefined;
  if (ts.isVariableStatement(statement)) {
    const out: Array<[string, ts.Node]> = [];
    for (const d of statement.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer) return undefined;
      let init: ts.Expression = d.initializer;
      while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = init.expression;
      if (!ts.isArrowFunction(init) && !ts.isFunctionExpression(init)) return undefined;
      out.push([d.name.text, statement]);
    }
    return out;
  }
  return undefined;
}

/** Names used in `node` as values (not as a property name after a dot, not as a declared name). */
function referencedNames(node: ts.Node, into = new Set<string>()): Set<string> {
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n)) {
      const parent = n.parent;
      const isPropertyName = parent && ((ts.isPropertyAccessExpression(parent) && parent.name === n) || (ts.isPropertyAssignment(parent) && parent.name === n));
      if (!isPropertyName) into.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return into;
}

/** The files a module imports by a relative path (a sibling helper of the exercise, say). */
function relativeImports(source: ts.SourceFile, file: string): string[] {
  const out: string[] = [];
  for (const s of source.statements) {
    if (!ts.isImportDeclaration(s) && !ts.isExportDeclaration(s)) continue;
    const spec = s.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
    const base = resolve(dirname(file), spec.text);
    const found = [base, `${base}.ts`, base.replace(/\.js$/, ".ts"), join(base, "index.ts")].find((f) => existsSync(f) && statSync(f).isFile());
    if (found) out.push(found);
  }
  return out;
}

export function moduleShape(file: string, text = readFileSync(file, "utf8")): ModuleShape {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const own = new Map<string, string>();
  const calls = new Map<string, Set<string>>();
  const rest: string[] = [];
  const bodies: Array<[string, ts.Node]> = [];
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) continue;
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) continue;
    const fns = functionNodes(statement);
    if (!fns) {
      rest.push(statement.getText(source));
      continue;
    }
    for (const [name, node] of fns) {
      own.set(name, node.getText(source));
      bodies.push([name, node]);
    }
  }
  for (const [name, node] of bodies) calls.set(name, new Set([...referencedNames(node)].filter((n) => n !== name && own.has(n))));
  // Imported project files (not the harness, which is hashed as a whole): their text counts for every test.
  for (const imported of relativeImports(source, file)) if (!imported.startsWith(join(ROOT, "workshop"))) rest.push(readFileSync(imported, "utf8"));
  const functions = new Map<string, string>();
  for (const name of own.keys()) {
    const closure = new Set<string>([name]);
    const queue = [name];
    while (queue.length) for (const callee of calls.get(queue.shift()!) ?? []) if (!closure.has(callee)) closure.add(callee), queue.push(callee);
    functions.set(name, sha(...[...closure].sort().flatMap((n) => [n, own.get(n)!])));
  }
  return { rest: sha(...rest), functions };
}

// ── The test file: which test uses which lesson function ───────────────────────────────────────

/** What one test (or all the file's top-level code) uses of the lesson: some functions, or everything. */
export interface Uses {
  all: boolean;
  functions: Set<string>;
}

export interface TestFileShape {
  /** The test calls, by the lines they span up to their body: a test's reported line falls in one. */
  tests: Array<{ from: number; to: number; uses: Uses }>;
  /** Uses of the hooks and other top-level code: they count for every test. */
  shared: Uses;
  /** The lesson module's name in the test file (`lesson`), if found. */
  lessonName?: string;
}

const TEST_NAMES = new Set(["test", "it"]);

function calleeRoot(expr: ts.Expression): string | undefined {
  let e: ts.Expression = expr;
  for (;;) {
    if (ts.isIdentifier(e)) return e.text;
    if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e)) e = e.expression;
    else return undefined;
  }
}

function bodyOf(call: ts.CallExpression): ts.Node | undefined {
  return [...call.arguments].reverse().find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
}

/** `const lesson = await loadLesson(…)` or `= await import(…)`: the name the tests call the lesson by. */
function findLessonName(source: ts.SourceFile): string | undefined {
  for (const s of source.statements) {
    if (!ts.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || !d.initializer || !ts.isAwaitExpression(d.initializer)) continue;
      const call = d.initializer.expression;
      if (!ts.isCallExpression(call)) continue;
      if (call.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(call.expression) && call.expression.text === "loadLesson")) return d.name.text;
    }
  }
  return undefined;
}

export function testFileShape(file: string, text = readFileSync(file, "utf8")): TestFileShape {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lessonName = findLessonName(source);
  const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  // The test file's own top-level functions, so that a test calling a helper that calls the lesson counts it.
  const helpers = new Map<string, ts.Node>();
  for (const s of source.statements) for (const [name, node] of functionNodes(s) ?? []) helpers.set(name, node);
  const helperUses = new Map<string, Uses>();

  const usesOf = (node: ts.Node, skip?: (n: ts.Node) => boolean): Uses => {
    const uses: Uses = { all: lessonName === undefined, functions: new Set() };
    const seenHelpers = new Set<string>();
    const visit = (n: ts.Node) => {
      if (skip?.(n)) return;
      if (lessonName && ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === lessonName) {
        uses.functions.add(n.name.text);
        return;
      }
      if (ts.isIdentifier(n)) {
        const parent = n.parent;
        const declared = parent && (ts.isVariableDeclaration(parent) || ts.isFunctionDeclaration(parent) || ts.isParameter(parent)) && parent.name === n;
        const propertyName = parent && ((ts.isPropertyAccessExpression(parent) && parent.name === n) || (ts.isPropertyAssignment(parent) && parent.name === n));
        if (!declared && !propertyName) {
          // The lesson used whole (passed along, destructured): every function counts.
          if (n.text === lessonName) uses.all = true;
          const helper = helpers.get(n.text);
          if (helper && !seenHelpers.has(n.text)) {
            seenHelpers.add(n.text);
            const h = helperUses.get(n.text) ?? usesOfHelper(n.text, helper);
            if (h.all) uses.all = true;
            for (const f of h.functions) uses.functions.add(f);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return uses;
  };
  const usesOfHelper = (name: string, node: ts.Node): Uses => {
    helperUses.set(name, { all: false, functions: new Set() }); // a recursive helper ends here
    const uses = usesOf(node);
    helperUses.set(name, uses);
    return uses;
  };

  const tests: TestFileShape["tests"] = [];
  const bodies = new Set<ts.Node>();
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && TEST_NAMES.has(calleeRoot(n.expression) ?? "")) {
      const body = bodyOf(n);
      if (body) {
        bodies.add(body);
        tests.push({ from: line(n.getStart(source)), to: line(body.getStart(source)), uses: usesOf(body) });
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  // Everything outside the tests' bodies and the helpers' declarations (which count where they are called).
  const shared: Uses = { all: lessonName === undefined, functions: new Set() };
  for (const s of source.statements) {
    if (functionNodes(s)) continue;
    const u = usesOf(s, (n) => bodies.has(n));
    if (u.all) shared.all = true;
    for (const f of u.functions) shared.functions.add(f);
  }
  return { tests, shared, lessonName };
}

// ── The harness and the rest of what every test depends on ────────────────────────────────────

let harnessCache: { stamp: string; hash: string } | undefined;

/** A hash of the harness's files (workshop/, without its own tests): the lessons' tests import it. */
export function harnessHash(dir = join(ROOT, "workshop")): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "fixtures" && !entry.name.startsWith(".")) walk(p);
      } else if (/\.(ts|json|mjs)$/.test(entry.name) && !entry.name.endsWith(".test.ts")) files.push(p);
    }
  };
  walk(dir);
  files.sort();
  const stamp = files.map((f) => {
    const s = statSync(f);
    return `${f}:${s.mtimeMs}:${s.size}`;
  }).join("\n");
  if (harnessCache?.stamp !== stamp) harnessCache = { stamp, hash: sha(...files.flatMap((f) => [f, readFileSync(f, "utf8")])) };
  return harnessCache.hash;
}

// ── The cache of results and the plan of a run ─────────────────────────────────────────────────

interface KeptTest {
  id: string;
  fullName: string;
  line?: number;
  key?: string;
  result: ReturnType<TestCase["result"]>;
}

/** What a plan read before its run (the run's context, the exercise's and the test file's shapes): its results are keyed by it. */
export interface Basis {
  context: string;
  shape: ModuleShape;
  file: TestFileShape;
}

export interface Plan {
  /** undefined: run every test. Otherwise the ids of the tests to run. */
  testIds?: string[];
  /** How many tests keep their last result. */
  kept: number;
  /** Read by plan(); merge() reuses it instead of reading and parsing the same files again. */
  basis?: Basis;
}

/** What a lesson's tests ran against: a change of any of it reruns everything. */
export interface RunContext {
  target: string;
  emulator: string;
  chaos?: number;
  lang: string;
}

function testKey(uses: Uses, shape: ModuleShape, context: string): string | undefined {
  const names = uses.all ? [...shape.functions.keys()] : [...uses.functions];
  if (names.length === 0 && !uses.all) return undefined; // tied to no lesson function: it always runs
  return sha(context, shape.rest, ...names.sort().map((n) => `${n}=${shape.functions.get(n) ?? "?"}`));
}

function testsOf(file: TestFileShape, line: number | undefined): Uses | undefined {
  if (line === undefined) return undefined;
  const matches = file.tests.filter((t) => t.from <= line && line <= t.to).sort((a, b) => a.to - a.from - (b.to - b.from));
  if (!matches[0]) return undefined;
  const uses = matches[0].uses;
  return { all: uses.all || file.shared.all, functions: new Set([...uses.functions, ...file.shared.functions]) };
}

/**
 * The last results of each lesson's tests, with the key each was run under. One per session
 * (the dashboard's Checker, `npm run emulator`): kept in memory, never on disk.
 */
export class IncrementalCache {
  private readonly lessons = new Map<string, { context: string; tests: KeptTest[] }>();
  /** Counts for the bench and the tests: how many tests the last run of a lesson ran, and kept. */
  readonly last = new Map<string, { ran: number; kept: number }>();

  private basisOf(moduleFile: string, testFile: string, context: RunContext): Basis {
    const testText = readFileSync(testFile, "utf8");
    return {
      context: sha(moduleFile, testFile, testText, harnessHash(), JSON.stringify(context)),
      shape: moduleShape(moduleFile),
      file: testFileShape(testFile, testText),
    };
  }

  /** Which tests of this test file must run now. */
  plan(slug: string, moduleFile: string, testFile: string, context: RunContext): Plan {
    if (!existsSync(moduleFile)) return { kept: 0 };
    const kept = this.lessons.get(`${slug}|${testFile}`);
    const basis = this.basisOf(moduleFile, testFile, context);
    const { context: ctx, shape, file } = basis;
    if (!kept || kept.context !== ctx) return { kept: 0, basis };
    const testIds: string[] = [];
    let keep = 0;
    for (const t of kept.tests) {
      const uses = testsOf(file, t.line);
      const key = uses ? testKey(uses, shape, ctx) : undefined;
      if (key !== undefined && key === t.key) keep += 1;
      else testIds.push(t.id);
    }
    return { testIds, kept: keep, basis };
  }

  /**
   * Merges a run's results with the kept ones (the tests it did not run), remembers them, and
   * returns the modules as a full run would have reported them. A module that did not load, or
   * whose hooks failed, is taken as it is and nothing of it is remembered. Undefined: the run
   * has a test that neither ran nor has a result to keep; run that file again in full.
   */
  merge(slug: string, moduleFile: string, testFile: string, context: RunContext, module: TestModule, plan: Plan): TestModule | undefined {
    const key = `${slug}|${testFile}`;
    const previous = new Map((this.lessons.get(key)?.tests ?? []).map((t) => [t.id, t]));
    const ran = new Set(plan.testIds ?? []);
    const all = plan.testIds === undefined;
    const broken = module.errors().length > 0 || [...module.children.allSuites()].some((s) => s.errors().length > 0);
    const tests = [...module.children.allTests()];
    if (broken) {
      this.lessons.delete(key);
      this.last.set(slug, { ran: tests.length, kept: 0 });
      return module;
    }
    // A test neither run nor remembered (the file's tests depend on something else that changed):
    // no verdict can be put together; the caller runs the file again in full.
    if (!all && tests.some((t) => !ran.has(t.id) && !previous.has(t.id))) {
      this.lessons.delete(key);
      return undefined;
    }
    const { context: ctx, shape, file } = plan.basis ?? this.basisOf(moduleFile, testFile, context);
    const merged: KeptTest[] = tests.map((t) => {
      if (all || ran.has(t.id)) {
        const uses = testsOf(file, t.location?.line);
        return { id: t.id, fullName: t.fullName, line: t.location?.line, key: uses ? testKey(uses, shape, ctx) : undefined, result: t.result() };
      }
      return previous.get(t.id)!;
    });
    this.lessons.set(key, { context: ctx, tests: merged });
    this.last.set(slug, { ran: all ? tests.length : ran.size, kept: all ? 0 : tests.length - ran.size });
    if (all) return module;
    // The module as tally() reads it, with the kept results in place of the tests not run.
    const cases = merged.map((k) => ({ id: k.id, name: k.fullName, fullName: k.fullName, location: k.line ? { line: k.line, column: 1 } : undefined, result: () => k.result }));
    return new Proxy(module, {
      get(target, prop, receiver) {
        if (prop === "children") {
          const children = target.children;
          return new Proxy(children, {
            get(c, p, r) {
              if (p === "allTests") return function* () { yield* cases; };
              const v = Reflect.get(c, p, r);
              return typeof v === "function" ? v.bind(c) : v;
            },
          });
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as TestModule;
  }

  /** Forgets a lesson (or everything): its next check runs in full. */
  forget(slug?: string): void {
    if (slug === undefined) this.lessons.clear();
    else for (const k of [...this.lessons.keys()]) if (k.startsWith(`${slug}|`)) this.lessons.delete(k);
  }
}
