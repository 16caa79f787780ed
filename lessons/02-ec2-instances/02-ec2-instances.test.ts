// Lesson 02's checks. Each test sets up what it needs with plain SDK calls, so that it fails on its
// own TODO and no other; everything it launches carries a fleet tag, and afterAll terminates it.
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  type Instance,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { workshopTags } from "../../workshop/lesson";
import {
  createClient,
  injectFaults,
  loadLesson,
  NotImplementedError,
  recordCalls,
  say,
  uniqueName,
  waitFor,
  type Recording,
} from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("02-ec2-instances");
const ec2 = createClient(EC2Client);
const FAST = { client: ec2, minDelay: 1, maxDelay: 2, maxWaitTime: 8 };
const LIVE = ["pending", "running", "shutting-down", "stopping", "stopped"];
const AL2023 = { owners: ["amazon"], name: "al2023-ami-2023.*-x86_64", architecture: "x86_64" as const };

// What this file launched and created, so that afterAll can remove it even when a test fails.
const fleets: string[] = [];
const keyNames: string[] = [];
let imageId = "";

/**
 * The lesson's waiters may wait up to 2 minutes (real instances are slow); the emulator's are instant.
 * A waiter that waits for a state that never comes (the wrong waiter after a call) ends the check here,
 * within 8 s, saying what it waited for (`what`, in both languages: say("launchInstances to return", "la respuesta de launchInstances")).
 */
async function settles<T>(what: string, promise: Promise<T>): Promise<T> {
  const outcome: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(outcome, { done: true, value }),
    (error: unknown) => Object.assign(outcome, { done: true, error }),
  );
  await waitFor(what, () => (outcome.done ? true : undefined), { timeoutMs: 8000, intervalMs: 50 });
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}

/**
 * AWS answers RunInstances, StopInstances, StartInstances and TerminateInstances while the change is
 * still under way ("pending", "stopping"…); moto is done at once, so only what the code sent can show
 * whether it waited. A waiter, or a loop of DescribeInstances or DescribeInstanceStatus calls of its
 * own: any of them counts, as long as one came after the call that changed the state.
 */
function waitedAfter(rec: Recording, operation: string): string | undefined {
  const calls = rec.calls.filter((c) => c.fromLesson && c.service === "EC2");
  const changed = calls.findIndex((c) => c.operation === operation && c.ok);
  const shown = calls.map((c) => `EC2.${c.operation} (${c.ok ? "ok" : c.errorName})`).join("\n  ") || say("(nothing)", "(nada)");
  if (changed < 0) return say(`the lesson never sent a successful ${operation}; it sent:\n  ${shown}`, `la lección nunca mandó un ${operation} exitoso; mandó:\n  ${shown}`);
  const looked = calls.slice(changed + 1).some((c) => ["DescribeInstances", "DescribeInstanceStatus"].includes(c.operation));
  if (looked) return undefined;
  return say(
    `after ${operation} the lesson returned without asking EC2 for the new state (a waiter, or DescribeInstances until it holds); on AWS the instances are still changing then. It sent:\n  ${shown}`,
    `después de ${operation}, la lección volvió sin preguntarle a EC2 por el estado nuevo (un esperador, o DescribeInstances hasta que se cumpla); en AWS, en ese momento las instancias todavía están cambiando. Mandó:\n  ${shown}`,
  );
}

/** Fails the check with the whole sentence (an assertion would cut a long message short); both parts are already in the learner's language. */
function noProblem(problem: string | undefined, what: string): void {
  if (problem) throw new Error(say(`${what}: ${problem}`, `${what}: ${problem}`));
}

function newFleet(): string {
  const fleet = uniqueName("fleet");
  fleets.push(fleet);
  return fleet;
}

async function newKeyPair(): Promise<string> {
  const keyName = uniqueName("key");
  keyNames.push(keyName);
  await ec2.send(new CreateKeyPairCommand({ KeyName: keyName }));
  return keyName;
}

/** Launches `count` running instances tagged with the fleet, without the lesson's code. */
async function launch(fleet: string, count: number): Promise<string[]> {
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: "t3.micro",
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [{ ResourceType: "instance", Tags: [...workshopTags(), { Key: lesson.FLEET_TAG, Value: fleet }] }],
    }),
  );
  const ids = Instances.map((i) => i.InstanceId!);
  await waitUntilInstanceRunning(FAST, { InstanceIds: ids });
  return ids;
}

async function instancesOfFleet(fleet: string, states?: string[]): Promise<Instance[]> {
  const filters = [{ Name: `tag:${lesson.FLEET_TAG}`, Values: [fleet] }];
  if (states) filters.push({ Name: "instance-state-name", Values: states });
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  return Reservations.flatMap((r) => r.Instances ?? []);
}

async function statesOf(ids: string[]): Promise<Record<string, string>> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const instances = Reservations.flatMap((r) => r.Instances ?? []);
  return Object.fromEntries(instances.map((i) => [i.InstanceId!, i.State?.Name ?? "unknown"]));
}

function describeStates(states: Record<string, string>): string {
  return Object.entries(states).map(([id, state]) => `${id}=${state}`).join(", ") || say("no instances", "ninguna instancia");
}

beforeAll(async () => {
  // The image comes from the emulator's own catalogue, never from a hard-coded id.
  const { Images = [] } = await ec2.send(
    new DescribeImagesCommand({ Owners: AL2023.owners, Filters: [{ Name: "name", Values: [AL2023.name] }] }),
  );
  if (Images.length === 0) {
    throw new Error(say(`The emulator has no image named ${AL2023.name} owned by amazon.`, `El emulador no tiene ninguna imagen llamada ${AL2023.name} cuyo propietario sea amazon.`));
  }
  imageId = Images[0].ImageId!;
});

afterAll(async () => {
  // Found by the fleet tag, or by this file's key pairs: an unfinished launchInstances may forget the tags.
  const filters = [
    ...(fleets.length > 0 ? [[{ Name: `tag:${lesson.FLEET_TAG}`, Values: fleets }]] : []),
    ...(keyNames.length > 0 ? [[{ Name: "key-name", Values: keyNames }]] : []),
  ];
  for (const filter of filters) {
    const { Reservations = [] } = await ec2.send(
      new DescribeInstancesCommand({ Filters: [...filter, { Name: "instance-state-name", Values: LIVE }] }),
    );
    const live = Reservations.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
    if (live.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: live }));
  }
  for (const keyName of keyNames) await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
});

describe(say("the client", "el cliente"), () => {
  test(say("lesson: createEc2Client retries more than the SDK's default, in standard mode, in the region asked for", "lesson: createEc2Client reintenta más veces que el SDK por defecto, en modo standard, en la región pedida"), async () => {
    const client = lesson.createEc2Client("sa-east-1");
    const attempts = await client.config.maxAttempts();
    expect(attempts, say(`the client makes ${attempts} attempts per call`, `el cliente hace ${attempts} intentos por llamada`)).toBeGreaterThan(3);
    expect(client.config.retryMode, say("the client's retryMode (standard is what AWS's SDK guide recommends)", "el retryMode del cliente (standard es el que recomienda la guía de los SDK de AWS)")).toBe("standard");
    expect(await client.config.region(), say("the client's region", "la región del cliente")).toBe("sa-east-1");
  });
});

// Not "step 7: …": the check takes a test's step from the first "step N:" of its full name, and step 8's test is in here too.
describe(say("steps 7 and 8: regions and availability zones (stretch)", "pasos 7 y 8: regiones y zonas de disponibilidad (extra)"), () => {
  test(say("step 7: describeRegions lists the regions enabled for the account, this client's among them", "step 7: describeRegions lista las regiones habilitadas para la cuenta, entre ellas la de este cliente"), async () => {
    const regions = await lesson.describeRegions(ec2);
    const names = regions.map((r) => r.name);
    const { Regions = [] } = await ec2.send(new DescribeRegionsCommand({}));
    expect(names.sort(), say(`DescribeRegions holds ${Regions.length} regions`, `DescribeRegions tiene ${Regions.length} regiones`)).toEqual(Regions.map((r) => r.RegionName).sort());
    const found = say(`the regions found: ${names.join(", ")}`, `las regiones encontradas: ${names.join(", ")}`);
    expect(names, found).toContain(await ec2.config.region());
    expect(names, found).toContain("sa-east-1");
  });

  test(say("step 8: describeAvailabilityZones lists the zones of the client's region (São Paulo here)", "step 8: describeAvailabilityZones lista las zonas de la región del cliente (acá, São Paulo)"), async () => {
    const saoPaulo = createClient(EC2Client, { region: "sa-east-1" });
    const zones = await lesson.describeAvailabilityZones(saoPaulo);
    const { AvailabilityZones = [] } = await saoPaulo.send(new DescribeAvailabilityZonesCommand({}));
    const expected = AvailabilityZones.map((z) => z.ZoneName).sort();
    const found = zones.map((z) => z.name).sort();
    expect(found, say(`sa-east-1 has the zones ${expected.join(", ")}`, `sa-east-1 tiene las zonas ${expected.join(", ")}`)).toEqual(expected);
    expect(zones.length, say("São Paulo has more than one zone", "São Paulo tiene más de una zona")).toBeGreaterThan(1);
    for (const zone of zones) {
      expect(zone.region, say(`zone ${zone.name} belongs to region`, `la zona ${zone.name} pertenece a la región`)).toBe("sa-east-1");
    }
  });
});

describe(say("step 1: images", "step 1: imágenes"), () => {
  test(say("step 1: findLatestImage finds the newest Amazon Linux 2023 image for x86_64", "step 1: findLatestImage encuentra la imagen de Amazon Linux 2023 más nueva para x86_64"), async () => {
    const image = await lesson.findLatestImage(ec2, AL2023);
    const { Images = [] } = await ec2.send(
      new DescribeImagesCommand({
        Owners: ["amazon"],
        Filters: [{ Name: "name", Values: [AL2023.name] }, { Name: "architecture", Values: ["x86_64"] }],
      }),
    );
    const candidates = Images.map((i) => `${i.ImageId} ${i.Name} (${i.CreationDate})`).join("\n  ");
    const match = Images.find((i) => i.ImageId === image.imageId);
    expect(match, say(`${image.imageId} is not among the matching images:\n  ${candidates}`, `${image.imageId} no está entre las imágenes que coinciden:\n  ${candidates}`)).toBeDefined();
    expect(image.name, say("the image's name", "el nombre de la imagen")).toBe(match!.Name);
    expect(image.architecture, say("the image's architecture", "la arquitectura de la imagen")).toBe("x86_64");
    // The newest: no other match has a later CreationDate, nor the same date and a later name.
    const key = (i: { CreationDate?: string; Name?: string }) => `${i.CreationDate ?? ""} ${i.Name ?? ""}`;
    const newest = Images.map(key).sort().at(-1);
    expect(
      key(match!),
      say(
        `found "${key(match!)}", but the newest (by date, then name) is "${newest}"; the matches are:\n  ${candidates}\n`,
        `se encontró "${key(match!)}", pero la más nueva (por fecha, y después por nombre) es "${newest}"; las que coinciden son:\n  ${candidates}\n`,
      ),
    ).toBe(newest);
  });

  test(say("step 1: findLatestImage follows the query: arm64 gives an arm64 image", "step 1: findLatestImage respeta la consulta: arm64 da una imagen arm64"), async () => {
    const image = await lesson.findLatestImage(ec2, { owners: ["amazon"], name: "al2023-ami-2023.*-arm64", architecture: "arm64" });
    const found = `${image.imageId} (${image.name})`;
    expect(image.architecture, say(found, found)).toBe("arm64");
    expect(image.name, say("the image's name", "el nombre de la imagen")).toMatch(/^al2023-ami-2023\..*-arm64$/);
  });

  test(say("step 1: findLatestImage says so when no image matches", "step 1: findLatestImage lo dice cuando ninguna imagen coincide"), async () => {
    const query = { owners: ["amazon"], name: "nt-no-such-image-*", architecture: "x86_64" as const };
    const error = await lesson.findLatestImage(ec2, query).then(
      (image) => new Error(say(`no error, but the image ${image.imageId} (${image.name})`, `ningún error, sino la imagen ${image.imageId} (${image.name})`)),
      (err: Error) => err,
    );
    if (error instanceof NotImplementedError) throw error;
    expect(error.message, say("an error that names the pattern", "un error que nombre el patrón")).toMatch(/nt-no-such-image-\*/);
  });
});

describe(say("step 2: key pairs", "step 2: pares de claves"), () => {
  test(say("step 2: createKeyPair creates a tagged key pair and hands out its private key", "step 2: createKeyPair crea un par de claves etiquetado y entrega su clave privada"), async () => {
    const keyName = uniqueName("key");
    keyNames.push(keyName);
    const key = await lesson.createKeyPair(ec2, keyName);
    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    expect(KeyPairs.map((k) => k.KeyName), say("DescribeKeyPairs finds", "lo que encuentra DescribeKeyPairs")).toEqual([keyName]);
    expect(key.keyName).toBe(keyName);
    expect(key.fingerprint, say("the fingerprint matches DescribeKeyPairs", "la huella digital coincide con la de DescribeKeyPairs")).toBe(KeyPairs[0].KeyFingerprint);
    expect(key.privateKey, say("the private key, in PEM", "la clave privada, en PEM")).toMatch(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const tags = (KeyPairs[0].Tags ?? []).map((t) => `${t.Key}=${t.Value}`);
    expect(
      tags,
      say(
        `the key pair should carry workshopTags(); it has ${tags.join(", ") || "no tags"}`,
        `el par de claves tiene que llevar workshopTags(); tiene ${tags.join(", ") || "ninguna etiqueta"}`,
      ),
    ).toContain("workshop=no-toca-boton");
  });
});

describe(say("step 3: a reservation of instances", "step 3: una reserva de instancias"), () => {
  test(say("step 3: launchInstances launches N instances in one reservation, tagged, with the key and the client token", "step 3: launchInstances lanza N instancias en una sola reserva, etiquetadas, con el par de claves y el token de cliente"), async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const clientToken = uniqueName("token");
    const rec = recordCalls();
    const launched = await settles(
      say("launchInstances to return (its waiter waits for the instances to run)", "la respuesta de launchInstances (su esperador espera a que las instancias estén corriendo)"),
      lesson.launchInstances(ec2, { imageId, count: 2, keyName, name: "web", fleet, clientToken }),
    );
    rec.stop();
    noProblem(waitedAfter(rec, "RunInstances"), say("launchInstances waits until the instances run", "launchInstances espera hasta que las instancias estén corriendo"));
    expect(launched.instanceIds, say("the instance ids returned", "los IDs de instancia devueltos")).toHaveLength(2);

    const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: launched.instanceIds }));
    const held = Reservations.map((r) => `${r.ReservationId}: ${(r.Instances ?? []).map((i) => i.InstanceId).join(", ")}`);
    const shown = held.join("\n  ");
    expect(held, say(`one RunInstances call, one reservation; the emulator holds:\n  ${shown}`, `una llamada a RunInstances, una reserva; el emulador tiene:\n  ${shown}`)).toHaveLength(1);
    expect(Reservations[0].ReservationId, say("the reservation id returned", "el ID de reserva devuelto")).toBe(launched.reservationId);
    const instances = Reservations[0].Instances ?? [];
    expect(instances.map((i) => i.InstanceId).sort()).toEqual([...launched.instanceIds].sort());
    for (const instance of instances) {
      const tags = (instance.Tags ?? []).map((t) => `${t.Key}=${t.Value}`);
      const id = instance.InstanceId;
      expect(instance.State?.Name, say(`${id} is running (waited for)`, `${id} está en running (se esperó a que arrancara)`)).toBe("running");
      expect(instance.KeyName, say(`${id} was launched with the key pair`, `${id} se lanzó con el par de claves`)).toBe(keyName);
      expect(instance.ClientToken, say(`${id} carries the idempotency token`, `${id} lleva el token de idempotencia`)).toBe(clientToken);
      const wanted = ["Name=web", `${lesson.FLEET_TAG}=${fleet}`, "workshop=no-toca-boton"];
      expect(
        tags,
        say(
          `${id} should carry ${wanted.join(", ")}; it has ${tags.join(", ") || "no tags"}`,
          `${id} tiene que llevar ${wanted.join(", ")}; tiene ${tags.join(", ") || "ninguna etiqueta"}`,
        ),
      ).toEqual(expect.arrayContaining(wanted));
    }
  });
});

describe(say("step 4: finding instances by tag", "step 4: encontrar instancias por etiqueta"), () => {
  test(say("step 4: describeInstancesByTag finds the fleet's instances, grouped by reservation, and nothing else", "step 4: describeInstancesByTag encuentra las instancias de la flota, agrupadas por reserva, y nada más"), async () => {
    const fleet = newFleet();
    const first = await launch(fleet, 2);
    const second = await launch(fleet, 1);
    const decoy = await launch(newFleet(), 1);

    const reservations = await lesson.describeInstancesByTag(ec2, { Key: lesson.FLEET_TAG, Value: fleet });
    const groups = reservations.map((r) => r.instances.map((i) => i.instanceId).sort());
    const shown = groups.map((g) => `[${g.join(", ")}]`).join(" ");
    const found = say(`the reservations found: ${shown}`, `las reservas encontradas: ${shown}`);
    expect(groups, found).toHaveLength(2);
    expect(groups, found).toEqual(expect.arrayContaining([[...first].sort(), [...second].sort()]));
    expect(groups.flat(), say(`the other fleet's ${decoy[0]} is not in it`, `${decoy[0]}, de la otra flota, no está entre ellas`)).not.toContain(decoy[0]);
    for (const r of reservations) {
      expect(r.reservationId, say("every reservation has its id", "cada reserva tiene su ID")).toMatch(/^r-/);
      for (const i of r.instances) expect(i.state, say(`${i.instanceId}'s state`, `el estado de ${i.instanceId}`)).toBe("running");
    }
  });

  test(say("step 4: describeInstancesByTag can keep only the states asked for", "step 4: describeInstancesByTag puede quedarse solo con los estados pedidos"), async () => {
    const fleet = newFleet();
    const [gone, kept] = await launch(fleet, 2);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    const reservations = await lesson.describeInstancesByTag(ec2, { Key: lesson.FLEET_TAG, Value: fleet }, ["running"]);
    const found = reservations.flatMap((r) => r.instances.map((i) => `${i.instanceId}=${i.state}`));
    expect(found, say(`running instances of the fleet (${gone} was terminated)`, `instancias de la flota en running (${gone} se terminó)`)).toEqual([`${kept}=running`]);
  });
});

describe(say("stop, start, terminate", "detener, iniciar, terminar"), () => {
  test(say("step 9: stopInstances stops the instances and waits until they are stopped", "step 9: stopInstances detiene las instancias y espera hasta que estén detenidas"), async () => {
    const ids = await launch(newFleet(), 2);
    const rec = recordCalls();
    await settles(say("stopInstances to return (its waiter waits for \"stopped\")", "la respuesta de stopInstances (su esperador espera \"stopped\")"), lesson.stopInstances(ec2, ids));
    rec.stop();
    noProblem(waitedAfter(rec, "StopInstances"), say("stopInstances waits until the instances are stopped", "stopInstances espera hasta que las instancias estén detenidas"));
    const states = await statesOf(ids);
    expect(Object.values(states), say(`the emulator holds ${describeStates(states)}`, `el emulador tiene ${describeStates(states)}`)).toEqual(["stopped", "stopped"]);
  });

  test(say("step 10: startInstances starts stopped instances and waits until they run", "step 10: startInstances inicia instancias detenidas y espera hasta que estén corriendo"), async () => {
    const ids = await launch(newFleet(), 2);
    await ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
    await waitUntilInstanceStopped(FAST, { InstanceIds: ids });
    const rec = recordCalls();
    await settles(say("startInstances to return (its waiter waits for \"running\")", "la respuesta de startInstances (su esperador espera \"running\")"), lesson.startInstances(ec2, ids));
    rec.stop();
    noProblem(waitedAfter(rec, "StartInstances"), say("startInstances waits until the instances are running", "startInstances espera hasta que las instancias estén corriendo"));
    const states = await statesOf(ids);
    expect(Object.values(states), say(`the emulator holds ${describeStates(states)}`, `el emulador tiene ${describeStates(states)}`)).toEqual(["running", "running"]);
  });

  test(say("step 5: terminateInstances terminates the instances and waits until they are terminated", "step 5: terminateInstances termina las instancias y espera hasta que estén terminadas"), async () => {
    const ids = await launch(newFleet(), 2);
    const rec = recordCalls();
    await settles(
      say("terminateInstances to return (its waiter waits for \"terminated\")", "la respuesta de terminateInstances (su esperador espera \"terminated\")"),
      lesson.terminateInstances(ec2, ids),
    );
    rec.stop();
    noProblem(waitedAfter(rec, "TerminateInstances"), say("terminateInstances waits until the instances are terminated", "terminateInstances espera hasta que las instancias estén terminadas"));
    const states = await statesOf(ids);
    expect(Object.values(states), say(`the emulator holds ${describeStates(states)}`, `el emulador tiene ${describeStates(states)}`)).toEqual(["terminated", "terminated"]);
  });
});

describe(say("step 6: cleanup", "step 6: limpieza"), () => {
  test(say("step 6: cleanup terminates everything of the fleet, running or stopped, deletes the key pair, and touches nothing else", "step 6: cleanup termina todo lo de la flota, corriendo o detenido, borra el par de claves y no toca nada más"), async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const ids = await launch(fleet, 3);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0]] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[1]] }));
    await waitUntilInstanceTerminated(FAST, { InstanceIds: [ids[1]] });
    const [other] = await launch(newFleet(), 1);

    const terminated = await settles(say("cleanup to return (it waits for the instances to terminate)", "la respuesta de cleanup (que espera a que las instancias terminen)"), lesson.cleanup(ec2, fleet, keyName));

    expect([...terminated].sort(), say("cleanup returns the ids it terminated (the ones still alive)", "cleanup devuelve los IDs que terminó (los que seguían vivos)")).toEqual([ids[0], ids[2]].sort());
    const alive = await instancesOfFleet(fleet, LIVE);
    const shown = alive.map((i) => `${i.InstanceId}=${i.State?.Name}`).join(", ");
    expect(shown, say("instances of the fleet that are not terminated", "instancias de la flota que no están terminadas")).toBe("");
    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] })).catch((err: Error) => {
      if (err.name === "InvalidKeyPair.NotFound") return { KeyPairs: [] };
      throw err;
    });
    expect(KeyPairs.map((k) => k.KeyName), say("key pairs left with the fleet's key name", "pares de claves que quedaron con el nombre de clave de la flota")).toEqual([]);
    const states = await statesOf([other]);
    expect(states[other], say(`another fleet's instance ${other} is left alone`, `${other}, una instancia de otra flota, queda intacta`)).toBe("running");
  });
});

describe(say("when it fails", "cuando falla"), () => {
  test(say("step 3: a throttled RunInstances is retried by the SDK with the same ClientToken: one reservation, not two", "step 3: el SDK reintenta un RunInstances limitado (throttling) con el mismo ClientToken: una reserva, no dos"), async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const faults = injectFaults([{ service: "EC2", operation: "RunInstances", fault: "throttle", times: 1, from: "lesson" }]);
    const rec = recordCalls();
    const launched = await settles(
      say("launchInstances to return after a throttled RunInstances", "la respuesta de launchInstances después de un RunInstances limitado"),
      lesson.launchInstances(ec2, { imageId, count: 2, keyName, name: "web", fleet, clientToken: uniqueName("token") }),
    );
    rec.stop();
    expect(faults.injected.length, say("the throttle was injected", "se inyectó la limitación")).toBe(1);
    expect(rec.filter("EC2", "RunInstances").filter((c) => c.fromLesson), say("one RunInstances call (the SDK retried it)", "una llamada a RunInstances (el SDK la reintentó)")).toHaveLength(1);
    const instances = await instancesOfFleet(fleet, LIVE);
    const held = instances.map((i) => `${i.InstanceId}`).join(", ");
    expect(instances.map((i) => i.InstanceId).sort(), say(`the fleet holds ${held}`, `la flota tiene ${held}`)).toEqual([...launched.instanceIds].sort());
  });

  test(say("step 3: launchInstances rides out a DescribeInstances that fails once while it waits (503)", "step 3: launchInstances aguanta un DescribeInstances que falla una vez mientras espera (503)"), async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    injectFaults([{ service: "EC2", operation: "DescribeInstances", fault: "server-error", times: 1, from: "lesson" }]);
    const launched = await settles(
      say("launchInstances to return after a failed DescribeInstances", "la respuesta de launchInstances después de un DescribeInstances fallido"),
      lesson.launchInstances(ec2, { imageId, count: 1, keyName, name: "web", fleet, clientToken: uniqueName("token") }),
    );
    const states = await statesOf(launched.instanceIds);
    expect(Object.values(states), say(`the emulator holds ${describeStates(states)}`, `el emulador tiene ${describeStates(states)}`)).toEqual(["running"]);
  });

  test(say("step 6: cleanup still terminates everything when TerminateInstances fails once (a 503 the SDK retries)", "step 6: cleanup igual termina todo cuando TerminateInstances falla una vez (un 503 que el SDK reintenta)"), async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const ids = await launch(fleet, 2);
    const faults = injectFaults([{ service: "EC2", operation: "TerminateInstances", fault: "server-error", times: 1, from: "lesson" }]);
    const terminated = await settles(say("cleanup to return after a failed TerminateInstances", "la respuesta de cleanup después de un TerminateInstances fallido"), lesson.cleanup(ec2, fleet, keyName));
    expect(faults.injected.length, say("the 503 was injected", "se inyectó el 503")).toBe(1);
    expect([...terminated].sort(), say("cleanup returns the ids it terminated", "cleanup devuelve los IDs que terminó")).toEqual([...ids].sort());
    const alive = await instancesOfFleet(fleet, LIVE);
    expect(alive.map((i) => `${i.InstanceId}=${i.State?.Name}`).join(", "), say("instances of the fleet that are not terminated", "instancias de la flota que no están terminadas")).toBe("");
  });
});
