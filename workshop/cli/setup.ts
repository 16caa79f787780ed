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
import { t } from "../i18n";

let ok = true;

if (process.env.AWS_ENDPOINT_URL) {
  console.log(t("setup.endpointSet", { endpoint: process.env.AWS_ENDPOINT_URL }));
}

try {
  await ensureMotoInstalled();
  console.log(t("setup.motoReady"));
} catch (err) {
  ok = false;
  const plain = explainStateError(err);
  if (plain) console.error(plain);
  else if (err instanceof EmulatorSetupError) console.error(err.message);
  else throw err;
}

if (process.env.WORKSHOP_EMULATOR === "moto") {
  console.log(t("setup.motoOnly"));
} else {
  const engine = await dockerEngine();
  if (!engine) {
    console.log(t("setup.noDocker"));
  } else {
    console.log(t("setup.docker", { uri: engine.uri }));
    for (const [image, isLocalStack] of [
      [localStackImage(), true],
      [ryukImage(), false],
    ] as const) {
      const what = isLocalStack ? "LocalStack" : t("setup.what.ryuk");
      if (await imagePresent(engine, image)) {
        console.log(t("setup.present", { image, what }));
        continue;
      }
      console.log(isLocalStack ? t("setup.pullingLocalStack", { image }) : t("setup.pulling", { image, what }));
      try {
        await pullImage(engine, image);
        console.log(t("setup.pulled", { image }));
      } catch (err) {
        ok = false;
        console.error(t("setup.pullFailed", { image, why: String((err as Error).message).split("\n")[0] }));
        console.error(t(isLocalStack ? "setup.pullFailedLocalStack" : "setup.pullFailedRyuk"));
      }
    }
  }
}

console.log(t(ok ? "setup.ready" : "setup.notReady"));
process.exit(ok ? 0 : 1);
