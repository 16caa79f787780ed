// Lesson 03: the talk's demo. Two web servers that answer "Hola pyconar! yo soy la instancia N!!",
// a load balancer in front of them that is the only way in, a fixed address, and monitoring.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateDefaultSubnetCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeVpcsCommand,
  DisassociateAddressCommand,
  EC2Client,
  paginateDescribeSubnets,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  type IpPermission,
  type ResourceType,
  type TagSpecification,
} from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  waitUntilLoadBalancerAvailable,
  waitUntilLoadBalancersDeleted,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  GetMetricStatisticsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { createClient, runMain, say, todo, uniqueName, workshopTags } from "../../workshop/lesson";

export interface Clients {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
}

// ─── The web server ──────────────────────────────────────────────────────────────────────────

/**
 * The web server program, as the text of a Node script: the talk's tornado handler, in Node's
 * own `node:http` (no packages to install). This one text goes into each instance's user data,
 * and the lesson runs the very same text on your machine, so the two cannot drift apart.
 */
export function webServerCode(instance: number): string {
  if (!Number.isInteger(instance) || instance < 1) throw new Error(`instance must be 1, 2, …, not ${instance}`);
  return `// The web server of lesson 03: "Hola pyconar!", as in the talk's demo.
const http = require("node:http");

let requestsServed = 0;
const server = http.createServer((request, response) => {
  requestsServed += 1;
  console.log("request " + requestsServed + ": " + request.method + " " + request.url);
  response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  response.end("Hola pyconar! yo soy la instancia ${instance}!!");
});

// On an instance: port 80 on every interface, for the load balancer. On your machine: HOST and PORT.
server.listen(Number(process.env.PORT || 80), process.env.HOST || "0.0.0.0", () => {
  console.log("listening on port " + server.address().port);
});

// Started by the lesson on your machine? Stop when the lesson lets go (an instance never does).
process.on("disconnect", () => {
  server.close();
  server.closeAllConnections();
});
`;
}

/**
 * The instance's user data: a shell script that cloud-init runs once, as root, on first boot.
 * It installs a supported Node.js (Amazon Linux 2023 names it nodejs22 or nodejs24; plain
 * `nodejs` is Node 18, out of support), writes the web server program, and runs it as a systemd
 * service with the versioned binary, so it restarts if it crashes and after a reboot.
 * EC2 takes it base64-encoded.
 */
export function userData(instance: number): string {
  // TODO 1: write the boot script: install a supported Node.js, put webServerCode(instance) in a
  // file and run it as a service with the versioned node binary; return the script base64-encoded.
  todo(1, "build the user data: install a supported Node.js, write the server's code, start it; base64-encode it");
}

export interface LocalWebServer {
  instance: number;
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** As counted by the server itself (it logs one line per request). Exact once close() has resolved. */
  readonly requestsServed: number;
  /** Stops the server and waits until it has exited and its last log line has been read. */
  close(): Promise<void>;
}

/**
 * Runs the web server program of `instance` on a free loopback port: a stand-in for the
 * instance, because an emulator does not boot instances or run their user data.
 */
export async function startLocalWebServer(instance: number): Promise<LocalWebServer> {
  const child = spawn(process.execPath, ["-e", webServerCode(instance)], {
    // Loopback only, port 0 (any free port). Nothing else from your shell: NODE_* settings slow it down.
    env: { HOST: "127.0.0.1", PORT: "0", PATH: process.env.PATH, SystemRoot: process.env.SystemRoot },
    // The "ipc" channel is how the server knows the lesson is gone (see "disconnect" in its code).
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  // Done when the process has exited and its last log line has been read.
  const exited = Promise.all([
    new Promise((resolve) => child.once("exit", resolve)),
    new Promise((resolve) => child.stdout!.once("close", resolve)),
  ]);
  let requestsServed = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(say(`web server ${instance} exited (code ${code}) before listening`, `el servidor web ${instance} terminó (código ${code}) antes de escuchar`))));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const listening = /^listening on port (\d+)$/.exec(line);
      if (listening) resolve(Number(listening[1]));
      const request = /^request (\d+):/.exec(line);
      if (request) requestsServed = Number(request[1]);
    });
  });
  return {
    instance,
    url: `http://127.0.0.1:${port}/`,
    get requestsServed() {
      return requestsServed;
    },
    async close() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

// ─── Where things go ─────────────────────────────────────────────────────────────────────────

export interface Network {
  vpcId: string;
  /** Two subnets in two different Availability Zones. */
  subnetIds: [string, string];
  /** Subnets this run had to create (when the default VPC had too few); cleanup deletes them. */
  createdSubnetIds: string[];
}

/**
 * The default VPC and one subnet in each of two Availability Zones: a load balancer needs two
 * zones, so that one of them can fail ("todo puede fallar en cualquier momento").
 */
export async function findDefaultNetwork(ec2: EC2Client): Promise<Network> {
  const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }));
  const vpcId = Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    throw new Error(
      say(
        "This region has no default VPC. Create one with CreateDefaultVpc (`aws ec2 create-default-vpc`) and run again.",
        "Esta región no tiene VPC predeterminada. Creá una con CreateDefaultVpc (`aws ec2 create-default-vpc`) y volvé a correrlo.",
      ),
    );
  }
  const subnetByZone = new Map<string, string>();
  const filters = [
    { Name: "vpc-id", Values: [vpcId] },
    { Name: "default-for-az", Values: ["true"] },
  ];
  for await (const page of paginateDescribeSubnets({ client: ec2, pageSize: 50 }, { Filters: filters })) {
    for (const subnet of page.Subnets ?? []) {
      if (subnet.AvailabilityZone && subnet.SubnetId && !subnetByZone.has(subnet.AvailabilityZone)) {
        subnetByZone.set(subnet.AvailabilityZone, subnet.SubnetId);
      }
    }
  }
  const createdSubnetIds: string[] = [];
  if (subnetByZone.size < 2) {
    const { AvailabilityZones = [] } = await ec2.send(
      new DescribeAvailabilityZonesCommand({ Filters: [{ Name: "state", Values: ["available"] }] }),
    );
    for (const zone of AvailabilityZones) {
      if (subnetByZone.size >= 2) break;
      if (!zone.ZoneName || subnetByZone.has(zone.ZoneName)) continue;
      const { Subnet } = await ec2.send(new CreateDefaultSubnetCommand({ AvailabilityZone: zone.ZoneName }));
      subnetByZone.set(zone.ZoneName, Subnet!.SubnetId!);
      createdSubnetIds.push(Subnet!.SubnetId!);
    }
  }
  const zones = [...subnetByZone.keys()].sort();
  if (zones.length < 2) {
    throw new Error(
      say(
        `The default VPC ${vpcId} has subnets in ${zones.length} Availability Zone(s); a load balancer needs two.`,
        `La VPC predeterminada ${vpcId} tiene subredes en ${zones.length} zona(s) de disponibilidad; un balanceador de carga necesita dos.`,
      ),
    );
  }
  return { vpcId, subnetIds: [subnetByZone.get(zones[0])!, subnetByZone.get(zones[1])!], createdSubnetIds };
}

/** The newest Amazon Linux 2023 image (its `dnf` has nodejs). An emulator boots nothing, so any image does there. */
export async function findAmazonLinuxImage(ec2: EC2Client): Promise<string> {
  const latest = async (name: string) => {
    const { Images = [] } = await ec2.send(
      new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: [name] }, { Name: "architecture", Values: ["x86_64"] }] }),
    );
    return Images.filter((image) => image.ImageId).sort((a, b) => (b.CreationDate ?? "").localeCompare(a.CreationDate ?? ""))[0]?.ImageId;
  };
  const imageId = (await latest("al2023-ami-2023.*-x86_64")) ?? (await latest("*"));
  if (!imageId) throw new Error(say("DescribeImages found no image owned by amazon to launch.", "DescribeImages no encontró ninguna imagen de amazon para lanzar."));
  return imageId;
}

/** Tags for a resource this lesson creates: the workshop's tags, plus a Name for the console. */
export function tagsFor(resourceType: ResourceType, name: string): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: [{ Key: "Name", Value: name }, ...workshopTags()] }];
}

/** A key pair to log in to the instances with SSH (lesson 01 shows how to keep its private key). */
export async function createKeyPair(ec2: EC2Client, keyName: string): Promise<void> {
  await ec2.send(new CreateKeyPairCommand({ KeyName: keyName, TagSpecifications: tagsFor("key-pair", keyName) }));
}

// ─── Steps 2 and 3: two firewalls ───────────────────────────────────────────────────────────

/**
 * The load balancer's security group: the web (port 80) from anywhere. This is the only door
 * the world gets.
 */
export async function createLoadBalancerSecurityGroup(ec2: EC2Client, options: { name: string; vpcId: string }): Promise<string> {
  // TODO 2: CreateSecurityGroup for the load balancer (named after options.name, with "-lb" at the
  // end, tagged), then AuthorizeSecurityGroupIngress: the web (TCP 80) from anywhere. Return the
  // group's id.
  todo(2, "create the load balancer's security group and let the web in from anywhere");
}

/**
 * The instances' security group: the web only from the load balancer's group, so nobody can go
 * around it to an instance's public address. SSH only when you ask for it, from one address.
 */
export async function createInstanceSecurityGroup(
  ec2: EC2Client,
  options: { name: string; vpcId: string; loadBalancerGroupId: string; sshCidr?: string },
): Promise<string> {
  // TODO 3: CreateSecurityGroup for the instances (options.name with "-web" at the end, tagged),
  // then AuthorizeSecurityGroupIngress: TCP 80 only from the load balancer's security group (a
  // group as the source, not an address range), and TCP 22 from options.sshCidr only when it is
  // given. Return the group's id.
  todo(3, "create the instances' security group: the web only from the load balancer's group, SSH only if asked");
}

// ─── Step 4: the instances ───────────────────────────────────────────────────────────────────

export interface WebServerLaunch {
  /** 1 or 2: the number the server says it is. */
  instance: number;
  name: string;
  imageId: string;
  subnetId: string;
  /** The instances' security group (step 3). */
  groupId: string;
  /** Only when you open SSH. */
  keyName?: string;
}

/** Launches one instance that runs web server number `instance` from its user data. Returns its id. */
export async function launchWebServer(ec2: EC2Client, launch: WebServerLaunch): Promise<string> {
  // TODO 4: RunInstances: exactly one small instance (t3.micro) from the image, in the subnet,
  // inside the instances' security group, with userData(launch.instance) as its user data and
  // tagsFor("instance", …) as its tags; the key pair only when there is one. Return its id.
  todo(4, "launch one instance with RunInstances, with userData(launch.instance) as its user data");
}

// ─── Steps 5 to 9: the load balancer ─────────────────────────────────────────────────────────

/**
 * Does this error say that the emulator does not offer the service at all? LocalStack's
 * account-free edition answers Elastic Load Balancing with 501 and "…is either not included in
 * your current license plan or has not yet been emulated by LocalStack". Any other error is real.
 */
export function isServiceUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 501) return true;
  return /not (yet |been )?implemented|not included in your current license|not yet been emulated/i.test(err.message);
}

export type Availability = { available: true } | { available: false; reason: string };

/** Asks the emulator for load balancers once: is Elastic Load Balancing there at all? */
export async function probeLoadBalancing(elb: ElasticLoadBalancingV2Client): Promise<Availability> {
  try {
    await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
    return { available: true };
  } catch (err) {
    if (isServiceUnavailable(err)) {
      const message = (err as Error).message;
      return { available: false, reason: say(`this emulator has no Elastic Load Balancing (${message})`, `este emulador no tiene Elastic Load Balancing (${message})`) };
    }
    throw err;
  }
}

export interface LoadBalancer {
  arn: string;
  dnsName: string;
}

/** An internet-facing Application Load Balancer across two Availability Zones, behind its own security group. */
export async function createLoadBalancer(
  elb: ElasticLoadBalancingV2Client,
  options: { name: string; subnetIds: string[]; groupId: string },
): Promise<LoadBalancer> {
  // TODO 5: CreateLoadBalancer: an internet-facing application load balancer in both subnets,
  // inside the security group it is given, with the workshop's tags. Return its ARN and DNS name.
  todo(5, "create an internet-facing application load balancer with CreateLoadBalancer");
}

/** A target group: the instances the load balancer sends HTTP on port 80 to, checked with GET /. */
export async function createTargetGroup(
  elb: ElasticLoadBalancingV2Client,
  options: { name: string; vpcId: string },
): Promise<string> {
  // TODO 6: CreateTargetGroup: a group of instances that get HTTP on port 80, in the VPC,
  // health-checked at /, with the workshop's tags. Return its ARN.
  todo(6, "create an HTTP:80 target group of instances with CreateTargetGroup");
}

/** A listener on port 80 that forwards every request to the target group. */
export async function createListener(
  elb: ElasticLoadBalancingV2Client,
  options: { loadBalancerArn: string; targetGroupArn: string },
): Promise<string> {
  // TODO 7: CreateListener: HTTP on port 80, whose default action forwards to the target group.
  // Return its ARN.
  todo(7, "create a listener on port 80 that forwards to the target group with CreateListener");
}

/** Puts the instances behind the load balancer. */
export async function registerTargets(elb: ElasticLoadBalancingV2Client, targetGroupArn: string, instanceIds: string[]): Promise<void> {
  // TODO 8: RegisterTargets: every instance id into the target group.
  todo(8, "register the instances in the target group with RegisterTargets");
}

export interface TargetHealth {
  instanceId: string;
  /** initial, healthy, unhealthy, unused, draining, unavailable */
  state: string;
  reason?: string;
}

/** What the load balancer's health checks say about each instance. */
export async function describeTargetHealth(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<TargetHealth[]> {
  // TODO 9: DescribeTargetHealth: what the health checks say, as one { instanceId, state, reason }
  // per target.
  todo(9, "ask for each target's health with DescribeTargetHealth");
}

// ─── Step 10: a fixed address ────────────────────────────────────────────────────────────────

export interface ElasticIp {
  allocationId: string;
  associationId: string;
  publicIp: string;
}

/** Allocates an Elastic IP (an address that stays yours) and points it at the instance. */
export async function attachElasticIp(ec2: EC2Client, instanceId: string, name: string): Promise<ElasticIp> {
  // TODO 10: AllocateAddress for use in a VPC (tagged with tagsFor("elastic-ip", name)), then
  // AssociateAddress with the instance. Return the allocation id, the association id and the
  // address.
  todo(10, "allocate an Elastic IP with AllocateAddress and associate it with AssociateAddress");
}

// ─── Steps 11 to 13: monitoring ──────────────────────────────────────────────────────────────

/** Where the lesson's own metric lives in CloudWatch. */
export const REQUESTS_METRIC = { namespace: "NoTocaBoton/WebServers", metricName: "RequestsServed" } as const;

/**
 * An alarm on the instance's CPU. With one period of five minutes (EC2's free "basic
 * monitoring" sends CPUUtilization every five minutes), one average above `threshold` % is
 * enough to go to ALARM. A new alarm starts as INSUFFICIENT_DATA. It does something only if it
 * has actions: `alarmActions` takes, for example, an SNS topic's ARN (lesson 05); without them it
 * only changes state, for a dashboard or `DescribeAlarms` to see.
 */
export async function putCpuAlarm(
  cloudwatch: CloudWatchClient,
  options: { alarmName: string; instanceId: string; threshold?: number; alarmActions?: string[] },
): Promise<void> {
  // TODO 11: PutMetricAlarm on EC2's CPUUtilization for this one instance: the average over one
  // five-minute period above the threshold (80 unless told), with the actions it is given (none
  // when none), and the workshop's tags.
  todo(11, "create the CPU alarm with PutMetricAlarm on AWS/EC2 CPUUtilization");
}

export interface RequestCount {
  instanceId: string;
  requests: number;
}

/** Publishes how many requests each web server served: a custom metric, one datapoint per instance. */
export async function putRequestsServed(cloudwatch: CloudWatchClient, counts: RequestCount[]): Promise<void> {
  // TODO 12: PutMetricData in REQUESTS_METRIC's namespace: one RequestsServed datapoint per
  // instance, a Count, with the instance id as its InstanceId dimension.
  todo(12, "publish one RequestsServed datapoint per instance with PutMetricData");
}


/**
 * Reads the metric back: the requests one instance served in the last 15 minutes. A datapoint
 * just written is not readable at once on AWS (eventual consistency: CloudWatch takes a while to
 * take it in), so an empty answer is read again, less and less often, for up to `waitMs`
 * (two minutes unless told otherwise). An emulator answers at once.
 */
export async function getRequestsServed(cloudwatch: CloudWatchClient, instanceId: string, options: { waitMs?: number } = {}): Promise<number> {
  // TODO 13: GetMetricStatistics: the Sum per minute over the last 15 minutes (EndTime is
  // exclusive: look a minute ahead), added up. No datapoint yet? Read again, less and less often,
  // until options.waitMs (two minutes unless told) has passed, then report 0.
  todo(13, "read the metric back with GetMetricStatistics, again and again while it is still empty");
}

// ─── Everything together, and taking it all down ────────────────────────────────────────────

/** What one run created. Each field is filled in as soon as the resource exists, so cleanup can undo a half-built tier. */
export interface WebTier {
  name: string;
  network?: Network;
  keyName?: string;
  /** The load balancer's security group: 80 from anywhere. */
  loadBalancerGroupId?: string;
  /** The instances' security group: 80 from the load balancer's group (and 22 from one address, if asked). */
  instanceGroupId?: string;
  instanceIds: string[];
  /** Why the load balancer steps were skipped (the emulator has no Elastic Load Balancing). */
  loadBalancingSkipped?: string;
  loadBalancer?: LoadBalancer;
  targetGroupArn?: string;
  listenerArn?: string;
  targetHealth?: TargetHealth[];
  elasticIp?: ElasticIp;
  alarmNames: string[];
}

export function newWebTier(name = uniqueName("web")): WebTier {
  return { name, instanceIds: [], alarmNames: [] };
}

export interface DeployOptions {
  /**
   * Who may log in with SSH: your own address as a /32. Leave it out and port 22 stays closed,
   * with no key pair: Session Manager reaches an instance with no inbound port at all, and EC2
   * Instance Connect pushes a one-time key instead of a key pair (port 22 then opens to it only).
   */
  sshCidr?: string;
  log?: (line: string) => void;
}

/** Steps 2 to 11, in order: two firewalls, two instances, the load balancer, a fixed address, alarms. */
export async function deployWebTier(aws: Clients, tier: WebTier, options: DeployOptions): Promise<void> {
  const log = options.log ?? (() => {});
  const network = (tier.network = await findDefaultNetwork(aws.ec2));
  if (network.createdSubnetIds.length) log(say(`created default subnets: ${network.createdSubnetIds.join(", ")}`, `subredes predeterminadas creadas: ${network.createdSubnetIds.join(", ")}`));
  const imageId = await findAmazonLinuxImage(aws.ec2);

  tier.loadBalancerGroupId = await createLoadBalancerSecurityGroup(aws.ec2, { name: tier.name, vpcId: network.vpcId });
  log(say(`security group ${tier.loadBalancerGroupId} (load balancer): HTTP (80) from anywhere`, `grupo de seguridad ${tier.loadBalancerGroupId} (balanceador de carga): HTTP (80) desde cualquier lado`));
  tier.instanceGroupId = await createInstanceSecurityGroup(aws.ec2, {
    name: tier.name,
    vpcId: network.vpcId,
    loadBalancerGroupId: tier.loadBalancerGroupId,
    sshCidr: options.sshCidr,
  });
  const ssh = options.sshCidr ? say(`SSH (22) from ${options.sshCidr}`, `SSH (22) desde ${options.sshCidr}`) : say("no SSH", "sin SSH");
  log(say(`security group ${tier.instanceGroupId} (instances): HTTP (80) from ${tier.loadBalancerGroupId} only, ${ssh}`, `grupo de seguridad ${tier.instanceGroupId} (instancias): HTTP (80) solo desde ${tier.loadBalancerGroupId}, ${ssh}`));
  if (options.sshCidr) {
    await createKeyPair(aws.ec2, tier.name);
    tier.keyName = tier.name;
  }

  // One instance in each Availability Zone: "todo puede fallar", and when a zone fails the other still answers.
  for (const [index, subnetId] of network.subnetIds.entries()) {
    const instance = index + 1;
    const name = `${tier.name}-${instance}`;
    tier.instanceIds.push(await launchWebServer(aws.ec2, { instance, name, imageId, subnetId, groupId: tier.instanceGroupId, keyName: tier.keyName }));
  }
  // RegisterTargets and AssociateAddress want running instances: a pending one is refused on AWS.
  await waitUntilInstanceRunning({ client: aws.ec2, maxWaitTime: 300, minDelay: 2, maxDelay: 10 }, { InstanceIds: tier.instanceIds });
  log(say(`instances running: ${tier.instanceIds.join(", ")}`, `instancias en running: ${tier.instanceIds.join(", ")}`));

  const availability = await probeLoadBalancing(aws.elb);
  if (!availability.available) {
    tier.loadBalancingSkipped = availability.reason;
    log(say(`load balancer: skipped: ${availability.reason}`, `balanceador de carga: salteado: ${availability.reason}`));
  } else {
    tier.loadBalancer = await createLoadBalancer(aws.elb, { name: tier.name, subnetIds: network.subnetIds, groupId: tier.loadBalancerGroupId });
    tier.targetGroupArn = await createTargetGroup(aws.elb, { name: tier.name, vpcId: network.vpcId });
    tier.listenerArn = await createListener(aws.elb, { loadBalancerArn: tier.loadBalancer.arn, targetGroupArn: tier.targetGroupArn });
    await registerTargets(aws.elb, tier.targetGroupArn, tier.instanceIds);
    // A new load balancer is "provisioning" for a few minutes; it routes traffic once "active".
    await waitUntilLoadBalancerAvailable({ client: aws.elb, maxWaitTime: 600, minDelay: 2, maxDelay: 15 }, { LoadBalancerArns: [tier.loadBalancer.arn] });
    tier.targetHealth = await describeTargetHealth(aws.elb, tier.targetGroupArn);
    log(say(`load balancer http://${tier.loadBalancer.dnsName}/ → port 80 → ${tier.instanceIds.length} targets`, `balanceador de carga http://${tier.loadBalancer.dnsName}/ → puerto 80 → ${tier.instanceIds.length} destinos`));
    for (const target of tier.targetHealth) log(`  ${target.instanceId}: ${target.state}${target.reason ? ` (${target.reason})` : ""}`);
  }

  tier.elasticIp = await attachElasticIp(aws.ec2, tier.instanceIds[0], tier.name);
  log(say(`Elastic IP ${tier.elasticIp.publicIp} → ${tier.instanceIds[0]}`, `IP elástica ${tier.elasticIp.publicIp} → ${tier.instanceIds[0]}`));

  for (const instanceId of tier.instanceIds) {
    const alarmName = `${tier.name}-cpu-${instanceId}`;
    await putCpuAlarm(aws.cloudwatch, { alarmName, instanceId });
    tier.alarmNames.push(alarmName);
  }
  log(say(`alarms (no actions: they only change state): ${tier.alarmNames.join(", ")}`, `alarmas (sin acciones: solo cambian de estado): ${tier.alarmNames.join(", ")}`));
}

/**
 * Deletes a security group once nothing uses it. On AWS a load balancer's network interfaces
 * outlive it by a minute or so, and until they are gone the answer is DependencyViolation: ask
 * again, less and less often, for up to `waitMs`.
 */
export async function deleteSecurityGroupWhenFree(ec2: EC2Client, groupId: string, waitMs = 300_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if ((err as Error).name !== "DependencyViolation" || left <= 0) throw err;
      await sleep(Math.min(1000 * 2 ** attempt, 20_000, left));
    }
  }
}

/** AWS's answer for something that is not there (any more): the cleanup counts it as deleted. */
function isGone(err: unknown): boolean {
  return /NotFound/.test((err as Error).name ?? "");
}

/**
 * Deletes what `tier` holds, dependents first: listener, load balancer, target group, the
 * Elastic IP (disassociate, then release: in a default VPC releasing alone would do, in any other
 * VPC AWS refuses to release an address in use), the instances, the key pair, the instances'
 * security group once no instance uses it, then the load balancer's once no load balancer uses it
 * and no group refers to it, the alarms. Goes on past a failing step and reports every failure
 * at the end. Each step takes what it deleted out of `tier`, and something already gone counts
 * as deleted: after a failure, running it again finishes the job.
 */
export async function tearDownWebTier(aws: Clients, tier: WebTier, log: (line: string) => void = () => {}): Promise<void> {
  const problems: string[] = [];
  const step = async (what: string, action: () => Promise<unknown>, deleted: () => void) => {
    try {
      await action();
      log(say(`deleted ${what}`, `borrado: ${what}`));
      deleted();
    } catch (err) {
      if (isGone(err)) {
        log(say(`${what}: already gone`, `${what}: ya no estaba`));
        deleted();
      } else {
        problems.push(`${what}: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
  };
  const kept = (what: string, because: string) =>
    problems.push(say(`${what}: kept, because ${because} is still there`, `${what}: se conserva, porque ${because} sigue ahí`));
  const { ec2, elb, cloudwatch } = aws;
  if (tier.listenerArn) {
    await step(say("listener", "agente de escucha"), () => elb.send(new DeleteListenerCommand({ ListenerArn: tier.listenerArn })), () => (tier.listenerArn = undefined));
  }
  if (tier.loadBalancer) {
    const { arn, dnsName } = tier.loadBalancer;
    await step(
      say(`load balancer ${dnsName}`, `balanceador de carga ${dnsName}`),
      async () => {
        await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
        await waitUntilLoadBalancersDeleted({ client: elb, maxWaitTime: 300, minDelay: 2, maxDelay: 10 }, { LoadBalancerArns: [arn] });
      },
      () => (tier.loadBalancer = undefined),
    );
  }
  if (tier.targetGroupArn) {
    await step(say("target group", "grupo de destino"), () => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tier.targetGroupArn })), () => (tier.targetGroupArn = undefined));
  }
  if (tier.elasticIp) {
    const { associationId, allocationId, publicIp } = tier.elasticIp;
    await step(
      say(`Elastic IP ${publicIp}`, `IP elástica ${publicIp}`),
      async () => {
        await ec2.send(new DisassociateAddressCommand({ AssociationId: associationId })).catch((err) => {
          if (!isGone(err)) throw err; // terminating the instance disassociates it too
        });
        await ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
      },
      () => (tier.elasticIp = undefined),
    );
  }
  if (tier.instanceIds.length) {
    const InstanceIds = [...tier.instanceIds];
    await step(
      say(`instances ${InstanceIds.join(", ")}`, `instancias ${InstanceIds.join(", ")}`),
      async () => {
        await ec2.send(new TerminateInstancesCommand({ InstanceIds }));
        await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: 300, minDelay: 2, maxDelay: 10 }, { InstanceIds });
      },
      () => (tier.instanceIds = []),
    );
  }
  if (tier.keyName) await step(say(`key pair ${tier.keyName}`, `par de claves ${tier.keyName}`), () => ec2.send(new DeleteKeyPairCommand({ KeyName: tier.keyName })), () => (tier.keyName = undefined));
  if (tier.instanceGroupId) {
    const group = say(`security group ${tier.instanceGroupId}`, `grupo de seguridad ${tier.instanceGroupId}`);
    if (tier.instanceIds.length) kept(group, say(`instance ${tier.instanceIds.join(", ")}`, `la instancia ${tier.instanceIds.join(", ")}`));
    else await step(group, () => deleteSecurityGroupWhenFree(ec2, tier.instanceGroupId!), () => (tier.instanceGroupId = undefined));
  }
  if (tier.loadBalancerGroupId) {
    const group = say(`security group ${tier.loadBalancerGroupId}`, `grupo de seguridad ${tier.loadBalancerGroupId}`);
    if (tier.loadBalancer) kept(group, say(`load balancer ${tier.loadBalancer.dnsName}`, `el balanceador de carga ${tier.loadBalancer.dnsName}`));
    else if (tier.instanceGroupId) kept(group, say(`security group ${tier.instanceGroupId}, which refers to it,`, `el grupo de seguridad ${tier.instanceGroupId}, que lo referencia,`));
    else await step(group, () => deleteSecurityGroupWhenFree(ec2, tier.loadBalancerGroupId!), () => (tier.loadBalancerGroupId = undefined));
  }
  if (tier.network) {
    const network = tier.network;
    for (const subnetId of [...network.createdSubnetIds]) {
      await step(say(`subnet ${subnetId}`, `subred ${subnetId}`), () => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })), () => {
        network.createdSubnetIds = network.createdSubnetIds.filter((id) => id !== subnetId);
      });
    }
  }
  if (tier.alarmNames.length) {
    await step(say("alarms", "alarmas"), () => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: tier.alarmNames })), () => (tier.alarmNames = []));
  }
  if (problems.length) {
    const list = problems.join("\n  ");
    throw new Error(
      say(
        `Cleanup left something behind (run it again once the cause is fixed):\n  ${list}`,
        `La limpieza dejó algo atrás (volvé a correrla cuando arregles la causa):\n  ${list}`,
      ),
    );
  }
}

export async function main(): Promise<void> {
  const aws: Clients = {
    ec2: createClient(EC2Client),
    elb: createClient(ElasticLoadBalancingV2Client),
    cloudwatch: createClient(CloudWatchClient),
  };
  // Port 22 stays closed unless you set SSH_CIDR to your own address as a /32 (e.g. 203.0.113.10/32).
  const sshCidr = process.env.SSH_CIDR || undefined;
  const tier = newWebTier();
  const servers: LocalWebServer[] = [];
  try {
    await deployWebTier(aws, tier, { sshCidr, log: console.log });

    // An emulator boots no instance and runs no user data, so the same two web servers run here.
    console.log(say("\nThe two web servers, on this machine:", "\nLos dos servidores web, en esta máquina:"));
    servers.push(...(await Promise.all([startLocalWebServer(1), startLocalWebServer(2)])));
    for (let request = 0; request < 4; request++) {
      // Round robin, as the load balancer would do: each request to the next server.
      const server = servers[request % servers.length];
      const answer = await (await fetch(server.url, { signal: AbortSignal.timeout(5000) })).text();
      console.log(`  GET ${server.url} → ${answer}`);
    }
    await Promise.all(servers.map((server) => server.close()));

    const counts = servers.map((server, index) => ({ instanceId: tier.instanceIds[index], requests: server.requestsServed }));
    await putRequestsServed(aws.cloudwatch, counts);
    console.log(`\nCloudWatch ${REQUESTS_METRIC.namespace} ${REQUESTS_METRIC.metricName}:`);
    for (const { instanceId } of counts) {
      const served = await getRequestsServed(aws.cloudwatch, instanceId);
      console.log(say(`  ${instanceId}: ${served} requests`, `  ${instanceId}: ${served} solicitudes`));
    }
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    console.log(say("\nCleaning up:", "\nLimpiando:"));
    await tearDownWebTier(aws, tier, (line) => console.log(`  ${line}`));
  }
}

runMain(import.meta.url, main);
