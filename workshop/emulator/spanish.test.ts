// The emulator's messages in Spanish: the line that says why moto runs instead of LocalStack, an
// emulator that does not answer, and a port already in use (a real one, taken here).
import net from "node:net";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { emulatorDownMessage, EmulatorSetupError, fallbackMessage, startEmulator } from ".";
import { t } from "../i18n";

beforeEach(() => {
  vi.stubEnv("WORKSHOP_LANG", "es");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

test("the fallback to moto says why and how to choose, in Spanish", () => {
  const reason = t("emulator.localstack.noImage", { image: "localstack/localstack:4.14.0" });
  expect(fallbackMessage(reason)).toBe(
    "Docker responde, pero la imagen de LocalStack localstack/localstack:4.14.0 no está en esta máquina y una verificación nunca la descarga (`npm run setup` sí): " +
      "uso moto en su lugar (elegí con WORKSHOP_EMULATOR=moto o WORKSHOP_EMULATOR=localstack).",
  );
  process.env.WORKSHOP_LANG = "en";
  expect(fallbackMessage("x")).toBe("x: using moto instead (choose with WORKSHOP_EMULATOR=moto or WORKSHOP_EMULATOR=localstack).");
});

test("an emulator that does not answer is said in Spanish, with what to do", () => {
  const message = emulatorDownMessage("http://127.0.0.1:4566", t("emulator.down.fromEnv"));
  expect(message.split("\n")[0]).toBe("El emulador en http://127.0.0.1:4566 (de AWS_ENDPOINT_URL) no responde.");
  expect(message).toContain("Si querías usarlo, arrancalo: `npm run emulator`");
  expect(message).toContain("borrá AWS_ENDPOINT_URL");
});

test("a port in use is refused in Spanish before anything starts", async () => {
  const server = net.createServer((socket) => socket.destroy()); // taken, and answers nothing
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const err = (await startEmulator({ kind: "moto", host: "127.0.0.1", port }).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(EmulatorSetupError);
    expect(err.message).toMatch(new RegExp(`^El puerto ${port} ya está en uso\\.`));
    expect(err.message).toContain("Elegí otro puerto con --port, o pará lo que lo está usando.");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
