// The messages a learner reads most from workshop/clients/, in Spanish: the safety guard's
// refusal, a chaos fault's line, the cost line and its breakdown. The harness's own tests run in
// English (vitest.config.ts); these switch the language for one test each, as the dashboard's key
// does, and check that the text is the Spanish one, with the figures and names still in it.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { costLine, describeCost, summarize } from "./cost";
import { describeFault, describeFaultInTest } from "./faults";
import { describeRunExtras } from "./run-report";
import { assertSafeTarget, UnsafeTargetError } from "./safety";
import { spendEstimate } from "./spend";
import type { CallLine } from "./journal";

beforeEach(() => {
  vi.stubEnv("WORKSHOP_LANG", "es");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function thrown(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("nothing was thrown");
}

describe("en español", () => {
  test("the safety guard refuses a non-local endpoint in Spanish, and says how to opt in", () => {
    const err = thrown(() => assertSafeTarget("https://s3.amazonaws.com", {}));
    expect(err).toBeInstanceOf(UnsafeTargetError);
    expect(err.message).toMatch(/^No mando nada a https:\/\/s3\.amazonaws\.com: no es un emulador local \(no toca botón/);
    expect(err.message).toContain("Borrá AWS_ENDPOINT_URL");
    expect(err.message).toContain("poné WORKSHOP_REAL_AWS=1");
    expect(err.message).not.toMatch(/Refusing|Unset/);
    const none = thrown(() => assertSafeTarget(undefined, { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE" }));
    expect(none.message).toMatch(/^No hay ningún endpoint de emulador configurado, así que las solicitudes irían a AWS de verdad con las credenciales de tu entorno \(AWS_ACCESS_KEY_ID=AKIA…MPLE\)\./);
  });

  test("a chaos fault's line names the operation, the attempt, the line and the test in Spanish", () => {
    const fault = { service: "SQS", operation: "SendMessageBatch", fault: "throttle" as const, attempt: 1, detail: "400 ThrottlingException", where: "solutions/06-sqs/solution.ts:42", test: "step 3 > sends in batches", source: "chaos" as const };
    expect(describeFault(fault)).toBe("SQS.SendMessageBatch throttle (400 ThrottlingException, intento 1) desde solutions/06-sqs/solution.ts:42");
    expect(describeFaultInTest(fault)).toBe(`SQS.SendMessageBatch throttle (400 ThrottlingException, intento 1) desde solutions/06-sqs/solution.ts:42 · en "step 3 > sends in batches"`);
    const cost = summarize([]);
    const lines = describeRunExtras({ faults: [fault], cost }, 7, 20, "WORKSHOP_CHAOS=7");
    expect(lines[0]).toBe("Caos (todo puede fallar): semilla 7 (repetí las mismas fallas con WORKSHOP_CHAOS=7): 1 falla(s) inyectada(s).");
    expect(lines[1]).toContain("intento 1");
    expect(lines[2]).toBe("Costo (todo es tarifado): ninguna solicitud llegó a las API de AWS.");
  });

  test("the cost line and its breakdown are in Spanish, with the same figures", () => {
    const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
    const lines: CallLine[] = [
      { t: "call", service: "S3", operation: "PutObject", ok: true, requests: 2, startedAt: t0, endedAt: t0, region: "eu-west-1" },
      { t: "call", service: "EC2", operation: "RunInstances", ok: true, requests: 1, startedAt: t0, endedAt: t0, region: "eu-west-1", resources: [{ kind: "ec2-instance", id: "i-9", event: "start", at: t0, type: "t3.micro" }] },
    ];
    const summary = summarize(lines);
    const line = costLine(summary);
    expect(line).toMatch(/^Costo \(todo es tarifado\): 3 solicitudes \(S3 2, EC2 1\); en AWS \(eu-west-1, a precios de us-east-1\) cerca de \$0\.\d+, no todo es Always Free \(S3, EC2: se paga/);
    expect(line).toContain("1 recurso(s) que quedaron corriendo seguirían costando");
    expect(line).toContain(`Precios del ${summary.pricesChecked}`);
    const breakdown = describeCost(summary);
    expect(breakdown).toContain("Lo que habría costado en AWS, en eu-west-1");
    expect(breakdown).toContain("segundos de instancia t3.micro");
    expect(breakdown).toContain("solicitudes PUT, COPY, POST y LIST");
    expect(breakdown).toContain("No todo es Always Free.");
    expect(breakdown).not.toContain("instance-seconds");
    // The summary itself keeps its English labels: a run saved in one language is shown in the other.
    expect(summary.items.map((i) => i.item)).toContain("t3.micro instance-seconds");
    process.env.WORKSHOP_LANG = "en";
    expect(describeCost(summary)).toContain("t3.micro instance-seconds");
  });

  test("the real-AWS estimate without a run says so in Spanish", () => {
    expect(spendEstimate("99-nothing")).toMatch(/^No hay ninguna corrida de la lección 99-nothing contra el emulador para estimar/);
  });
});

test("a request the emulator cannot read is explained in Spanish: the parameter and where it belongs", async () => {
  const { PutBucketTaggingCommand, S3Client } = await import("@aws-sdk/client-s3");
  const { createClient, uniqueName } = await import("../testing");
  const s3 = createClient(S3Client);
  const wrong = { Bucket: uniqueName("malformed"), TagSet: [{ Key: "workshop", Value: "no-toca-boton" }] } as never;
  const err = (await s3.send(new PutBucketTaggingCommand(wrong)).catch((e: Error) => e)) as Error;
  expect(err.name).toBe("MalformedRequestError");
  expect(err.message).toMatch(/^El emulador no pudo leer la solicitud PutBucketTagging de S3/);
  expect(err.message).toContain("TagSet no es un parámetro de PutBucketTagging: va dentro de Tagging, como Tagging: { TagSet: [{ Key: string, Value: string }] }.");
  expect(err.message).toContain("Falta Tagging: PutBucketTagging lo necesita");
  expect(err.message).toContain("(Lo que dijo el SDK:");
});
