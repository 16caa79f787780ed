// `npm start -- cleanup`: removes everything the workshop created on the current endpoint.
// What the workshop created is recognised by its name ("nt-…", from uniqueName) or, for
// resources without a name, by the tag workshop=no-toca-boton (from workshopTags).
// Every client goes through createClient(), so the safety guard refuses real AWS unless asked.
import { CloudWatchClient, DeleteAlarmsCommand, paginateDescribeAlarms } from "@aws-sdk/client-cloudwatch";
import { DeleteTableCommand, DynamoDBClient, paginateListTables } from "@aws-sdk/client-dynamodb";
import {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeAddressesCommand,
  DescribeKeyPairsCommand,
  DisassociateAddressCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeSecurityGroups,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
  waitUntilInstanceTerminated,
  type Filter,
} from "@aws-sdk/client-ec2";
import {
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
  waitUntilLoadBalancersDeleted,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteInstanceProfileCommand,
  DeleteLoginProfileCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  paginateListAccessKeys,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListEntitiesForPolicy,
  paginateListGroupPolicies,
  paginateListGroups,
  paginateListGroupsForUser,
  paginateListInstanceProfiles,
  paginateListInstanceProfilesForRole,
  paginateListPolicies,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListUserPolicies,
  paginateListUsers,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  S3Client,
  type ObjectIdentifier,
} from "@aws-sdk/client-s3";
import { DeleteTopicCommand, paginateListSubscriptionsByTopic, paginateListTopics, SNSClient, UnsubscribeCommand } from "@aws-sdk/client-sns";
import { DeleteQueueCommand, paginateListQueues, SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, createClient } from "../clients";
import { RUN_TAG_KEY, WORKSHOP_TAG } from "../lesson";
import { t, type MessageKey } from "../i18n";

/** "bucket nt-…": a resource as the report names it, in the current language. */
const named = (kind: string, name: string | undefined) => t(`cleanup.what.${kind}` as MessageKey, { name: name ?? "" });

export const NAME_PREFIX = "nt-";

export interface ServiceReport {
  service: string;
  /** What was removed, as "kind name" lines. */
  removed: string[];
  /** Set when the whole service was skipped (not offered by this emulator). */
  skipped?: string;
  /** Resources that could not be removed, with the reason. */
  failed: string[];
}

export interface CleanupOptions {
  /** List what would be removed, remove nothing. */
  dryRun?: boolean;
  /** How long to wait for instances and load balancers to go (real AWS takes minutes; emulators none). */
  maxWaitSeconds?: number;
  /** Only what one run created (its RUN_ID): on a shared emulator, leaves everyone else's alone. */
  run?: string;
  /** Only these services ("S3", "EC2", …): the classroom skips those an attendee never used. */
  services?: string[];
}

type Resolved = Required<Omit<CleanupOptions, "run" | "services">> & { match: Matcher };

/** What counts as the workshop's: every `nt-` name and workshop tag, or only one run's (`run`). */
interface Matcher {
  isOurs(name: string | undefined): name is string;
  tagged(tags: Array<{ Key?: string; Value?: string }> | undefined): boolean;
  tagFilter: Filter;
}

function matcher(run: string | undefined): Matcher {
  const tag = run ? { Key: RUN_TAG_KEY, Value: run } : WORKSHOP_TAG;
  return {
    // uniqueName() puts the run id after the prefix: nt-<prefix>-<run>-<n>.
    isOurs: (name): name is string => Boolean(name?.startsWith(NAME_PREFIX) && (!run || name.includes(`-${run}-`))),
    tagged: (tags) => Boolean(tags?.some((t) => t.Key === tag.Key && t.Value === tag.Value)),
    tagFilter: { Name: `tag:${tag.Key}`, Values: [tag.Value] },
  };
}

async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${e.name ?? "Error"}: ${(e.message ?? String(err)).split("\n")[0]}`;
}

/** A service the emulator does not offer (LocalStack's free edition has no ELBv2: 501). */
function unavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e.$metadata?.httpStatusCode === 501 ||
    /not yet implemented|not implemented|pro feature|not included in your/i.test(e.message ?? "") ||
    e.name === "InternalFailure"
  );
}

const ignoreMissing = (err: unknown) => {
  const name = (err as { name?: string }).name ?? "";
  if (!/NoSuchEntity|NotFound|NoSuch|DoesNotExist/i.test(name)) throw err;
};

class Recorder implements ServiceReport {
  removed: string[] = [];
  failed: string[] = [];
  skipped?: string;
  constructor(
    readonly service: string,
    private readonly dryRun: boolean,
  ) {}
  /** Removes one resource (unless dry run), recording what happened; never throws. */
  async remove(what: string, action: () => Promise<unknown>): Promise<boolean> {
    if (this.dryRun) {
      this.removed.push(what);
      return true;
    }
    try {
      await action();
      this.removed.push(what);
      return true;
    } catch (err) {
      this.failed.push(`${what}: ${errorText(err)}`);
      return false;
    }
  }
}

async function service(name: string, dryRun: boolean, body: (r: Recorder) => Promise<void>): Promise<ServiceReport> {
  const recorder = new Recorder(name, dryRun);
  try {
    await body(recorder);
  } catch (err) {
    if (unavailable(err)) recorder.skipped = t("cleanup.notOffered");
    else recorder.failed.push(errorText(err));
  }
  return { service: recorder.service, removed: recorder.removed, failed: recorder.failed, ...(recorder.skipped ? { skipped: recorder.skipped } : {}) };
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  // S3 has no paginator for versions: follow the markers by hand, and list everything before
  // deleting anything (moto loses its place when the marker's version was just deleted).
  const objects: ObjectIdentifier[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) objects.push({ Key: v.Key!, VersionId: v.VersionId });
    ({ NextKeyMarker: KeyMarker, NextVersionIdMarker: VersionIdMarker } = page.IsTruncated ? page : { NextKeyMarker: undefined, NextVersionIdMarker: undefined });
  } while (KeyMarker);
  for (let i = 0; i < objects.length; i += 1000) {
    const batch = objects.slice(i, i + 1000);
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
    if (result.Errors?.length) throw new Error(t("cleanup.couldNotDelete", { key: String(result.Errors[0].Key), message: String(result.Errors[0].Message) }));
  }
  const count = objects.length;
  let uploads;
  do {
    uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
    }
  } while (uploads.IsTruncated && uploads.Uploads?.length);
  return count;
}

function cleanS3(o: Resolved) {
  return service("S3", o.dryRun, async (r) => {
    const s3 = createClient(S3Client);
    const region = clientConfig().region;
    const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
    for (const bucket of Buckets.filter((b) => o.match.isOurs(b.Name))) {
      // A bucket lives in one region: on real AWS, talk to it there.
      const client = bucket.BucketRegion && bucket.BucketRegion !== region ? createClient(S3Client, { region: bucket.BucketRegion }) : s3;
      let objects = 0;
      await r.remove(named("bucket", bucket.Name), async () => {
        objects = await emptyBucket(client, bucket.Name!);
        await client.send(new DeleteBucketCommand({ Bucket: bucket.Name }));
      });
      if (objects && !o.dryRun) r.removed[r.removed.length - 1] += objects === 1 ? t("cleanup.what.objectVersions.one") : t("cleanup.what.objectVersions.many", { n: objects });
    }
  });
}

function cleanSqs(o: Resolved) {
  return service("SQS", o.dryRun, async (r) => {
    const sqs = createClient(SQSClient);
    for (const page of await all(paginateListQueues({ client: sqs }, { QueueNamePrefix: NAME_PREFIX }))) {
      for (const url of page.QueueUrls ?? []) {
        const name = url.split("/").pop();
        if (!o.match.isOurs(name)) continue;
        await r.remove(named("queue", name), () => sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
      }
    }
  });
}

function cleanSns(o: Resolved) {
  return service("SNS", o.dryRun, async (r) => {
    const sns = createClient(SNSClient);
    for (const page of await all(paginateListTopics({ client: sns }, {}))) {
      for (const { TopicArn } of page.Topics ?? []) {
        const name = TopicArn?.split(":").pop();
        if (!o.match.isOurs(name)) continue;
        let subscriptions = 0;
        await r.remove(named("topic", name), async () => {
          for await (const subs of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn })) {
            for (const sub of subs.Subscriptions ?? []) {
              // A subscription still waiting for confirmation has no ARN yet; it goes with the topic.
              if (!sub.SubscriptionArn?.startsWith("arn:")) continue;
              await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn }));
              subscriptions += 1;
            }
          }
          await sns.send(new DeleteTopicCommand({ TopicArn }));
        });
        if (subscriptions && !o.dryRun) r.removed[r.removed.length - 1] += subscriptions === 1 ? t("cleanup.what.subscriptions.one") : t("cleanup.what.subscriptions.many", { n: subscriptions });
      }
    }
  });
}

function cleanDynamoDb(o: Resolved) {
  return service("DynamoDB", o.dryRun, async (r) => {
    const dynamodb = createClient(DynamoDBClient);
    for (const page of await all(paginateListTables({ client: dynamodb }, {}))) {
      for (const table of (page.TableNames ?? []).filter(o.match.isOurs)) {
        await r.remove(named("table", table), () => dynamodb.send(new DeleteTableCommand({ TableName: table })));
      }
    }
  });
}

function cleanIam(o: Resolved) {
  return service("IAM", o.dryRun, async (r) => {
    const iam = createClient(IAMClient);
    const client = { client: iam };
    for (const page of await all(paginateListUsers(client, {}))) {
      for (const user of (page.Users ?? []).map((u) => u.UserName).filter(o.match.isOurs)) {
        await r.remove(named("user", user), async () => {
          for await (const keys of paginateListAccessKeys(client, { UserName: user })) {
            for (const key of keys.AccessKeyMetadata ?? []) await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key.AccessKeyId }));
          }
          for await (const attached of paginateListAttachedUserPolicies(client, { UserName: user })) {
            for (const p of attached.AttachedPolicies ?? []) await iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: p.PolicyArn }));
          }
          for await (const inline of paginateListUserPolicies(client, { UserName: user })) {
            for (const name of inline.PolicyNames ?? []) await iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: name }));
          }
          for await (const groups of paginateListGroupsForUser(client, { UserName: user })) {
            for (const g of groups.Groups ?? []) await iam.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: g.GroupName }));
          }
          await iam.send(new DeleteLoginProfileCommand({ UserName: user })).catch(ignoreMissing);
          await iam.send(new DeleteUserCommand({ UserName: user }));
        });
      }
    }
    for (const page of await all(paginateListGroups(client, {}))) {
      for (const group of (page.Groups ?? []).map((g) => g.GroupName).filter(o.match.isOurs)) {
        await r.remove(named("group", group), async () => {
          const { Users = [] } = await iam.send(new GetGroupCommand({ GroupName: group }));
          for (const u of Users) await iam.send(new RemoveUserFromGroupCommand({ GroupName: group, UserName: u.UserName }));
          for await (const attached of paginateListAttachedGroupPolicies(client, { GroupName: group })) {
            for (const p of attached.AttachedPolicies ?? []) await iam.send(new DetachGroupPolicyCommand({ GroupName: group, PolicyArn: p.PolicyArn }));
          }
          for await (const inline of paginateListGroupPolicies(client, { GroupName: group })) {
            for (const name of inline.PolicyNames ?? []) await iam.send(new DeleteGroupPolicyCommand({ GroupName: group, PolicyName: name }));
          }
          await iam.send(new DeleteGroupCommand({ GroupName: group }));
        });
      }
    }
    for (const page of await all(paginateListRoles(client, {}))) {
      for (const role of (page.Roles ?? []).map((x) => x.RoleName).filter(o.match.isOurs)) {
        await r.remove(named("role", role), async () => {
          for await (const attached of paginateListAttachedRolePolicies(client, { RoleName: role })) {
            for (const p of attached.AttachedPolicies ?? []) await iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: p.PolicyArn }));
          }
          for await (const inline of paginateListRolePolicies(client, { RoleName: role })) {
            for (const name of inline.PolicyNames ?? []) await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: name }));
          }
          for await (const profiles of paginateListInstanceProfilesForRole(client, { RoleName: role })) {
            for (const p of profiles.InstanceProfiles ?? []) {
              await iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: role, InstanceProfileName: p.InstanceProfileName }));
            }
          }
          await iam.send(new DeleteRoleCommand({ RoleName: role }));
        });
      }
    }
    for (const page of await all(paginateListInstanceProfiles(client, {}))) {
      for (const profile of (page.InstanceProfiles ?? []).filter((p) => o.match.isOurs(p.InstanceProfileName))) {
        await r.remove(named("instanceProfile", profile.InstanceProfileName), async () => {
          for (const role of profile.Roles ?? []) {
            await iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: role.RoleName, InstanceProfileName: profile.InstanceProfileName }));
          }
          await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: profile.InstanceProfileName }));
        });
      }
    }
    for (const page of await all(paginateListPolicies(client, { Scope: "Local" }))) {
      for (const policy of (page.Policies ?? []).filter((p) => o.match.isOurs(p.PolicyName))) {
        const arn = policy.Arn!;
        await r.remove(named("policy", policy.PolicyName), async () => {
          for await (const entities of paginateListEntitiesForPolicy(client, { PolicyArn: arn })) {
            for (const u of entities.PolicyUsers ?? []) await iam.send(new DetachUserPolicyCommand({ UserName: u.UserName, PolicyArn: arn }));
            for (const g of entities.PolicyGroups ?? []) await iam.send(new DetachGroupPolicyCommand({ GroupName: g.GroupName, PolicyArn: arn }));
            for (const x of entities.PolicyRoles ?? []) await iam.send(new DetachRolePolicyCommand({ RoleName: x.RoleName, PolicyArn: arn }));
          }
          const { Versions = [] } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
          for (const v of Versions.filter((v) => !v.IsDefaultVersion)) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId }));
          await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
        });
      }
    }
  });
}

function cleanElbv2(o: Resolved) {
  return service("ELBv2", o.dryRun, async (r) => {
    const elb = createClient(ElasticLoadBalancingV2Client);
    const deleted: string[] = [];
    for (const page of await all(paginateDescribeLoadBalancers({ client: elb }, {}))) {
      for (const lb of (page.LoadBalancers ?? []).filter((x) => o.match.isOurs(x.LoadBalancerName))) {
        // Deleting a load balancer deletes its listeners too.
        if (await r.remove(named("loadBalancer", lb.LoadBalancerName), () => elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn })))) {
          deleted.push(lb.LoadBalancerArn!);
        }
      }
    }
    if (deleted.length && !o.dryRun) {
      await waitUntilLoadBalancersDeleted({ client: elb, maxWaitTime: o.maxWaitSeconds, minDelay: 1, maxDelay: 5 }, { LoadBalancerArns: deleted }).catch(() => {});
    }
    for (const page of await all(paginateDescribeTargetGroups({ client: elb }, {}))) {
      for (const tg of (page.TargetGroups ?? []).filter((x) => o.match.isOurs(x.TargetGroupName))) {
        await r.remove(named("targetGroup", tg.TargetGroupName), () => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })));
      }
    }
  });
}

function cleanEc2(o: Resolved) {
  return service("EC2", o.dryRun, async (r) => {
    const ec2 = createClient(EC2Client);
    const alive = { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] };
    const instances: string[] = [];
    for (const page of await all(paginateDescribeInstances({ client: ec2 }, { Filters: [o.match.tagFilter, alive] }))) {
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []).map((i) => i.InstanceId!));
    }
    if (instances.length) {
      const terminated = await r.remove(named(instances.length === 1 ? "instance" : "instances", instances.join(", ")), () =>
        ec2.send(new TerminateInstancesCommand({ InstanceIds: instances })),
      );
      // Security groups cannot go while an instance still uses them.
      if (terminated && !o.dryRun) {
        await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: o.maxWaitSeconds, minDelay: 1, maxDelay: 5 }, { InstanceIds: instances }).catch(() => {});
      }
    }
    const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ Filters: [o.match.tagFilter] }));
    for (const address of Addresses) {
      await r.remove(named("elasticIp", address.PublicIp), async () => {
        if (address.AssociationId) await ec2.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId }));
        await ec2.send(new ReleaseAddressCommand({ AllocationId: address.AllocationId }));
      });
    }
    const { KeyPairs = [] } = await ec2.send(new DescribeKeyPairsCommand({}));
    for (const key of KeyPairs.filter((k) => o.match.isOurs(k.KeyName) || o.match.tagged(k.Tags))) {
      await r.remove(named("keyPair", key.KeyName), () => ec2.send(new DeleteKeyPairCommand(key.KeyName ? { KeyName: key.KeyName } : { KeyPairId: key.KeyPairId })));
    }
    const groups = new Map<string, string>();
    for (const page of await all(paginateDescribeSecurityGroups({ client: ec2 }, {}))) {
      for (const g of page.SecurityGroups ?? []) {
        if (g.GroupName !== "default" && (o.match.isOurs(g.GroupName) || o.match.tagged(g.Tags))) groups.set(g.GroupId!, g.GroupName!);
      }
    }
    for (const [id, name] of groups) {
      await r.remove(named("securityGroup", name), () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })));
    }
  });
}

function cleanCloudWatch(o: Resolved) {
  return service("CloudWatch", o.dryRun, async (r) => {
    const cloudwatch = createClient(CloudWatchClient);
    const names: string[] = [];
    for (const page of await all(paginateDescribeAlarms({ client: cloudwatch }, { AlarmNamePrefix: NAME_PREFIX }))) {
      names.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName!).filter(o.match.isOurs));
    }
    for (let i = 0; i < names.length; i += 100) {
      const batch = names.slice(i, i + 100);
      await r.remove(named(batch.length === 1 ? "alarm" : "alarms", batch.join(", ")), () => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: batch })));
    }
  });
}

/**
 * Removes what the workshop created. Order matters: load balancers before their security
 * groups, instances before theirs, IAM users and roles before the policies attached to them.
 */
export async function cleanup(options: CleanupOptions = {}): Promise<ServiceReport[]> {
  const o: Resolved = { dryRun: options.dryRun ?? false, maxWaitSeconds: options.maxWaitSeconds ?? 300, match: matcher(options.run) };
  const only = (name: string, clean: (o: Resolved) => Promise<ServiceReport>) =>
    !options.services || options.services.includes(name) ? clean(o) : Promise.resolve({ service: name, removed: [], failed: [] });
  const independent = await Promise.all([only("S3", cleanS3), only("SQS", cleanSqs), only("SNS", cleanSns), only("DynamoDB", cleanDynamoDb), only("CloudWatch", cleanCloudWatch), only("IAM", cleanIam)]);
  const elbv2 = await only("ELBv2", cleanElbv2);
  const ec2 = await only("EC2", cleanEc2);
  return [...independent.slice(0, 5), elbv2, ec2, independent[5]];
}

export function describeCleanup(reports: ServiceReport[], where: string, dryRun: boolean, color: { bold(s: string): string; dim(s: string): string; red(s: string): string; yellow(s: string): string; green(s: string): string }): string {
  const lines = [color.bold(t(dryRun ? "cleanup.header.dry" : "cleanup.header.run", { prefix: NAME_PREFIX, tag: `${WORKSHOP_TAG.Key}=${WORKSHOP_TAG.Value}`, where })), ""];
  let total = 0;
  let failures = 0;
  for (const report of reports) {
    const label = report.service.padEnd(11);
    if (report.skipped) lines.push(`${label}${color.yellow(t("cleanup.line.skipped", { why: report.skipped }))}`);
    else if (report.removed.length === 0 && report.failed.length === 0) lines.push(`${label}${color.dim(t("cleanup.line.nothing"))}`);
    for (const [i, what] of report.removed.entries()) lines.push(`${i === 0 ? label : " ".repeat(11)}${t(dryRun ? "cleanup.line.wouldRemove" : "cleanup.line.removed", { what })}`);
    for (const what of report.failed) lines.push(`${" ".repeat(11)}${color.red(t("cleanup.line.failed", { what }))}`);
    total += report.removed.length;
    failures += report.failed.length;
  }
  lines.push("");
  const count = dryRun ? (total === 1 ? t("cleanup.total.would.one") : t("cleanup.total.would.many", { n: total })) : total === 1 ? t("cleanup.total.removed.one") : t("cleanup.total.removed.many", { n: total });
  lines.push(
    total === 0 && failures === 0
      ? color.green(t("cleanup.allClean"))
      : count + (failures ? color.red(failures === 1 ? t("cleanup.total.failedOne") : t("cleanup.total.failed", { n: failures })) : "."),
  );
  return lines.join("\n");
}
