// `npm run setup`: prepare the embedded emulator ahead of time (moto into .workshop/moto-venv),
// so the first check does not wait for it. Optional: the first check would do the same.
import { findDockerEngine } from "../emulator/docker";
import { ensureMotoInstalled, EmulatorSetupError } from "../emulator/moto";

if (process.env.AWS_ENDPOINT_URL) {
  console.log(`AWS_ENDPOINT_URL is set (${process.env.AWS_ENDPOINT_URL}): the workshop uses that emulator, nothing to install.`);
} else if (process.env.WORKSHOP_EMULATOR !== "moto" && (await findDockerEngine())) {
  console.log("A Docker engine answers: the workshop will run LocalStack, nothing to install.");
} else {
  try {
    await ensureMotoInstalled();
    console.log("The embedded emulator (moto) is ready.");
  } catch (err) {
    if (!(err instanceof EmulatorSetupError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
