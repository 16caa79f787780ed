// `cleanup`, run as a process against a private, fresh moto (never the shared emulator, where
// other test runs keep their own nt- resources): what the workshop created goes, the rest stays.
import { spawnSync } from "node:child_process";
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListPoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateBucketCommand, ListBucketsCommand, PutBucketVersioningCommand, PutObjectCommand, DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, ListTopicsCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createClient } from "../clients";
import { startEmulator, type Emulator } from "../emulator";
import { RUN_ID, workshopTags } from "../lesson";
import { ROOT } from "../paths";
import { describeCleanup } from "./cleanup";

let emulator: Emulator;
let endpoint: string;
const client = <C>(Client: new (config: never) => C) => createClient(Client, { endpoint });

// "nt-…" as uniqueName makes them; "keep-…" stands for anything else in the account.
const ours = (what: string) => `nt-${what}-${RUN_ID}`;
const theirs = (what: string) => `keep-${what}-${RUN_ID}`;
const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }] });
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });

let taggedInstance: string;
let otherInstance: string;

function runCleanup(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "workshop/cli/index.ts", "cleanup", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, AWS_ENDPOINT_URL: endpoint, NO_COLOR: "1", FORCE_COLOR: undefined },
    timeout: 120_000,
  });
  return { ...run, shown: `stdout:\n${run.stdout}\nstderr:\n${run.stderr}` };
}

beforeAll(async () => {
  emulator = await startEmulator({ kind: "moto" });
  endpoint = emulator.endpoint!;

  const s3 = client(S3Client);
  for (const bucket of [ours("versioned"), ours("plain"), theirs("bucket")]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: ours("versioned"), VersioningConfiguration: { Status: "Enabled" } }));
  for (const body of ["one", "two"]) await s3.send(new PutObjectCommand({ Bucket: ours("versioned"), Key: "photo.jpg", Body: body }));
  await s3.send(new DeleteObjectCommand({ Bucket: ours("versioned"), Key: "photo.jpg" })); // a delete marker
  await s3.send(new PutObjectCommand({ Bucket: ours("plain"), Key: "a/b.txt", Body: "x" }));
  await s3.send(new PutObjectCommand({ Bucket: theirs("bucket"), Key: "mine.txt", Body: "x" }));

  const sqs = client(SQSClient);
  await sqs.send(new CreateQueueCommand({ QueueName: ours("queue") }));
  const { QueueUrl: keepQueue } = await sqs.send(new CreateQueueCommand({ QueueName: theirs("queue") }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: keepQueue, AttributeNames: ["QueueArn"] }));

  const sns = client(SNSClient);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: ours("topic") }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes!.QueueArn }));
  await sns.send(new CreateTopicCommand({ Name: theirs("topic") }));

  const dynamodb = client(DynamoDBClient);
  for (const table of [ours("table"), theirs("table")]) {
    await dynamodb.send(
      new CreateTableCommand({ TableName: table, BillingMode: "PAY_PER_REQUEST", KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }] }),
    );
  }

  const iam = client(IAMClient);
  const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: ours("policy"), PolicyDocument: POLICY }));
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: Policy!.Arn, PolicyDocument: POLICY, SetAsDefault: true }));
  await iam.send(new CreateUserCommand({ UserName: ours("user") }));
  await iam.send(new CreateAccessKeyCommand({ UserName: ours("user") }));
  await iam.send(new AttachUserPolicyCommand({ UserName: ours("user"), PolicyArn: Policy!.Arn }));
  await iam.send(new PutUserPolicyCommand({ UserName: ours("user"), PolicyName: "inline", PolicyDocument: POLICY }));
  await iam.send(new CreateRoleCommand({ RoleName: ours("role"), AssumeRolePolicyDocument: TRUST }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: ours("role"), PolicyArn: Policy!.Arn }));
  await iam.send(new CreateUserCommand({ UserName: theirs("user") }));
  // Someone else's user holding the workshop's policy: the policy goes, the user stays.
  await iam.send(new AttachUserPolicyCommand({ UserName: theirs("user"), PolicyArn: Policy!.Arn }));

  const ec2 = client(EC2Client);
  const { Images = [] } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], MaxResults: 5 }));
  const image = Images[0].ImageId!;
  const run = (tags: boolean) =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: image,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        ...(tags ? { TagSpecifications: [{ ResourceType: "instance", Tags: workshopTags() }] } : {}),
      }),
    );
  taggedInstance = (await run(true)).Instances![0].InstanceId!;
  otherInstance = (await run(false)).Instances![0].InstanceId!;
  const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: "vpc", TagSpecifications: [{ ResourceType: "elastic-ip", Tags: workshopTags() }] }));
  await ec2.send(new AssociateAddressCommand({ AllocationId, InstanceId: taggedInstance }));
  await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
  for (const key of [ours("key"), theirs("key")]) await ec2.send(new CreateKeyPairCommand({ KeyName: key }));
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: ours("sg"), Description: "workshop" }));
  await ec2.send(new CreateSecurityGroupCommand({ GroupName: theirs("sg"), Description: "not the workshop's" }));

  const elb = client(ElasticLoadBalancingV2Client);
  const { Subnets = [] } = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }));
  const { LoadBalancers } = await elb.send(
    new CreateLoadBalancerCommand({ Name: ours("lb").slice(0, 32), Subnets: Subnets.slice(0, 2).map((s) => s.SubnetId!), SecurityGroups: [GroupId!] }),
  );
  const { TargetGroups } = await elb.send(new CreateTargetGroupCommand({ Name: ours("tg").slice(0, 32), Protocol: "HTTP", Port: 80, VpcId: Subnets[0].VpcId }));
  await elb.send(
    new CreateListenerCommand({ LoadBalancerArn: LoadBalancers![0].LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "forward", TargetGroupArn: TargetGroups![0].TargetGroupArn }] }),
  );
  await elb.send(new CreateTargetGroupCommand({ Name: theirs("tg").slice(0, 32), Protocol: "HTTP", Port: 80, VpcId: Subnets[0].VpcId }));

  const cloudwatch = client(CloudWatchClient);
  for (const alarm of [ours("alarm"), theirs("alarm")]) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({ AlarmName: alarm, Namespace: "AWS/EC2", MetricName: "CPUUtilization", Statistic: "Average", Period: 60, EvaluationPeriods: 1, Threshold: 80, ComparisonOperator: "GreaterThanThreshold" }),
    );
  }
});

afterAll(async () => {
  await emulator?.stop();
});

async function inventory() {
  const ec2 = client(EC2Client);
  const instances = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [taggedInstance, otherInstance] }))).Reservations!.flatMap((r) => r.Instances!);
  return {
    buckets: ((await client(S3Client).send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!),
    queues: ((await client(SQSClient).send(new ListQueuesCommand({}))).QueueUrls ?? []).map((u) => u.split("/").pop()!),
    topics: ((await client(SNSClient).send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!.split(":").pop()!),
    tables: (await client(DynamoDBClient).send(new ListTablesCommand({}))).TableNames ?? [],
    users: ((await client(IAMClient).send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName!),
    roles: ((await client(IAMClient).send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName!),
    policies: ((await client(IAMClient).send(new ListPoliciesCommand({ Scope: "Local" }))).Policies ?? []).map((p) => p.PolicyName!),
    keys: ((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs ?? []).map((k) => k.KeyName!),
    groups: ((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).map((g) => g.GroupName!),
    addresses: ((await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? []).map((a) => (a.Tags?.length ? "tagged" : "untagged")),
    instances: Object.fromEntries(instances.map((i) => [i.InstanceId, i.State?.Name])),
    loadBalancers: ((await client(ElasticLoadBalancingV2Client).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((l) => l.LoadBalancerName!),
    targetGroups: ((await client(ElasticLoadBalancingV2Client).send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).map((t) => t.TargetGroupName!),
    alarms: ((await client(CloudWatchClient).send(new DescribeAlarmsCommand({}))).MetricAlarms ?? []).map((a) => a.AlarmName!),
  };
}

describe("cleanup", { timeout: 180_000 }, () => {
  test("--dry-run lists what would go and removes nothing", async () => {
    const before = await inventory();
    const run = runCleanup("--dry-run");
    expect(run.status, run.shown).toBe(0);
    expect(run.stdout).toContain(`would remove bucket ${ours("versioned")}`);
    expect(run.stdout).toContain(`would remove user ${ours("user")}`);
    expect(run.stdout).not.toContain(theirs("bucket"));
    expect(await inventory()).toEqual(before);
  });

  test("removes what the workshop created, says what, and leaves the rest", async () => {
    const run = runCleanup();
    expect(run.status, run.shown).toBe(0);
    for (const line of [
      `removed bucket ${ours("versioned")} (and 3 object versions)`,
      `removed bucket ${ours("plain")} (and 1 object version)`,
      `removed queue ${ours("queue")}`,
      `removed topic ${ours("topic")} (and 1 subscription)`,
      `removed table ${ours("table")}`,
      `removed user ${ours("user")}`,
      `removed role ${ours("role")}`,
      `removed policy ${ours("policy")}`,
      `removed instance ${taggedInstance}`,
      `removed key pair ${ours("key")}`,
      `removed security group ${ours("sg")}`,
      `removed load balancer ${ours("lb").slice(0, 32)}`,
      `removed target group ${ours("tg").slice(0, 32)}`,
      `removed alarm ${ours("alarm")}`,
    ]) {
      expect(run.stdout, run.shown).toContain(line);
    }
    expect(run.stdout).toMatch(/removed Elastic IP \d+\.\d+\.\d+\.\d+/);
    expect(run.stdout).toMatch(/^S3 +removed/m);
    expect(run.stdout).toMatch(/Removed \d+ resources\./);

    const after = await inventory();
    const leftovers = Object.values(after).flatMap((v) => (Array.isArray(v) ? v : [])).filter((name) => name.startsWith("nt-"));
    expect(leftovers, "nothing named nt- is left").toEqual([]);
    expect(after.buckets).toContain(theirs("bucket"));
    expect(after.queues).toContain(theirs("queue"));
    expect(after.topics).toContain(theirs("topic"));
    expect(after.tables).toContain(theirs("table"));
    expect(after.users).toContain(theirs("user"));
    expect(after.keys).toContain(theirs("key"));
    expect(after.groups).toContain(theirs("sg"));
    expect(after.targetGroups).toContain(theirs("tg").slice(0, 32));
    expect(after.alarms).toContain(theirs("alarm"));
    expect(after.addresses, "only the untagged Elastic IP stays").toEqual(["untagged"]);
    expect(after.instances[taggedInstance]).toBe("terminated");
    expect(after.instances[otherInstance]).toBe("running");
  });

  test("a second cleanup finds nothing left", () => {
    const run = runCleanup("--json");
    expect(run.status, run.shown).toBe(0);
    const report = JSON.parse(run.stdout) as { services: Array<{ service: string; removed: string[]; failed: string[] }> };
    expect(report.services.map((s) => s.service).sort()).toEqual(["CloudWatch", "DynamoDB", "EC2", "ELBv2", "IAM", "S3", "SNS", "SQS"]);
    expect(report.services.flatMap((s) => [...s.removed, ...s.failed])).toEqual([]);
  });
});

test("the cleanup's report in Spanish: each service's line and the total", () => {
  const before = process.env.WORKSHOP_LANG;
  process.env.WORKSHOP_LANG = "es";
  try {
    const plain = { bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s, green: (s: string) => s };
    const text = describeCleanup(
      [
        { service: "S3", removed: ["bucket nt-a"], failed: [] },
        { service: "SQS", removed: [], failed: [] },
        { service: "ELBv2", removed: [], failed: [], skipped: "este emulador no lo ofrece" },
        { service: "EC2", removed: [], failed: ["par de claves nt-k: Error: boom"] },
      ],
      "el emulador en http://127.0.0.1:4566",
      false,
      plain,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe("Limpiando lo que creó el taller (nombres nt-…, etiqueta workshop=no-toca-boton) en el emulador en http://127.0.0.1:4566");
    expect(text).toMatch(/^S3 +borré: bucket nt-a$/m);
    expect(text).toMatch(/^SQS +nada para borrar$/m);
    expect(text).toMatch(/^ELBv2 +salteado: este emulador no lo ofrece$/m);
    expect(text).toMatch(/^ +no pude borrar: par de claves nt-k: Error: boom$/m);
    expect(lines.at(-1)).toBe("Borré 1 recurso; 1 no se pudo borrar (mirá más arriba; corré cleanup de nuevo en un minuto)");
  } finally {
    if (before === undefined) delete process.env.WORKSHOP_LANG;
    else process.env.WORKSHOP_LANG = before;
  }
});
