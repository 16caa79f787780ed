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
import { createClient, injectFaults, loadLesson, NotImplementedError, recordCalls, uniqueName, waitFor, type Recording } from "../../workshop/testing";

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
 * within 8 s, saying what it waited for.
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
  const shown = calls.map((c) => `EC2.${c.operation} (${c.ok ? "ok" : c.errorName})`).join("\n  ") || "(nothing)";
  if (changed < 0) return `the lesson never sent a successful ${operation}; it sent:\n  ${shown}`;
  const looked = calls.slice(changed + 1).some((c) => ["DescribeInstances", "DescribeInstanceStatus"].includes(c.operation));
  if (looked) return undefined;
  return `after ${operation} the lesson returned without asking EC2 for the new state (a waiter, or DescribeInstances until it holds); on AWS the instances are still changing then. It sent:\n  ${shown}`;
}

/** Fails the check with the whole sentence (an assertion would cut a long message short). */
function noProblem(problem: string | undefined, what: string): void {
  if (problem) throw new Error(`${what}: ${problem}`);
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
  return Object.entries(states).map(([id, state]) => `${id}=${state}`).join(", ") || "no instances";
}

beforeAll(async () => {
  // The image comes from the emulator's own catalogue, never from a hard-coded id.
  const { Images = [] } = await ec2.send(
    new DescribeImagesCommand({ Owners: AL2023.owners, Filters: [{ Name: "name", Values: [AL2023.name] }] }),
  );
  if (Images.length === 0) throw new Error(`The emulator has no image named ${AL2023.name} owned by amazon.`);
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

describe("the client", () => {
  test("lesson: createEc2Client retries more than the SDK's default, in standard mode, in the region asked for", async () => {
    const client = lesson.createEc2Client("sa-east-1");
    const attempts = await client.config.maxAttempts();
    expect(attempts, `the client makes ${attempts} attempts per call`).toBeGreaterThan(3);
    expect(client.config.retryMode, "the client's retryMode (standard is what AWS's SDK guide recommends)").toBe("standard");
    expect(await client.config.region(), "the client's region").toBe("sa-east-1");
  });
});

describe("step 7: regions and availability zones (stretch)", () => {
  test("step 7: describeRegions lists the regions enabled for the account, this client's among them", async () => {
    const regions = await lesson.describeRegions(ec2);
    const names = regions.map((r) => r.name);
    const { Regions = [] } = await ec2.send(new DescribeRegionsCommand({}));
    expect(names.sort(), `DescribeRegions holds ${Regions.length} regions`).toEqual(Regions.map((r) => r.RegionName).sort());
    expect(names, `the regions found: ${names.join(", ")}`).toContain(await ec2.config.region());
    expect(names, `the regions found: ${names.join(", ")}`).toContain("sa-east-1");
  });

  test("step 8: describeAvailabilityZones lists the zones of the client's region (São Paulo here)", async () => {
    const saoPaulo = createClient(EC2Client, { region: "sa-east-1" });
    const zones = await lesson.describeAvailabilityZones(saoPaulo);
    const { AvailabilityZones = [] } = await saoPaulo.send(new DescribeAvailabilityZonesCommand({}));
    const expected = AvailabilityZones.map((z) => z.ZoneName).sort();
    const found = zones.map((z) => z.name).sort();
    expect(found, `sa-east-1 has the zones ${expected.join(", ")}`).toEqual(expected);
    expect(zones.length, "São Paulo has more than one zone").toBeGreaterThan(1);
    for (const zone of zones) {
      expect(zone.region, `zone ${zone.name} belongs to region`).toBe("sa-east-1");
    }
  });
});

describe("step 1: images", () => {
  test("step 1: findLatestImage finds the newest Amazon Linux 2023 image for x86_64", async () => {
    const image = await lesson.findLatestImage(ec2, AL2023);
    const { Images = [] } = await ec2.send(
      new DescribeImagesCommand({
        Owners: ["amazon"],
        Filters: [{ Name: "name", Values: [AL2023.name] }, { Name: "architecture", Values: ["x86_64"] }],
      }),
    );
    const candidates = Images.map((i) => `${i.ImageId} ${i.Name} (${i.CreationDate})`).join("\n  ");
    const match = Images.find((i) => i.ImageId === image.imageId);
    expect(match, `${image.imageId} is not among the matching images:\n  ${candidates}`).toBeDefined();
    expect(image.name, "the image's name").toBe(match!.Name);
    expect(image.architecture, "the image's architecture").toBe("x86_64");
    // The newest: no other match has a later CreationDate, nor the same date and a later name.
    const key = (i: { CreationDate?: string; Name?: string }) => `${i.CreationDate ?? ""} ${i.Name ?? ""}`;
    const newest = Images.map(key).sort().at(-1);
    expect(key(match!), `found "${key(match!)}", but the newest (by date, then name) is "${newest}"; the matches are:\n  ${candidates}\n`).toBe(newest);
  });

  test("step 1: findLatestImage follows the query: arm64 gives an arm64 image", async () => {
    const image = await lesson.findLatestImage(ec2, { owners: ["amazon"], name: "al2023-ami-2023.*-arm64", architecture: "arm64" });
    expect(image.architecture, `${image.imageId} (${image.name})`).toBe("arm64");
    expect(image.name, "the image's name").toMatch(/^al2023-ami-2023\..*-arm64$/);
  });

  test("step 1: findLatestImage says so when no image matches", async () => {
    const query = { owners: ["amazon"], name: "nt-no-such-image-*", architecture: "x86_64" as const };
    const error = await lesson.findLatestImage(ec2, query).then(
      (image) => new Error(`no error, but the image ${image.imageId} (${image.name})`),
      (err: Error) => err,
    );
    if (error instanceof NotImplementedError) throw error;
    expect(error.message, "an error that names the pattern").toMatch(/nt-no-such-image-\*/);
  });
});

describe("step 2: key pairs", () => {
  test("step 2: createKeyPair creates a tagged key pair and hands out its private key", async () => {
    const keyName = uniqueName("key");
    keyNames.push(keyName);
    const key = await lesson.createKeyPair(ec2, keyName);
    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    expect(KeyPairs.map((k) => k.KeyName), "DescribeKeyPairs finds").toEqual([keyName]);
    expect(key.keyName).toBe(keyName);
    expect(key.fingerprint, "the fingerprint matches DescribeKeyPairs").toBe(KeyPairs[0].KeyFingerprint);
    expect(key.privateKey, "the private key, in PEM").toMatch(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const tags = (KeyPairs[0].Tags ?? []).map((t) => `${t.Key}=${t.Value}`);
    expect(tags, `the key pair should carry workshopTags(); it has ${tags.join(", ") || "no tags"}`).toContain("workshop=no-toca-boton");
  });
});

describe("step 3: a reservation of instances", () => {
  test("step 3: launchInstances launches N instances in one reservation, tagged, with the key and the client token", async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const clientToken = uniqueName("token");
    const rec = recordCalls();
    const launched = await settles(
      "launchInstances to return (its waiter waits for the instances to run)",
      lesson.launchInstances(ec2, { imageId, count: 2, keyName, name: "web", fleet, clientToken }),
    );
    rec.stop();
    noProblem(waitedAfter(rec, "RunInstances"), "launchInstances waits until the instances run");
    expect(launched.instanceIds, "the instance ids returned").toHaveLength(2);

    const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: launched.instanceIds }));
    const held = Reservations.map((r) => `${r.ReservationId}: ${(r.Instances ?? []).map((i) => i.InstanceId).join(", ")}`);
    expect(held, `one RunInstances call, one reservation; the emulator holds:\n  ${held.join("\n  ")}`).toHaveLength(1);
    expect(Reservations[0].ReservationId, "the reservation id returned").toBe(launched.reservationId);
    const instances = Reservations[0].Instances ?? [];
    expect(instances.map((i) => i.InstanceId).sort()).toEqual([...launched.instanceIds].sort());
    for (const instance of instances) {
      const tags = (instance.Tags ?? []).map((t) => `${t.Key}=${t.Value}`);
      expect(instance.State?.Name, `${instance.InstanceId} is running (waited for)`).toBe("running");
      expect(instance.KeyName, `${instance.InstanceId} was launched with the key pair`).toBe(keyName);
      expect(instance.ClientToken, `${instance.InstanceId} carries the idempotency token`).toBe(clientToken);
      const wanted = ["Name=web", `${lesson.FLEET_TAG}=${fleet}`, "workshop=no-toca-boton"];
      expect(tags, `${instance.InstanceId} should carry ${wanted.join(", ")}; it has ${tags.join(", ") || "no tags"}`).toEqual(
        expect.arrayContaining(wanted),
      );
    }
  });
});

describe("step 4: finding instances by tag", () => {
  test("step 4: describeInstancesByTag finds the fleet's instances, grouped by reservation, and nothing else", async () => {
    const fleet = newFleet();
    const first = await launch(fleet, 2);
    const second = await launch(fleet, 1);
    const decoy = await launch(newFleet(), 1);

    const reservations = await lesson.describeInstancesByTag(ec2, { Key: lesson.FLEET_TAG, Value: fleet });
    const groups = reservations.map((r) => r.instances.map((i) => i.instanceId).sort());
    const shown = groups.map((g) => `[${g.join(", ")}]`).join(" ");
    expect(groups, `the reservations found: ${shown}`).toHaveLength(2);
    expect(groups, `the reservations found: ${shown}`).toEqual(expect.arrayContaining([[...first].sort(), [...second].sort()]));
    expect(groups.flat(), `the other fleet's ${decoy[0]} is not in it`).not.toContain(decoy[0]);
    for (const r of reservations) {
      expect(r.reservationId, "every reservation has its id").toMatch(/^r-/);
      for (const i of r.instances) expect(i.state, `${i.instanceId}'s state`).toBe("running");
    }
  });

  test("step 4: describeInstancesByTag can keep only the states asked for", async () => {
    const fleet = newFleet();
    const [gone, kept] = await launch(fleet, 2);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    const reservations = await lesson.describeInstancesByTag(ec2, { Key: lesson.FLEET_TAG, Value: fleet }, ["running"]);
    const found = reservations.flatMap((r) => r.instances.map((i) => `${i.instanceId}=${i.state}`));
    expect(found, `running instances of the fleet (${gone} was terminated)`).toEqual([`${kept}=running`]);
  });
});

describe("stop, start, terminate", () => {
  test("step 9: stopInstances stops the instances and waits until they are stopped", async () => {
    const ids = await launch(newFleet(), 2);
    const rec = recordCalls();
    await settles("stopInstances to return (its waiter waits for \"stopped\")", lesson.stopInstances(ec2, ids));
    rec.stop();
    noProblem(waitedAfter(rec, "StopInstances"), "stopInstances waits until the instances are stopped");
    const states = await statesOf(ids);
    expect(Object.values(states), `the emulator holds ${describeStates(states)}`).toEqual(["stopped", "stopped"]);
  });

  test("step 10: startInstances starts stopped instances and waits until they run", async () => {
    const ids = await launch(newFleet(), 2);
    await ec2.send(new StopInstancesCommand({ InstanceIds: ids }));
    await waitUntilInstanceStopped(FAST, { InstanceIds: ids });
    const rec = recordCalls();
    await settles("startInstances to return (its waiter waits for \"running\")", lesson.startInstances(ec2, ids));
    rec.stop();
    noProblem(waitedAfter(rec, "StartInstances"), "startInstances waits until the instances are running");
    const states = await statesOf(ids);
    expect(Object.values(states), `the emulator holds ${describeStates(states)}`).toEqual(["running", "running"]);
  });

  test("step 5: terminateInstances terminates the instances and waits until they are terminated", async () => {
    const ids = await launch(newFleet(), 2);
    const rec = recordCalls();
    await settles("terminateInstances to return (its waiter waits for \"terminated\")", lesson.terminateInstances(ec2, ids));
    rec.stop();
    noProblem(waitedAfter(rec, "TerminateInstances"), "terminateInstances waits until the instances are terminated");
    const states = await statesOf(ids);
    expect(Object.values(states), `the emulator holds ${describeStates(states)}`).toEqual(["terminated", "terminated"]);
  });
});

describe("step 6: cleanup", () => {
  test("step 6: cleanup terminates everything of the fleet, running or stopped, deletes the key pair, and touches nothing else", async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const ids = await launch(fleet, 3);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0]] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[1]] }));
    await waitUntilInstanceTerminated(FAST, { InstanceIds: [ids[1]] });
    const [other] = await launch(newFleet(), 1);

    const terminated = await settles("cleanup to return (it waits for the instances to terminate)", lesson.cleanup(ec2, fleet, keyName));

    expect([...terminated].sort(), "cleanup returns the ids it terminated (the ones still alive)").toEqual([ids[0], ids[2]].sort());
    const alive = await instancesOfFleet(fleet, LIVE);
    const shown = alive.map((i) => `${i.InstanceId}=${i.State?.Name}`).join(", ");
    expect(shown, "instances of the fleet that are not terminated").toBe("");
    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] })).catch((err: Error) => {
      if (err.name === "InvalidKeyPair.NotFound") return { KeyPairs: [] };
      throw err;
    });
    expect(KeyPairs.map((k) => k.KeyName), "key pairs left with the fleet's key name").toEqual([]);
    const states = await statesOf([other]);
    expect(states[other], `another fleet's instance ${other} is left alone`).toBe("running");
  });
});

describe("when it fails", () => {
  test("step 3: a throttled RunInstances is retried by the SDK with the same ClientToken: one reservation, not two", async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const faults = injectFaults([{ service: "EC2", operation: "RunInstances", fault: "throttle", times: 1, from: "lesson" }]);
    const rec = recordCalls();
    const launched = await settles(
      "launchInstances to return after a throttled RunInstances",
      lesson.launchInstances(ec2, { imageId, count: 2, keyName, name: "web", fleet, clientToken: uniqueName("token") }),
    );
    rec.stop();
    expect(faults.injected.length, "the throttle was injected").toBe(1);
    expect(rec.filter("EC2", "RunInstances").filter((c) => c.fromLesson), "one RunInstances call (the SDK retried it)").toHaveLength(1);
    const instances = await instancesOfFleet(fleet, LIVE);
    const held = instances.map((i) => `${i.InstanceId}`).join(", ");
    expect(instances.map((i) => i.InstanceId).sort(), `the fleet holds ${held}`).toEqual([...launched.instanceIds].sort());
  });

  test("step 3: launchInstances rides out a DescribeInstances that fails once while it waits (503)", async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    injectFaults([{ service: "EC2", operation: "DescribeInstances", fault: "server-error", times: 1, from: "lesson" }]);
    const launched = await settles(
      "launchInstances to return after a failed DescribeInstances",
      lesson.launchInstances(ec2, { imageId, count: 1, keyName, name: "web", fleet, clientToken: uniqueName("token") }),
    );
    const states = await statesOf(launched.instanceIds);
    expect(Object.values(states), `the emulator holds ${describeStates(states)}`).toEqual(["running"]);
  });

  test("step 6: cleanup still terminates everything when TerminateInstances fails once (a 503 the SDK retries)", async () => {
    const fleet = newFleet();
    const keyName = await newKeyPair();
    const ids = await launch(fleet, 2);
    const faults = injectFaults([{ service: "EC2", operation: "TerminateInstances", fault: "server-error", times: 1, from: "lesson" }]);
    const terminated = await settles("cleanup to return after a failed TerminateInstances", lesson.cleanup(ec2, fleet, keyName));
    expect(faults.injected.length, "the 503 was injected").toBe(1);
    expect([...terminated].sort(), "cleanup returns the ids it terminated").toEqual([...ids].sort());
    const alive = await instancesOfFleet(fleet, LIVE);
    expect(alive.map((i) => `${i.InstanceId}=${i.State?.Name}`).join(", "), "instances of the fleet that are not terminated").toBe("");
  });
});
