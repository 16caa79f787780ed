// A warm type checker in a worker thread: the type check runs beside the tests instead of
// before them, and a long-lived session (the dashboard, `npm run emulator`) keeps it warm.
import { Worker } from "node:worker_threads";
import type { TypeProblem } from "./typecheck";
import { t } from "../i18n";

export interface TypeCheck {
  check(files: string[]): Promise<Record<string, TypeProblem[]>>;
  close(): Promise<void>;
}

export class TypecheckThread implements TypeCheck {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (p: Record<string, TypeProblem[]>) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const entry = new URL("./typecheck-worker.ts", import.meta.url).href;
    // Worker threads do not inherit tsx's loader: register it first, then load the worker's module.
    const worker = new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
    worker.unref();
    worker.on("message", (answer: { id: number; problems?: Record<string, TypeProblem[]>; error?: string }) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiting) return;
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer.problems ?? {});
    });
    const fail = (err: Error) => {
      for (const w of this.pending.values()) w.reject(err);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(t("check.typecheckStopped", { code: String(code) }))));
    this.worker = worker;
    return worker;
  }

  /** Starts the checker now, so that its first check finds it warm. */
  warm(files: string[] = []): void {
    void this.check(files).catch(() => {});
  }

  check(files: string[]): Promise<Record<string, TypeProblem[]>> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // While a check is waited for, the thread keeps the process alive; otherwise it does not.
      worker.ref();
      worker.postMessage({ id, files });
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    }) as Promise<Record<string, TypeProblem[]>>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
