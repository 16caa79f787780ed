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
import { createClient, NotImplementedError, runMain, say, stretch, todo, uniqueName, workshopTags } from "../../workshop/lesson";

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
 * ("todo puede fallar en cualquier momento", "la latencia es variable"): in "standard" mode, the
 * mode AWS's SDK guide recommends, the SDK retries throttling, 5xx and network errors with
 * exponential backoff and jitter, within a retry quota. Five attempts instead of three, for a
 * conference network.
 */
export function createEc2Client(region?: string): EC2Client {
  return createClient(EC2Client, {
    maxAttempts: 5,
    retryMode: "standard",
    ...(region ? { region } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Step 1: find an image (the template).

/** The newest image that matches: latest CreationDate first, and by name when dates tie. */
export async function findLatestImage(ec2: EC2Client, query: ImageQuery): Promise<ImageSummary> {
  // TODO 1: ask EC2 for the images that match the query (DescribeImages, through its paginator): owned by
  //   query.owners, filtered on name, architecture and an available state. Return the newest (newestFirst);
  //   when none matches, throw an Error that names the pattern.
  return todo(1, "find the newest matching image with paginateDescribeImages");
}

/** Sorts images newest first: by CreationDate (ISO 8601 sorts as text), then by name. */
export function newestFirst(a: ImageSummary, b: ImageSummary): number {
  return (b.creationDate ?? "").localeCompare(a.creationDate ?? "") || b.name.localeCompare(a.name);
}

// ---------------------------------------------------------------------------------------------
// Step 2: a key pair, to log in to the instances with SSH.

export async function createKeyPair(ec2: EC2Client, keyName: string): Promise<KeyPairSummary> {
  // TODO 2: let EC2 make a key pair (CreateKeyPair), tagged with the workshop's tags; return its name, id,
  //   fingerprint and the private key, which AWS hands out this once.
  return todo(2, "create a tagged key pair with CreateKeyPair");
}

// ---------------------------------------------------------------------------------------------
// Step 3: launch a reservation of several instances in one call.

export async function launchInstances(ec2: EC2Client, request: LaunchRequest): Promise<LaunchedReservation> {
  // TODO 3: launch the whole reservation in ONE RunInstances call, all or nothing, with the request's image, type
  //   (t3.micro by default), key pair and idempotency token, tagged (workshop, Name, fleet). RunInstances
  //   answers while the instances are still pending: wait until they run, then return the reservation.
  return todo(3, "launch a tagged reservation with RunInstances and wait until it runs");
}

// ---------------------------------------------------------------------------------------------
// Step 4: find them again, by tag, grouped by reservation.

export async function describeInstancesByTag(
  ec2: EC2Client,
  tag: { Key: string; Value: string },
  states?: InstanceStateName[],
): Promise<ReservationSummary[]> {
  // TODO 4: find the instances by their tag (and, when states are given, by state) with DescribeInstances'
  //   paginator, small pages; return one ReservationSummary per reservation with its instances.
  return todo(4, "find instances by tag with paginateDescribeInstances, grouped by reservation");
}

// ---------------------------------------------------------------------------------------------
// Step 5: terminate, followed by its waiter: every change of state is a call, then a waiter.

export async function terminateInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 5: terminate them (TerminateInstances), then wait until they are terminated.
  return todo(5, "terminate the instances and wait until they are terminated");
}

// ---------------------------------------------------------------------------------------------
// Step 6: clean up. Nothing of this run may be left running (and billing) when we are done.

/** Terminates every instance of the fleet that is not terminated yet, and deletes the key pair. */
export async function cleanup(ec2: EC2Client, fleet: string, keyName: string): Promise<string[]> {
  // TODO 6: find the fleet's instances that are still alive (any of LIVE_STATES), terminate them if there are any,
  //   delete the key pair, and return the ids you terminated.
  return todo(6, "terminate the fleet's live instances and delete the key pair");
}

// ---------------------------------------------------------------------------------------------
// Steps 7–8 (stretch): regions and availability zones.

/** The regions enabled for this account (DescribeRegions with AllRegions: true would list the others too). */
export async function describeRegions(ec2: EC2Client): Promise<RegionSummary[]> {
  // TODO 7: list the regions enabled for this account (DescribeRegions) as RegionSummary objects.
  return todo(7, "list the regions with DescribeRegions");
}

/** The zones of the client's own region: a client talks to exactly one region. */
export async function describeAvailabilityZones(ec2: EC2Client): Promise<ZoneSummary[]> {
  // TODO 8: list the zones of the client's own region (DescribeAvailabilityZones) as ZoneSummary objects.
  return todo(8, "list the availability zones with DescribeAvailabilityZones");
}

// ---------------------------------------------------------------------------------------------
// Steps 9–10 (stretch): stop and start again, each followed by its waiter.

export async function stopInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 9: stop them (StopInstances), then wait until they are stopped.
  return todo(9, "stop the instances and wait until they are stopped");
}

export async function startInstances(ec2: EC2Client, instanceIds: string[]): Promise<void> {
  // TODO 10: start them again (StartInstances), then wait until they run.
  return todo(10, "start the instances and wait until they run");
}

// ---------------------------------------------------------------------------------------------
// The demo: `npx tsx lessons/02-ec2-instances/exercise.ts`.

function printReservations(reservations: ReservationSummary[]): void {
  for (const r of reservations) {
    console.log(say(`  reservation ${r.reservationId}`, `  reserva ${r.reservationId}`));
    for (const i of r.instances) console.log(`    ${i.instanceId}  ${i.state.padEnd(10)} ${i.availabilityZone ?? ""}  ${i.name ?? ""}`);
  }
}


/** The demo; `launched` collects the ids it launches, for main() to report if cleanup cannot run. */
async function demo(ec2: EC2Client, fleet: string, keyName: string, launched: string[]): Promise<void> {
  await stretch(async () => {
    const regions = await describeRegions(ec2);
    const some = regions.slice(0, 5).map((r) => r.name).join(", ");
    console.log(say(`${regions.length} regions enabled for this account, for example: ${some}, …`, `${regions.length} regiones habilitadas para esta cuenta, por ejemplo: ${some}, …`));
    const saoPaulo = await describeAvailabilityZones(createEc2Client("sa-east-1"));
    const names = saoPaulo.map((z) => z.name).join(", ");
    console.log(say(`South America (São Paulo) has ${saoPaulo.length} zones: ${names}`, `América del Sur (São Paulo) tiene ${saoPaulo.length} zonas: ${names}`));
    const zones = await describeAvailabilityZones(ec2);
    console.log(say(`This client's region, ${zones[0]?.region}, has ${zones.length} zones.`, `La región de este cliente, ${zones[0]?.region}, tiene ${zones.length} zonas.`));
  });

  const image = await findLatestImage(ec2, { owners: ["amazon"], name: "al2023-ami-2023.*-x86_64", architecture: "x86_64" });
  console.log(say(`\nNewest Amazon Linux 2023 image: ${image.imageId} (${image.name})`, `\nImagen de Amazon Linux 2023 más nueva: ${image.imageId} (${image.name})`));

  const key = await createKeyPair(ec2, keyName);
  console.log(
    say(
      `Key pair ${key.keyName} (fingerprint ${key.fingerprint}); the private key is not printed.`,
      `Par de claves ${key.keyName} (huella digital ${key.fingerprint}); la clave privada no se muestra.`,
    ),
  );

  const request: LaunchRequest = { imageId: image.imageId, count: 3, keyName, name: "web", fleet, clientToken: uniqueName("launch") };
  const reservation = await launchInstances(ec2, request);
  launched.push(...reservation.instanceIds);
  const ids = reservation.instanceIds.join(", ");
  console.log(say(`\nLaunched reservation ${reservation.reservationId}: ${ids}`, `\nLancé la reserva ${reservation.reservationId}: ${ids}`));

  // What your code would do after catching a timeout: send the same launch again, with the same token.
  const again = await launchInstances(ec2, request);
  launched.push(...again.instanceIds);
  console.log(
    again.reservationId === reservation.reservationId
      ? say(
          `The same launch sent again with the same ClientToken: the same reservation ${again.reservationId}, nothing new launched.`,
          `El mismo lanzamiento, mandado otra vez con el mismo ClientToken: la misma reserva ${again.reservationId}, no se lanzó nada nuevo.`,
        )
      : say(
          `The same launch sent again with the same ClientToken: a new reservation ${again.reservationId}. This emulator ` +
            `does not honour ClientToken; AWS would have answered ${reservation.reservationId}.`,
          `El mismo lanzamiento, mandado otra vez con el mismo ClientToken: una reserva nueva, ${again.reservationId}. Este emulador ` +
            `no respeta ClientToken; AWS habría respondido ${reservation.reservationId}.`,
        ),
  );

  console.log(say(`\nInstances tagged ${FLEET_TAG}=${fleet}:`, `\nInstancias con la etiqueta ${FLEET_TAG}=${fleet}:`));
  printReservations(await describeInstancesByTag(ec2, { Key: FLEET_TAG, Value: fleet }));

  const [first] = reservation.instanceIds;
  await stretch(async () => {
    await stopInstances(ec2, [first]);
    console.log(say(`\nStopped ${first}.`, `\nDetuve ${first}.`));
    await startInstances(ec2, [first]);
    console.log(say(`Started ${first} again.`, `Volví a iniciar ${first}.`));
  });
  const last = reservation.instanceIds[reservation.instanceIds.length - 1];
  await terminateInstances(ec2, [last]);
  console.log(say(`Terminated ${last}.`, `Terminé ${last}.`));
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
      console.log(
        say(
          `\nCleanup: terminated ${terminated.length} instance(s) and deleted key pair ${keyName}.`,
          `\nLimpieza: terminé ${terminated.length} instancia(s) y borré el par de claves ${keyName}.`,
        ),
      );
    } catch (err) {
      if (!(err instanceof NotImplementedError)) throw err;
      if (launched.length > 0) {
        const left = launched.join(", ");
        console.log(
          say(`\nNot cleaned up (TODO ${err.todo} is not done yet): ${left} still run.`, `\nSin limpiar (el TODO ${err.todo} todavía no está hecho): ${left} siguen corriendo.`),
        );
        console.log(say("`npm start -- cleanup` removes everything the workshop created.", "`npm start -- cleanup` borra todo lo que creó el taller."));
      }
    }
  }
}

runMain(import.meta.url, main);
