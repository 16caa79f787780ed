// Lesson 02: EC2 instances. Images are templates, reservations are the instances launched from
// them; regions hold availability zones; the instance is the unit of parallelism; and
// "everything can fail at any time", so we retry, wait with waiters, and always clean up.
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRegionsCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeImages,
  paginateDescribeInstances,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  type ArchitectureValues,
  type InstanceStateName,
  type _InstanceType,
} from "@aws-sdk/client-ec2";
import { createClient, NotImplementedError, runMain, todo, uniqueName, workshopTags } from "../../workshop/lesson";

// ---------------------------------------------------------------------------------------------
// Types: what goes in and what comes out of each step.

export interface RegionSummary {
  name: string;
  endpoint?: string;
  /** "opt-in-not-required", "opted-in" or "not-opted-in": some regions must be switched on first. */
  optInStatus?: string;
}

export interface ZoneSummary {
  name: string;
  /** The zone's id ("use1-az6") is the same physical place for every account; its name is not. */
  id?: string;
  region: string;
  state?: string;
}

/** What to look for with DescribeImages. `name` may use `*` wildcards: "al2023-ami-2023.*-x86_64". */
export interface ImageQuery {
  owners: string[];
  name: string;
  architecture: ArchitectureValues;
}

export interface ImageSummary {
  imageId: string;
  name: string;
  architecture?: string;
  creationDate?: string;
  ownerId?: string;
}

export interface KeyPairSummary {
  keyName: string;
  keyPairId?: string;
  fingerprint?: string;
  /** The private key, PEM. AWS hands it out exactly once: save it (chmod 600) or lose it. */
  privateKey: string;
}

export interface LaunchRequest {
  imageId: string;
  /** How many instances: all of them or none (MinCount = MaxCount = count). */
  count: number;
  instanceType?: _InstanceType;
  keyName: string;
  /** The "Name" tag, what the console shows for each instance. */
  name: string;
  /** The value of the FLEET_TAG tag: how this run finds its own instances again. */
  fleet: string;
  /** Idempotency token: the same token means "the same launch", not "another one". */
  clientToken: string;
}

export interface LaunchedReservation {
  reservationId: string;
  instanceIds: string[];
}

export interface InstanceSummary {
  instanceId: string;
  state: string;
  availabilityZone?: string;
  name?: string;
  keyName?: string;
  clientToken?: string;
}

export interface ReservationSummary {
  reservationId: string;
  instances: InstanceSummary[];
}

/** The tag that marks the instances of one run of this lesson. */
export const FLEET_TAG = "fleet";

/** Every state but "terminated": an instance in one of these can still cost money. */
export const LIVE_STATES: InstanceStateName[] = ["pending", "running", "shutting-down", "stopping", "stopped"];

/**
 * How the waiters poll. On AWS an instance takes tens of seconds to start or stop; on an emulator
 * it is instant. The first check is immediate, then the SDK backs off from minDelay to maxDelay
 * seconds and gives up (throws) after maxWaitTime seconds.
 */
export const WAITER = { minDelay: 1, maxDelay: 5, maxWaitTime: 120 } as const;

// ---------------------------------------------------------------------------------------------
// The client.

/**
 * An EC2 client for one region. "Everything can fail at any time" and "latency is variable"
 * ("todo puede fallar en cualquier momento", "la latencia es variable"): the SDK retries
 * throttling, 5xx and network errors with exponential backoff. "adaptive" also slows the client
 * down when AWS answers "slow down", so a burst of calls does not make things worse.
 */
export function createEc2Client(region?: string): EC2Client {
  return createClient(EC2Client, {
    maxAttempts: 5,
    retryMode: "adaptive",
    ...(region ? { region } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Step 1: regions and availability zones.

export async function describeRegions(ec2: EC2Client): Promise<RegionSummary[]> {
  // TODO 1: list the regions with DescribeRegionsCommand, and turn each one into a RegionSummary
  //         (RegionName → name, Endpoint → endpoint, OptInStatus → optInStatus).
  return todo(1, "list the regions with DescribeRegionsCommand");
}

/** The zones of the client's own region: a client talks to exactly one region. */
export async function describeAvailabilityZones(ec2: EC2Client): Promise<ZoneSummary[]> {
  // TODO 2: list the zones with DescribeAvailabilityZonesCommand (no input: the client's region),
  //         and turn each one into a ZoneSummary (ZoneName, ZoneId, RegionName, State).
  return todo(2, "list the availability zones with DescribeAvailabilityZonesCommand");
}

// ---------------------------------------------------------------------------------------------
// Step 2: find an image (the template).

/** The newest image that matches: latest CreationDate first, and by name when dates tie. */
export async function findLatestImage(ec2: EC2Client, query: ImageQuery): Promise<ImageSummary> {
  // TODO 3: page through paginateDescribeImages with Owners: query.owners and three filters,
  //         "name" (query.name), "architecture" (query.architecture) and "state" ("available").
  //         Collect ImageSummary objects, sort them with newestFirst, and return the first one.
  //         When nothing matches, throw an Error that names the pattern (query.name).
  return todo(3, "find the newest matching image with paginateDescribeImages");
}

/** Sorts images newest first: by CreationDate (ISO 8601 sorts as text), then by name. */
export function newestFirst(a: ImageSummary, b: ImageSummary): number {
  return (b.creationDate ?? "").localeCompare(a.creationDate ?? "") || b.name.localeCompare(a.name);
}

// ---------------------------------------------------------------------------------------------
// Step 3: a key pair, to log in to the instances with SSH.

export async function createKeyPair(ec2: EC2Client, keyName: string): Promise<KeyPairSummary> {
  // TODO 4: create the key pair with CreateKeyPairCommand, tagged with workshopTags()
  //         (TagSpecifications, ResourceType "key-pair"). Return its name, KeyPairId,
  //         KeyFingerprint and KeyMaterial (the private key).
  return todo(4, "create a tagged key pair with CreateKeyPairCommand");
}

// ---------------------------------------------------------------------------------------------
// Step 4: launch a reservation of several instances in one call.

export async function launchInstances(ec2: EC2Client, request: LaunchRequest): Promise<LaunchedReservation> {
  // TODO 5: launch request.count instances in ONE RunInstancesCommand: MinCount = MaxCount = count,
  //         ImageId, InstanceType (default "t3.micro"), KeyName and ClientToken from the request, and
  //         TagSpecifications for ResourceType "instance": workshopTags(), plus Name = request.name
  //         and FLEET_TAG = request.fleet. Then waitUntilInstanceRunning({ client: ec2, ...WAITER }, …)
  //         and return the ReservationId and the instance ids.
  return todo(5, "launch a tagged reservation with RunInstancesCommand and wait until it runs");
}

// ---------------------------------------------------------------------------------------------
// Step 5: find them again, by tag, grouped by reservation.

export async function describeInstancesByTag(
  ec2: EC2Client,
  tag: { Key: string; Value: string },
  states?: InstanceStateName[],
): Promise<ReservationSummary[]> {
  // TODO 6: page through paginateDescribeInstances (pageSize 5) with a filter "tag:<Key>" = [Value],
  //         plus "instance-state-name" = states when states are given. Return one ReservationSummary
  //         per reservation, with its instances (InstanceId, State.Name, Placement.AvailabilityZone,
  //         the Name tag, KeyName, ClientToken).
  return todo(6, "find instances by tag with paginateDescribeInstances, grouped by reservation");
}

// ---------------------------------------------------------------------------------------------
// Step 6: stop, start, terminate, each followed by its waiter.

export async function stopInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 7: stop them with StopInstancesCommand, then waitUntilInstanceStopped.
  return todo(7, "stop the instances with StopInstancesCommand and waitUntilInstanceStopped");
}

export async function startInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 8: start them with StartInstancesCommand, then waitUntilInstanceRunning.
  return todo(8, "start the instances with StartInstancesCommand and waitUntilInstanceRunning");
}

export async function terminateInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 9: terminate them with TerminateInstancesCommand, then waitUntilInstanceTerminated.
  return todo(9, "terminate the instances with TerminateInstancesCommand and waitUntilInstanceTerminated");
}

// ---------------------------------------------------------------------------------------------
// Step 7: clean up. Nothing of this run may be left running (and billing) when we are done.

/** Terminates every instance of the fleet that is not terminated yet, and deletes the key pair. */
export async function cleanup(ec2: EC2Client, fleet: string, keyName: string): Promise<string[]> {
  // TODO 10: find the fleet's instances that are still alive (describeInstancesByTag with FLEET_TAG
  //          and LIVE_STATES), terminate them (terminateInstances, if there are any), delete the key
  //          pair with DeleteKeyPairCommand, and return the ids you terminated.
  return todo(10, "terminate the fleet's live instances and delete the key pair");
}

// ---------------------------------------------------------------------------------------------
// The demo: `npx tsx lessons/02-ec2-instances/exercise.ts`.

function printReservations(reservations: ReservationSummary[]): void {
  for (const r of reservations) {
    console.log(`  reservation ${r.reservationId}`);
    for (const i of r.instances) console.log(`    ${i.instanceId}  ${i.state.padEnd(10)} ${i.availabilityZone ?? ""}  ${i.name ?? ""}`);
  }
}

/** The demo; `launched` collects the ids it launches, for main() to report if cleanup cannot run. */
async function demo(ec2: EC2Client, fleet: string, keyName: string, launched: string[]): Promise<void> {
  const regions = await describeRegions(ec2);
  console.log(`${regions.length} regions, for example: ${regions.slice(0, 5).map((r) => r.name).join(", ")}, …`);
  const saoPaulo = await describeAvailabilityZones(createEc2Client("sa-east-1"));
  console.log(`South America (São Paulo) has ${saoPaulo.length} zones: ${saoPaulo.map((z) => z.name).join(", ")}`);
  const zones = await describeAvailabilityZones(ec2);
  console.log(`This client's region, ${zones[0]?.region}, has ${zones.length} zones.`);

  const image = await findLatestImage(ec2, { owners: ["amazon"], name: "al2023-ami-2023.*-x86_64", architecture: "x86_64" });
  console.log(`\nNewest Amazon Linux 2023 image: ${image.imageId} (${image.name})`);

  const key = await createKeyPair(ec2, keyName);
  console.log(`Key pair ${key.keyName} (fingerprint ${key.fingerprint}); the private key is not printed.`);

  const request: LaunchRequest = { imageId: image.imageId, count: 3, keyName, name: "web", fleet, clientToken: uniqueName("launch") };
  const reservation = await launchInstances(ec2, request);
  launched.push(...reservation.instanceIds);
  console.log(`\nLaunched reservation ${reservation.reservationId}: ${reservation.instanceIds.join(", ")}`);

  const again = await launchInstances(ec2, request);
  launched.push(...again.instanceIds);
  console.log(
    again.reservationId === reservation.reservationId
      ? `The same ClientToken again: the same reservation ${again.reservationId}, nothing new launched.`
      : `The same ClientToken again: a new reservation ${again.reservationId}. This emulator does not honour ` +
          `ClientToken; AWS would have answered ${reservation.reservationId}.`,
  );

  console.log(`\nInstances tagged ${FLEET_TAG}=${fleet}:`);
  printReservations(await describeInstancesByTag(ec2, { Key: FLEET_TAG, Value: fleet }));

  const [first] = reservation.instanceIds;
  await stopInstances(ec2, [first]);
  console.log(`\nStopped ${first}.`);
  await startInstances(ec2, [first]);
  console.log(`Started ${first} again.`);
  const last = reservation.instanceIds[reservation.instanceIds.length - 1];
  await terminateInstances(ec2, [last]);
  console.log(`Terminated ${last}.`);
}

export async function main(): Promise<void> {
  const ec2 = createEc2Client();
  const fleet = uniqueName("fleet");
  const keyName = uniqueName("key");
  const launched: string[] = [];
  try {
    await demo(ec2, fleet, keyName, launched);
  } finally {
    // Runs even when the demo stopped half-way: whatever it launched carries the fleet tag.
    try {
      const terminated = await cleanup(ec2, fleet, keyName);
      console.log(`\nCleanup: terminated ${terminated.length} instance(s) and deleted key pair ${keyName}.`);
    } catch (err) {
      if (!(err instanceof NotImplementedError)) throw err;
      if (launched.length > 0) {
        console.log(`\nNot cleaned up (TODO ${err.todo} is not done yet): ${launched.join(", ")} still run.`);
        console.log("`npm start -- cleanup` removes everything the workshop created.");
      }
    }
  }
}

runMain(import.meta.url, main);
