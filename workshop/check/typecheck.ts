// The type check: the lesson's file checked as `tsc --noEmit -p .` would check it (the repo's
// tsconfig.json, the TypeScript compiler API), keeping only what matters to the learner: the
// file's own errors and those of the workshop files it imports, never node_modules'.
// A TypeChecker is warm: it keeps a LanguageService, so a re-check after a save only re-reads
// the files that changed (a few hundred ms instead of seconds). It runs in a worker thread
// (typecheck-thread.ts), beside the tests.
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { ROOT } from "../paths";

export interface TypeProblem {
  /** "lessons/04-s3/exercise.ts" */
  file: string;
  line: number;
  column: number;
  /** The compiler's own words. */
  message: string;
  /** TS2322 and so on. */
  code: number;
  /** The line, with its neighbours and a ^ under the column. */
  frame: string;
  /** The exported function of the checked file the error is in, if any. */
  inFunction?: string;
}

function loadOptions(root: string): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => {},
  });
  return { ...(config?.options ?? { strict: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }), noEmit: true };
}

/** The lines around `line` (1-based), numbered, with a ^ under `column`. */
export function codeFrame(text: string, line: number, column: number, around = 1): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - around);
  const last = Math.min(lines.length, line + around);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === line ? ">" : " ";
    out.push(`${mark} ${String(n).padStart(width)} | ${lines[n - 1].replace(/\t/g, "  ")}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

/** The name of the top-level function (or const arrow function) that spans `pos`, if any. */
export function functionAt(source: ts.SourceFile, pos: number): string | undefined {
  for (const statement of source.statements) {
    if (pos < statement.getStart(source) || pos >= statement.end) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) return statement.name.text;
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) return d.name.text;
      }
    }
  }
  return undefined;
}

export class TypeChecker {
  private readonly options: ts.CompilerOptions;
  private readonly service: ts.LanguageService;
  private roots: string[] = [];
  /** file → "mtime:size", so a file is read again only when it changed on disk. */
  private readonly versions = new Map<string, string>();

  constructor(private readonly root = ROOT) {
    this.options = loadOptions(root);
    const stamp = (file: string): string => {
      try {
        const s = statSync(file);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return "missing";
      }
    };
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => this.roots,
      getScriptVersion: (file) => {
        // node_modules and the standard library do not change during a session.
        if (file.includes(`${sep}node_modules${sep}`) || file.includes("/node_modules/")) return "0";
        const version = stamp(file);
        this.versions.set(file, version);
        return version;
      },
      getScriptSnapshot: (file) => {
        let text: string | undefined;
        try {
          text = readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
        return ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => this.root,
      getCompilationSettings: () => this.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /**
   * The type errors of each file, and of the project's own files it imports (not node_modules').
   * An error in an imported file is reported once, under the first file that imports it.
   */
  check(files: string[]): Record<string, TypeProblem[]> {
    const absolute = files.map((f) => (isAbsolute(f) ? f : resolve(this.root, f)));
    this.roots = absolute;
    const program = this.service.getProgram();
    const out: Record<string, TypeProblem[]> = {};
    if (!program) return out;
    const seen = new Set<string>();
    for (const file of absolute) {
      const problems: TypeProblem[] = [];
      const source = program.getSourceFile(file);
      const mine = source ? [source, ...this.ownImports(program, source)] : [];
      for (const sf of mine) {
        if (seen.has(sf.fileName)) continue;
        seen.add(sf.fileName);
        const diagnostics = this.diagnostics(sf, sf === source);
        for (const d of diagnostics) {
          if (d.category !== ts.DiagnosticCategory.Error || !d.file || d.start === undefined) continue;
          const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
          const inFunction = d.file === source ? functionAt(d.file, d.start) : undefined;
          problems.push({
            file: relative(this.root, d.file.fileName).split(sep).join("/"),
            line: line + 1,
            column: character + 1,
            message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
            code: d.code,
            frame: codeFrame(d.file.text, line + 1, character + 1),
            ...(inFunction ? { inFunction } : {}),
          });
        }
      }
      out[file] = problems;
    }
    return out;
  }

  private readonly cached = new Map<string, { version: string; diagnostics: ts.Diagnostic[] }>();

  /**
   * A file's errors. The imported workshop files rarely change during a session: their errors are
   * kept until their own version changes, so that a save re-checks only the learner's file.
   */
  private diagnostics(sf: ts.SourceFile, isRoot: boolean): readonly ts.Diagnostic[] {
    const version = this.versions.get(sf.fileName) ?? "?";
    const hit = this.cached.get(sf.fileName);
    if (!isRoot && hit && hit.version === version) return hit.diagnostics;
    const diagnostics = [...this.service.getSyntacticDiagnostics(sf.fileName), ...this.service.getSemanticDiagnostics(sf.fileName)];
    if (!isRoot) this.cached.set(sf.fileName, { version, diagnostics });
    return diagnostics;
  }

  /** The project's own files `source` imports, directly or not (the workshop's lesson.ts, say). */
  private ownImports(program: ts.Program, source: ts.SourceFile): ts.SourceFile[] {
    const found = new Map<string, ts.SourceFile>();
    const visit = (sf: ts.SourceFile) => {
      for (const spec of sf.statements.flatMap((s) => (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? [s.moduleSpecifier.text] : [])) {
        const resolved = ts.resolveModuleName(spec, sf.fileName, this.options, ts.sys).resolvedModule;
        if (!resolved || resolved.isExternalLibraryImport || resolved.resolvedFileName.endsWith(".d.ts")) continue;
        const next = program.getSourceFile(resolved.resolvedFileName);
        if (!next || found.has(next.fileName) || next === source) continue;
        found.set(next.fileName, next);
        visit(next);
      }
    };
    visit(source);
    return [...found.values()];
  }
}
