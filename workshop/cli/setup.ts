// `npm run setup`: the step for the night before a workshop, on a good network. It prepares both
// emulators, so that nothing is downloaded on the day:
//   - moto, always (into .workshop/moto-venv): the workshop falls back to it whenever LocalStack
//     cannot start, so it must be ready even on a machine with Docker;
//   - when a Docker engine answers: LocalStack's image and Testcontainers' reaper (ryuk), found
//     on the engine or pulled. A check never pulls them itself.
// Exit 0 when everything is ready; 1 when something could not be prepared (it says what).
import { dockerEngine, imagePresent, pullImage, ryukImage } from "../emulator/docker";
import { localStackImage } from "../emulator/localstack";
import { ensureMotoInstalled, EmulatorSetupError } from "../emulator/moto";
import { explainStateError } from "./errors";

let ok = true;

if (process.env.AWS_ENDPOINT_URL) {
  console.log(`AWS_ENDPOINT_URL is set (${process.env.AWS_ENDPOINT_URL}): checks use that emulator; preparing the others anyway.`);
}

try {
  await ensureMotoInstalled();
  console.log("✓ moto (the embedded emulator) is ready in .workshop/moto-venv.");
} catch (err) {
  ok = false;
  const plain = explainStateError(err);
  if (plain) console.error(plain);
  else if (err instanceof EmulatorSetupError) console.error(err.message);
  else throw err;
}

if (process.env.WORKSHOP_EMULATOR === "moto") {
  console.log("WORKSHOP_EMULATOR=moto: Docker is not used, so no image is prepared.");
} else {
  const engine = await dockerEngine();
  if (!engine) {
    console.log("No Docker engine answers: checks use moto. (With Docker running, `npm run setup` also prepares LocalStack.)");
  } else {
    console.log(`A Docker engine answers (${engine.uri}): preparing LocalStack's images.`);
    for (const [image, what] of [
      [localStackImage(), "LocalStack"],
      [ryukImage(), "Testcontainers' reaper (ryuk)"],
    ] as const) {
      if (await imagePresent(engine, image)) {
        console.log(`✓ ${image} (${what}) is already on this machine.`);
        continue;
      }
      console.log(`  Pulling ${image} (${what})${what === "LocalStack" ? ", about 1 GB" : ""}…`);
      try {
        await pullImage(engine, image);
        console.log(`✓ ${image} pulled.`);
      } catch (err) {
        ok = false;
        console.error(`✗ ${image} could not be pulled: ${String((err as Error).message).split("\n")[0]}`);
        console.error(
          what === "LocalStack"
            ? "  Until it is pulled, checks use moto (which is fine). Try again on a better network."
            : "  Without it, LocalStack runs without the reaper; the workshop still removes its containers itself.",
        );
      }
    }
  }
}

console.log(ok ? "Ready for the workshop: nothing will be downloaded on the day." : "Something could not be prepared (see above).");
process.exit(ok ? 0 : 1);
