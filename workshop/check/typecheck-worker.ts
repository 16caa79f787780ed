// The worker thread of typecheck-thread.ts: one warm TypeChecker, answering { id, files } with
// { id, problems } (or { id, error }).
import { parentPort } from "node:worker_threads";
import { TypeChecker } from "./typecheck";

const checker = new TypeChecker();
parentPort!.on("message", (request: { id: number; files: string[] }) => {
  try {
    parentPort!.postMessage({ id: request.id, problems: checker.check(request.files) });
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
