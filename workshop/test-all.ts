// `npm test`: the typecheck, the harness's own tests, every lesson against its reference
// solution, and every untouched exercise proven to fail. Ends with "N passed, N failed".
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import pc from "picocolors";
import { startVitest } from "vitest/node";
import { tally } from "./check";
import { ROOT } from "./paths";

let passed = 0;
let failed = 0;

console.log(pc.bold("Typecheck (tsc --noEmit)"));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const typecheck = spawnSync(process.execPath, [tsc, "--noEmit", "-p", ROOT], { stdio: "inherit", cwd: ROOT });
if (typecheck.status === 0) {
  passed += 1;
  console.log(pc.green("✓ typecheck\n"));
} else {
  failed += 1;
  console.log(pc.red("✗ typecheck failed\n"));
}

const filters = process.argv.slice(2);
const vitest = await startVitest("test", filters, { run: true, watch: false, root: ROOT });
if (vitest) {
  const counted = tally(vitest.state.getTestModules());
  passed += counted.passed;
  failed += counted.failed;
  for (const _ of vitest.state.getUnhandledErrors()) failed += 1;
  await vitest.close();
} else {
  failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
