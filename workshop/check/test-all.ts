// `npm test`: the typecheck, the harness's own tests, every lesson against its reference
// solution, every untouched exercise proven to fail, and the proof that the run left nothing
// behind in the emulator. Ends with "N passed, N failed".
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import pc from "picocolors";
import { startVitest } from "vitest/node";
import { tally } from "./index";
import { join } from "node:path";
import { ROOT, STATE_DIR } from "../paths";
import { t } from "../i18n";

let passed = 0;
let failed = 0;

// The typecheck runs beside the tests (it needs no emulator); its verdict is printed after them.
// Incremental: tsc keeps what it learned in .workshop/ (git-ignored), so that the next `npm test`
// re-checks only the files that changed and those that depend on them (tsc's own bookkeeping:
// the same errors as a cold `tsc --noEmit -p .`, which CI's fresh clone runs anyway).
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const typecheck = new Promise<{ code: number | null; output: string }>((resolve) => {
  const incremental = ["--incremental", "--tsBuildInfoFile", join(STATE_DIR, "tsc.tsbuildinfo")];
  const child = spawn(process.execPath, [tsc, "--noEmit", "--pretty", "false", ...incremental, "-p", ROOT], { cwd: ROOT });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.on("close", (code) => resolve({ code, output }));
});

const filters = process.argv.slice(2);
const vitest = await startVitest("test", filters, { run: true, watch: false, root: ROOT });
// Set by the global setup when no emulator could be had: then no test ran at all, and the count
// must say so rather than read as one failure beside a green typecheck.
const emulatorFailed = process.env.WORKSHOP_EMULATOR_FAILED;
let notRun = 0;
if (vitest) {
  const counted = tally(vitest.state.getTestModules());
  passed += counted.passed;
  failed += counted.failed;
  if (emulatorFailed) notRun = await vitest.globTestSpecifications(filters).then((specs) => specs.length, () => 1);
  else failed += vitest.state.getUnhandledErrors().length;
  await vitest.close();
} else {
  failed += 1;
}

console.log("");
const leftovers: string[] | undefined = process.env.WORKSHOP_LEFTOVERS === undefined ? undefined : JSON.parse(process.env.WORKSHOP_LEFTOVERS);
if (emulatorFailed) {
  failed += Math.max(1, notRun);
  console.log(pc.red(`✗ ${t("check.suite.noTestRan", { n: notRun })}`));
  console.log(pc.red(`  ${emulatorFailed.split("\n").join("\n  ")}`));
} else if (leftovers === undefined) {
  failed += 1;
  console.log(pc.red(`✗ ${t("check.suite.leftoversNotLooked")}`));
} else if (leftovers.length === 0) {
  passed += 1;
  console.log(pc.green(`✓ ${t("check.suite.nothingLeft")}`));
} else {
  failed += 1;
  console.log(pc.red(`✗ ${t("check.suite.leftBehind")}\n  ${leftovers.join("\n  ")}`));
}

const { code, output } = await typecheck;
if (code === 0) {
  passed += 1;
  console.log(pc.green(`✓ ${t("check.suite.typecheck")}`));
} else {
  failed += 1;
  console.log(output.trim());
  console.log(pc.red(`✗ ${t("check.suite.typecheckFailed")}`));
}

console.log(`\n${t("check.suite.total", { passed, failed })}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
