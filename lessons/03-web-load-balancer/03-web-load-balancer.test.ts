import {
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceTerminated,
  type Instance,
} from "@aws-sdk/client-ec2";
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, DeleteTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, test, type TestContext } from "vitest";
import { createClient, injectFaults, loadLesson, recordCalls, uniqueName, waitFor } from "../../workshop/testing";

const lesson = await loadLesson<typeof import("./exercise")>("03-web-load-balancer");
const ec2 = createClient(EC2Client);
const elb = createClient(ElasticLoadBalancingV2Client);
const cloudwatch = createClient(CloudWatchClient);
const sns = createClient(SNSClient);
const aws = { ec2, elb, cloudwatch };

/** Cleanup that must not hide the test's own failure: a resource the test never got is fine to miss. */
async function bestEffort(action: () => Promise<unknown>): Promise<void> {
  await action().catch(() => {});
}

const decode = (base64: string) => Buffer.from(base64, "base64").toString("utf8");
const GREETING = (n: number) => `Hola pyconar! yo soy la instancia ${n}!!`;

async function describeInstance(instanceId: string): Promise<Instance> {
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations.flatMap((r) => r.Instances ?? [])[0];
  expect(instance, `DescribeInstances knows no instance ${instanceId}`).toBeDefined();
  return instance!;
}

async function userDataOf(instanceId: string): Promise<string> {
  const { UserData } = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "userData" }));
  return decode(UserData?.Value ?? "");
}

async function ingressRules(groupId: string): Promise<string[]> {
  const { SecurityGroupRules = [] } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }),
  );
  return SecurityGroupRules.filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort} from ${rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.ReferencedGroupInfo?.GroupId}`)
    .sort();
}

async function terminate(instanceIds: string[]): Promise<void> {
  if (!instanceIds.length) return;
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
  await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { InstanceIds: instanceIds });
}

async function instancesNamed(name: string): Promise<string[]> {
  const { Reservations = [] } = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: "tag:Name", Values: [name] }, { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] }] }),
  );
  return Reservations.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

async function releaseAddressesNamed(name: string): Promise<void> {
  const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: "tag:Name", Values: [name] }] }));
  for (const address of Addresses) {
    if (address.AssociationId) await bestEffort(() => ec2.send(new DisassociateAddressCommand({ AssociationId: address.AssociationId })));
    await bestEffort(() => ec2.send(new ReleaseAddressCommand({ AllocationId: address.AllocationId })));
  }
}

async function deleteLoadBalancerNamed(name: string): Promise<void> {
  const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({ Names: [name] }));
  for (const lb of LoadBalancers) {
    const { Listeners = [] } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    for (const listener of Listeners) await elb.send(new DeleteListenerCommand({ ListenerArn: listener.ListenerArn }));
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  }
}

async function deleteTargetGroupNamed(name: string): Promise<void> {
  const { TargetGroups = [] } = await elb.send(new DescribeTargetGroupsCommand({ Names: [name] }));
  for (const group of TargetGroups) await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn }));
}

/**
 * The Sum of the lesson's metric for one instance, read as the test's own check. On AWS a datapoint
 * just written takes a while to be readable, so an empty answer is read again for a few seconds.
 */
async function sumOfMetric(instanceId: string): Promise<number> {
  const read = async () => {
    const now = Date.now();
    const { Datapoints = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: lesson.REQUESTS_METRIC.namespace,
        MetricName: lesson.REQUESTS_METRIC.metricName,
        Dimensions: [{ Name: "InstanceId", Value: instanceId }],
        StartTime: new Date(now - 15 * 60_000),
        EndTime: new Date(now + 60_000),
        Period: 60,
        Statistics: ["Sum"],
      }),
    );
    return Datapoints.length ? Datapoints.reduce((total, point) => total + (point.Sum ?? 0), 0) : undefined;
  };
  return waitFor(`a RequestsServed datapoint for ${instanceId} in CloudWatch`, read, { timeoutMs: 8000 });
}

/** Waits for a lesson call that might never return (a read loop without a deadline), for at most 9 s. */
async function settlesWithin<T>(what: string, promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await waitFor(what, () => (settled ? true : undefined), { timeoutMs: 9000, intervalMs: 50 });
  return promise;
}

/** Security groups whose name starts with `prefix` (a test cleans up what a half-done step made). */
async function deleteGroupsNamed(prefix: string): Promise<void> {
  const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: [`${prefix}*`] }] }));
  // Groups that others refer to go last.
  for (const group of SecurityGroups.reverse()) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })));
}

async function vpcOfGroup(groupId: string): Promise<string | undefined> {
  const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  return SecurityGroups[0]?.VpcId;
}

// What the tests of steps 4 to 13 stand on, made here with the SDK so that each test depends on
// its own TODO only: the default network, an image, a security group, two plain instances.
const fixture = {
  name: uniqueName("fix"),
  network: undefined as undefined | { vpcId: string; subnetIds: [string, string]; createdSubnetIds: string[] },
  imageId: "",
  groupId: "",
  instanceIds: [] as string[],
};

beforeAll(async () => {
  fixture.network = await lesson.findDefaultNetwork(ec2);
  fixture.imageId = await lesson.findAmazonLinuxImage(ec2);
  const group = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: fixture.name, Description: "lesson 03 tests", VpcId: fixture.network.vpcId, TagSpecifications: lesson.tagsFor("security-group", fixture.name) }),
  );
  fixture.groupId = group.GroupId!;
  for (const subnetId of fixture.network.subnetIds) {
    const { Instances = [] } = await ec2.send(
      new RunInstancesCommand({
        ImageId: fixture.imageId,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnetId,
        SecurityGroupIds: [fixture.groupId],
        TagSpecifications: lesson.tagsFor("instance", fixture.name),
      }),
    );
    fixture.instanceIds.push(Instances[0].InstanceId!);
  }
});

afterAll(async () => {
  await bestEffort(() => terminate(fixture.instanceIds));
  if (fixture.groupId) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: fixture.groupId })));
  for (const subnetId of fixture.network?.createdSubnetIds ?? []) {
    await bestEffort(() => ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })));
  }
});

describe("the web server", () => {
  test("lesson: each local web server answers with its own instance number", async () => {
    const servers = await Promise.all([lesson.startLocalWebServer(1), lesson.startLocalWebServer(2)]);
    try {
      expect(servers[0].url, "the two servers listen on different ports").not.toBe(servers[1].url);
      for (const [index, server] of servers.entries()) {
        const response = await fetch(server.url, { signal: AbortSignal.timeout(5000) });
        expect(await response.text(), `${server.url} (server ${index + 1}) answered`).toBe(GREETING(index + 1));
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    expect(servers.map((server) => server.requestsServed), "requests each server counted").toEqual([1, 1]);
  });

  test("step 1: userData(n) is base64 of a shell script that writes web server n's code and starts it", () => {
    for (const n of [1, 2]) {
      const encoded = lesson.userData(n);
      expect(Buffer.from(encoded, "base64").toString("base64"), `userData(${n}) should be base64, it is: ${encoded.slice(0, 60)}…`).toBe(encoded);
      const script = decode(encoded);
      expect(script.startsWith("#!"), `the script should start with #!/bin/bash; it starts: ${script.slice(0, 40)}`).toBe(true);
      expect(script, `userData(${n}) should contain webServerCode(${n}) word for word`).toContain(lesson.webServerCode(n));
    }
    expect(lesson.userData(1), "instance 1 and instance 2 get different user data").not.toBe(lesson.userData(2));
  });

  // Amazon Linux 2023 packages Node.js by major version (nodejs22, nodejs24) with versioned binaries
  // (node-22, node-24); plain "nodejs" is Node 18, and Node 20 reached its end of life in April 2026.
  test("step 1: the user data installs a supported Node.js (22 or 24) and starts the server with that version's binary", () => {
    const outside = decode(lesson.userData(1)).replace(lesson.webServerCode(1), "");
    const installs = outside.split("\n").filter((line) => /\b(dnf|yum)\b[^#]*\binstall\b/.test(line));
    const packages = installs.flatMap((line) => line.match(/\bnodejs\d*(?![\w-])/g) ?? []);
    expect(packages, `the script should install nodejs22 or nodejs24 with dnf; its install lines are:\n${installs.join("\n") || "(none)"}`).not.toEqual([]);
    for (const name of packages) {
      expect(["nodejs22", "nodejs24"], `"${name}" is not a supported Node.js on Amazon Linux 2023 (plain nodejs is Node 18; nodejs20 is past its end of life)`).toContain(name);
    }
    const version = packages[0].replace("nodejs", "");
    expect(outside, `the script should start the server with /usr/bin/node-${version} (a bare "node" points at whichever version is active); outside the server code it is:\n${outside}`).toMatch(
      new RegExp(`^[^#\\n]*\\bnode-${version}\\s+\\S+`, "m"),
    );
  });
});

describe("the firewalls", () => {
  test("step 2: createLoadBalancerSecurityGroup lets in HTTP from anywhere, nothing else", async () => {
    const name = uniqueName("sg");
    let groupId: string | undefined;
    try {
      groupId = await lesson.createLoadBalancerSecurityGroup(ec2, { name, vpcId: fixture.network!.vpcId });
      expect(await vpcOfGroup(groupId), `the VPC of the group ${groupId}`).toBe(fixture.network!.vpcId);
      const rules = await ingressRules(groupId);
      expect(rules, `the group's ingress rules are: ${rules.join("; ") || "none"}`).toEqual(["tcp 80-80 from 0.0.0.0/0"]);
    } finally {
      if (groupId) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
      await bestEffort(() => deleteGroupsNamed(name));
    }
  });

  // AWS's ELB guide: restrict the targets' security group to traffic from the load balancer's
  // group. Default subnets give instances public addresses: with 80 open to the world, anyone
  // could go around the load balancer.
  test("step 3: createInstanceSecurityGroup lets in HTTP only from the load balancer's group, and SSH only when asked", async () => {
    const name = uniqueName("sg");
    const sshCidr = "198.51.100.7/32";
    const made: string[] = [];
    try {
      const { GroupId: loadBalancerGroupId } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: `${name}-fixture-lb`, Description: "lesson 03 tests", VpcId: fixture.network!.vpcId }),
      );
      made.push(loadBalancerGroupId!);
      const withSsh = await lesson.createInstanceSecurityGroup(ec2, { name: `${name}-a`, vpcId: fixture.network!.vpcId, loadBalancerGroupId: loadBalancerGroupId!, sshCidr });
      made.unshift(withSsh);
      expect(await vpcOfGroup(withSsh), `the VPC of the group ${withSsh}`).toBe(fixture.network!.vpcId);
      const rules = await ingressRules(withSsh);
      expect(rules, `with sshCidr ${sshCidr}, the group's ingress rules are: ${rules.join("; ") || "none"}`).toEqual([
        `tcp 22-22 from ${sshCidr}`,
        `tcp 80-80 from ${loadBalancerGroupId}`,
      ]);
      const withoutSsh = await lesson.createInstanceSecurityGroup(ec2, { name: `${name}-b`, vpcId: fixture.network!.vpcId, loadBalancerGroupId: loadBalancerGroupId! });
      made.unshift(withoutSsh);
      const closed = await ingressRules(withoutSsh);
      expect(closed, `without sshCidr, port 22 stays closed; the group's ingress rules are: ${closed.join("; ") || "none"}`).toEqual([
        `tcp 80-80 from ${loadBalancerGroupId}`,
      ]);
    } finally {
      for (const groupId of made) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
      await bestEffort(() => deleteGroupsNamed(name));
    }
  });
});

describe("the instances", () => {
  test("step 4: launchWebServer starts an instance whose user data is web server n", async () => {
    const name = uniqueName("vm");
    const subnetId = fixture.network!.subnetIds[1];
    await lesson.createKeyPair(ec2, name);
    let instanceId: string | undefined;
    try {
      instanceId = await lesson.launchWebServer(ec2, { instance: 2, name, imageId: fixture.imageId, subnetId, groupId: fixture.groupId, keyName: name });
      const instance = await describeInstance(instanceId);
      expect(instance.ImageId, "image").toBe(fixture.imageId);
      expect(instance.SubnetId, "subnet").toBe(subnetId);
      expect(instance.KeyName, "key pair").toBe(name);
      expect(instance.SecurityGroups?.map((g) => g.GroupId), "security groups").toEqual([fixture.groupId]);
      expect(instance.Tags?.find((t) => t.Key === "Name")?.Value, "the Name tag (use tagsFor)").toBe(name);
      const script = await userDataOf(instanceId);
      expect(script, `the instance's user data should contain webServerCode(2); it is:\n${script.slice(0, 300)}`).toContain(lesson.webServerCode(2));
    } finally {
      await bestEffort(async () => terminate(instanceId ? [instanceId] : await instancesNamed(name)));
      await bestEffort(() => ec2.send(new DeleteKeyPairCommand({ KeyName: name })));
    }
  });

  test("step 4: launchWebServer without a key pair launches an instance nobody can SSH into with a key", async () => {
    const name = uniqueName("vm");
    let instanceId: string | undefined;
    try {
      instanceId = await lesson.launchWebServer(ec2, { instance: 1, name, imageId: fixture.imageId, subnetId: fixture.network!.subnetIds[0], groupId: fixture.groupId });
      const instance = await describeInstance(instanceId);
      expect(instance.KeyName, "the instance's key pair").toBeUndefined();
    } finally {
      await bestEffort(async () => terminate(instanceId ? [instanceId] : await instancesNamed(name)));
    }
  });
});

describe("the load balancer", () => {
  // LocalStack's account-free edition has no Elastic Load Balancing: these tests are skipped there,
  // with the emulator's own words as the reason. Any other error from the probe fails each test.
  let probe: ReturnType<typeof lesson.probeLoadBalancing> | undefined;
  async function skipWithoutLoadBalancing(context: TestContext): Promise<void> {
    const loadBalancing = await (probe ??= lesson.probeLoadBalancing(elb));
    if (!loadBalancing.available) context.skip(`skipped: ${loadBalancing.reason}`);
  }

  async function makeTargetGroup(name: string): Promise<string> {
    const { TargetGroups = [] } = await elb.send(
      new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, VpcId: fixture.network!.vpcId, TargetType: "instance" }),
    );
    return TargetGroups[0].TargetGroupArn!;
  }

  test("step 5: createLoadBalancer makes an internet-facing application load balancer in two zones", async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("lb");
    try {
      const created = await lesson.createLoadBalancer(elb, { name, subnetIds: fixture.network!.subnetIds, groupId: fixture.groupId });
      const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [created.arn] }));
      const lb = LoadBalancers[0];
      expect(lb?.LoadBalancerName, `the load balancer ${created.arn}`).toBe(name);
      expect(lb.Type, "type").toBe("application");
      expect(lb.Scheme, "scheme").toBe("internet-facing");
      expect(lb.DNSName, "the DNS name returned").toBe(created.dnsName);
      const subnets = (lb.AvailabilityZones ?? []).map((zone) => zone.SubnetId).sort();
      expect(subnets, "its subnets, one per zone").toEqual([...fixture.network!.subnetIds].sort());
      expect(lb.SecurityGroups, "its security groups").toEqual([fixture.groupId]);
    } finally {
      await bestEffort(() => deleteLoadBalancerNamed(name));
    }
  });

  test("step 6: createTargetGroup makes an HTTP:80 group of instances in the VPC", async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("tg");
    try {
      const arn = await lesson.createTargetGroup(elb, { name, vpcId: fixture.network!.vpcId });
      const { TargetGroups = [] } = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
      const group = TargetGroups[0];
      expect(group?.TargetGroupName, `the target group ${arn}`).toBe(name);
      expect([group.Protocol, group.Port, group.TargetType, group.VpcId], "protocol, port, target type, VPC").toEqual([
        "HTTP",
        80,
        "instance",
        fixture.network!.vpcId,
      ]);
      expect(group.HealthCheckPath, "the health check's path").toBe("/");
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  test("step 7: createListener forwards port 80 to the target group", async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("ls");
    try {
      const { LoadBalancers = [] } = await elb.send(
        new CreateLoadBalancerCommand({ Name: name, Type: "application", Subnets: fixture.network!.subnetIds, SecurityGroups: [fixture.groupId] }),
      );
      const loadBalancerArn = LoadBalancers[0].LoadBalancerArn!;
      const targetGroupArn = await makeTargetGroup(name);
      const listenerArn = await lesson.createListener(elb, { loadBalancerArn, targetGroupArn });
      const { Listeners = [] } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
      const listener = Listeners.find((l) => l.ListenerArn === listenerArn);
      expect(listener, `the load balancer's listeners: ${Listeners.map((l) => `${l.Protocol}:${l.Port}`).join(", ") || "none"}`).toBeDefined();
      expect([listener!.Protocol, listener!.Port], "protocol and port").toEqual(["HTTP", 80]);
      expect(
        listener!.DefaultActions?.map((a) => [a.Type, a.TargetGroupArn]),
        "the listener's default action",
      ).toEqual([["forward", targetGroupArn]]);
    } finally {
      await bestEffort(() => deleteLoadBalancerNamed(name));
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  test("step 8: registerTargets puts both instances in the target group", async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("rt");
    try {
      const arn = await makeTargetGroup(name);
      await lesson.registerTargets(elb, arn, fixture.instanceIds);
      const { TargetHealthDescriptions = [] } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      const targets = TargetHealthDescriptions.map((d) => d.Target?.Id).sort();
      expect(targets, "the target group holds").toEqual([...fixture.instanceIds].sort());
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  // moto registers targets without sending them traffic and calls them healthy at once; AWS starts
  // at "initial". So the test checks which instances are reported, and that each has a state.
  test("step 9: describeTargetHealth reports a state for each instance", async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("th");
    try {
      const arn = await makeTargetGroup(name);
      await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: fixture.instanceIds.map((Id) => ({ Id })) }));
      const health = await lesson.describeTargetHealth(elb, arn);
      expect(health.map((t) => t.instanceId).sort(), "instances reported").toEqual([...fixture.instanceIds].sort());
      for (const target of health) expect(target.state, `the state of ${target.instanceId}`).toMatch(/^[a-z]+$/);
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });
});

describe("the Elastic IP", () => {
  test("step 10: attachElasticIp allocates an address and associates it with the instance", async () => {
    const name = uniqueName("eip");
    const instanceId = fixture.instanceIds[0];
    let address: Awaited<ReturnType<typeof lesson.attachElasticIp>> | undefined;
    try {
      address = await lesson.attachElasticIp(ec2, instanceId, name);
      const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [address.allocationId] }));
      const held = Addresses[0];
      expect(held, `no address with allocation id ${address.allocationId}`).toBeDefined();
      expect(held.Domain, "an Elastic IP for a VPC").toBe("vpc");
      expect(held.PublicIp, "the address returned").toBe(address.publicIp);
      expect(held.InstanceId, `the address is associated with: ${held.InstanceId ?? "nothing"}`).toBe(instanceId);
      expect(held.AssociationId, "the association id returned").toBe(address.associationId);
    } finally {
      if (address) {
        await bestEffort(() => ec2.send(new DisassociateAddressCommand({ AssociationId: address!.associationId })));
        await bestEffort(() => ec2.send(new ReleaseAddressCommand({ AllocationId: address!.allocationId })));
      }
      await bestEffort(() => releaseAddressesNamed(name));
    }
  });
});

describe("monitoring", () => {
  test("step 11: putCpuAlarm watches the instance's five-minute average CPUUtilization, with no action unless given one", async () => {
    const alarmName = uniqueName("cpu");
    const instanceId = fixture.instanceIds[0];
    try {
      await lesson.putCpuAlarm(cloudwatch, { alarmName, instanceId, threshold: 70 });
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
      const alarm = MetricAlarms[0];
      expect(alarm, `no alarm named ${alarmName}`).toBeDefined();
      expect([alarm.Namespace, alarm.MetricName], "the metric watched").toEqual(["AWS/EC2", "CPUUtilization"]);
      expect(alarm.Dimensions, "its dimensions").toEqual([{ Name: "InstanceId", Value: instanceId }]);
      expect([alarm.Statistic, alarm.Period, alarm.EvaluationPeriods], "statistic, period (s), evaluation periods").toEqual(["Average", 300, 1]);
      expect([alarm.ComparisonOperator, alarm.Threshold], "goes off when").toEqual(["GreaterThanThreshold", 70]);
      expect(alarm.AlarmActions ?? [], "its actions when none are given").toEqual([]);
    } finally {
      await bestEffort(() => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] })));
    }
  });

  // An alarm does something only through its actions: an SNS topic (lesson 05) is the usual one.
  test("step 11: putCpuAlarm notifies the SNS topic it is given", async () => {
    const alarmName = uniqueName("cpu");
    let topicArn: string | undefined;
    try {
      ({ TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("alarm") })));
      await lesson.putCpuAlarm(cloudwatch, { alarmName, instanceId: fixture.instanceIds[1], alarmActions: [topicArn!] });
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
      expect(MetricAlarms[0], `no alarm named ${alarmName}`).toBeDefined();
      expect(MetricAlarms[0].AlarmActions, "the alarm's actions").toEqual([topicArn]);
      expect(MetricAlarms[0].Threshold, "the threshold when none is given").toBe(80);
    } finally {
      await bestEffort(() => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] })));
      if (topicArn) await bestEffort(() => sns.send(new DeleteTopicCommand({ TopicArn: topicArn })));
    }
  });

  // Custom metrics cannot be deleted (CloudWatch lets them expire), so each test uses new
  // dimension values: two runs at once never read each other's datapoints.
  test("step 12: putRequestsServed publishes one datapoint per instance", async () => {
    const counts = [
      { instanceId: uniqueName("i"), requests: 3 },
      { instanceId: uniqueName("i"), requests: 5 },
    ];
    await lesson.putRequestsServed(cloudwatch, counts);
    for (const count of counts) {
      expect(await sumOfMetric(count.instanceId), `GetMetricStatistics Sum for ${count.instanceId}`).toBe(count.requests);
    }
  });

  const putSeven = (instanceId: string) =>
    cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: lesson.REQUESTS_METRIC.namespace,
        MetricData: [{ MetricName: lesson.REQUESTS_METRIC.metricName, Dimensions: [{ Name: "InstanceId", Value: instanceId }], Value: 7, Unit: "Count" }],
      }),
    );

  test("step 13: getRequestsServed reads the metric back with GetMetricStatistics", async () => {
    const instanceId = uniqueName("i");
    await putSeven(instanceId);
    expect(await lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 8000 }), `requests served by ${instanceId}`).toBe(7);
  });

  // On AWS a datapoint just written can take a while to show in GetMetricStatistics. Here the
  // datapoint is written a second and a half after the read starts: only a read that asks again
  // while the answer is empty sees it.
  test("step 13: getRequestsServed reads again while CloudWatch has no datapoint yet", async () => {
    const instanceId = uniqueName("i");
    const reading = lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 6000 });
    reading.catch(() => {}); // an error is reported by the await below, not as an unhandled rejection
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await putSeven(instanceId);
    const served = await settlesWithin("getRequestsServed to return (it was given waitMs: 6000)", reading);
    expect(served, `requests served by ${instanceId}, written 1.5 s after the read began (the read should ask again while the answer is empty)`).toBe(7);
  });

  test("step 13: getRequestsServed gives up after waitMs and reports 0 when no datapoint ever comes", async () => {
    const instanceId = uniqueName("i");
    const reading = lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 1500 });
    const served = await settlesWithin("getRequestsServed to give up (it was given waitMs: 1500)", reading);
    expect(served, `requests served by ${instanceId}, which never served any`).toBe(0);
  });

  test("step 13: the requests the local servers counted go to CloudWatch and come back", async () => {
    const servers = await Promise.all([lesson.startLocalWebServer(1), lesson.startLocalWebServer(2)]);
    try {
      for (const server of [servers[0], servers[0], servers[0], servers[1]]) {
        await (await fetch(server.url, { signal: AbortSignal.timeout(5000) })).text();
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    const counts = servers.map((server) => ({ instanceId: uniqueName("i"), requests: server.requestsServed }));
    expect(counts.map((c) => c.requests), "requests each server counted").toEqual([3, 1]);
    await lesson.putRequestsServed(cloudwatch, counts);
    const readBack = await Promise.all(counts.map((c) => lesson.getRequestsServed(cloudwatch, c.instanceId, { waitMs: 8000 })));
    expect(readBack, "requests read back from CloudWatch").toEqual([3, 1]);
  });
});

describe("telling 'this emulator has no such service' from a real error", () => {
  const error = (name: string, message: string, httpStatusCode?: number) =>
    Object.assign(new Error(message), { name, ...(httpStatusCode ? { $metadata: { httpStatusCode } } : {}) });

  test.each([
    ["LocalStack's answer", error("InternalFailure", "The API for service 'elbv2' is either not included in your current license plan or has not yet been emulated by LocalStack. Please refer to https://docs.localstack.cloud/references/coverage for more details.", 501)],
    ["an older LocalStack's answer", error("InternalFailure", "API for service 'elbv2' not yet implemented or pro feature - please check https://docs.localstack.cloud/references/coverage/ for further information", 501)],
    ["any 501", error("NotImplemented", "Not Implemented", 501)],
    ["'not implemented' without a status", error("Error", "The CreateLoadBalancer action has not been implemented")],
  ])("lesson: %s means unavailable", (_what, err) => {
    expect(lesson.isServiceUnavailable(err)).toBe(true);
  });

  test.each([
    ["a validation error", error("ValidationError", "1 validation error detected: Value at 'name' failed", 400)],
    ["a missing load balancer", error("LoadBalancerNotFoundException", "One or more load balancers not found", 400)],
    ["an internal error", error("InternalFailure", "We encountered an internal error. Please try again.", 500)],
    ["a throttled service", error("ServiceUnavailable", "Service is unavailable, try again later", 503)],
    ["a network failure", new TypeError("fetch failed")],
    ["something that is not an error", "not implemented"],
    ["nothing", undefined],
  ])("lesson: %s does not", (_what, err) => {
    expect(lesson.isServiceUnavailable(err)).toBe(false);
  });
});

describe("everything together", () => {
  test("lesson: deployWebTier builds the demo and tearDownWebTier leaves nothing behind", async (context) => {
    const tier = lesson.newWebTier(uniqueName("all"));
    const sshCidr = "192.0.2.33/32";
    let tornDown = false;
    try {
      await lesson.deployWebTier(aws, tier, { sshCidr });
      expect(tier.instanceIds, "two instances").toHaveLength(2);
      for (const [index, instanceId] of tier.instanceIds.entries()) {
        expect(await userDataOf(instanceId), `the user data of ${instanceId}`).toContain(lesson.webServerCode(index + 1));
        const groups = (await describeInstance(instanceId)).SecurityGroups?.map((g) => g.GroupId);
        expect(groups, `the security groups of ${instanceId}`).toEqual([tier.instanceGroupId]);
      }
      expect(await ingressRules(tier.loadBalancerGroupId!), "the load balancer's security group's ingress rules").toEqual(["tcp 80-80 from 0.0.0.0/0"]);
      expect(await ingressRules(tier.instanceGroupId!), "the instances' security group's ingress rules").toEqual([
        `tcp 22-22 from ${sshCidr}`,
        `tcp 80-80 from ${tier.loadBalancerGroupId}`,
      ]);
      const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [tier.elasticIp!.allocationId] }));
      expect(Addresses[0]?.InstanceId, "the Elastic IP points at").toBe(tier.instanceIds[0]);
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: tier.alarmNames }));
      expect(MetricAlarms.map((a) => a.Dimensions?.[0]?.Value).sort(), "CPU alarms for").toEqual([...tier.instanceIds].sort());
      // deployWebTier asks the emulator too, and skips the load balancer only where it has none.
      const skipped = tier.loadBalancingSkipped;
      if (skipped) {
        expect(lesson.isServiceUnavailable(Object.assign(new Error(skipped), { $metadata: {} })), `the reason given: ${skipped}`).toBe(true);
        await context.annotate(`load balancer skipped: ${skipped}`);
      } else {
        expect(tier.targetHealth?.map((t) => t.instanceId).sort(), "targets behind the load balancer").toEqual([...tier.instanceIds].sort());
        const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [tier.loadBalancer!.arn] }));
        expect(LoadBalancers[0]?.SecurityGroups, "the load balancer's security groups").toEqual([tier.loadBalancerGroupId]);
        const { Listeners = [] } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: tier.loadBalancer!.arn }));
        expect(Listeners.map((l) => l.Port), "the load balancer's listeners").toEqual([80]);
      }

      tornDown = true;
      const made = structuredClone(tier); // the cleanup takes out of `tier` what it deleted
      await lesson.tearDownWebTier(aws, tier);
      const states = await Promise.all(made.instanceIds.map(async (id) => (await describeInstance(id)).State?.Name));
      expect(states, "the instances after cleanup").toEqual(["terminated", "terminated"]);
      const gone = async (what: string, call: () => Promise<unknown[]>) => {
        // Asked for by id, a deleted resource is either missing from the answer or a *NotFound* error.
        const left = await call().catch((err: Error) => {
          if (/NotFound/i.test(err.name)) return [];
          throw err;
        });
        expect(left, `${what} should be gone, the emulator still has it`).toEqual([]);
      };
      await gone("the Elastic IP", async () => (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [made.elasticIp!.allocationId] }))).Addresses ?? []);
      await gone("the instances' security group", async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [made.instanceGroupId!] }))).SecurityGroups ?? []);
      await gone("the load balancer's security group", async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [made.loadBalancerGroupId!] }))).SecurityGroups ?? []);
      await gone("the key pair", async () => (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [made.keyName!] }))).KeyPairs ?? []);
      await gone("the alarms", async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: made.alarmNames }))).MetricAlarms ?? []);
      if (!skipped) {
        await gone("the load balancer", async () => (await elb.send(new DescribeLoadBalancersCommand({ Names: [made.name] }))).LoadBalancers ?? []);
        await gone("the target group", async () => (await elb.send(new DescribeTargetGroupsCommand({ Names: [made.name] }))).TargetGroups ?? []);
      }
    } finally {
      if (!tornDown) await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
  });
});

// ─── What the code sent, checked against what AWS documents ────────────────────────────────────
// moto's instances are running the moment they exist, its load balancers are active at once, and
// it deletes a security group that an instance still uses or another group still refers to. AWS
// does none of that, so these checks read the calls the lesson's code made (recordCalls) instead of
// the emulator's state. They accept every way AWS accepts: a waiter or a loop of your own, any
// order of calls that do not depend on each other, extra parameters.

type WebTier = ReturnType<typeof lesson.newWebTier>;
type Call = ReturnType<typeof recordCalls>["calls"][number];

/** Does this DescribeInstances or DescribeInstanceStatus call ask about `instanceId`? (No ids and no id filter asks about all.) */
function asksAboutInstance(call: Call, instanceId: string): boolean {
  if (call.service !== "EC2" || !["DescribeInstances", "DescribeInstanceStatus"].includes(call.operation) || !call.ok) return false;
  const ids = call.input.InstanceIds as string[] | undefined;
  if (ids?.length) return ids.includes(instanceId);
  const filters = (call.input.Filters as Array<{ Name?: string; Values?: string[] }> | undefined) ?? [];
  const idFilter = filters.find((f) => f.Name === "instance-id");
  return !idFilter || (idFilter.Values ?? []).includes(instanceId);
}

/** Did a DescribeLoadBalancers call ask about this load balancer? (Neither ARNs nor names asks about all.) */
function asksAboutLoadBalancer(call: Call, arn: string, name: string): boolean {
  if (call.service !== "ElasticLoadBalancingV2" || call.operation !== "DescribeLoadBalancers" || !call.ok) return false;
  const arns = call.input.LoadBalancerArns as string[] | undefined;
  const names = call.input.Names as string[] | undefined;
  if (arns?.length) return arns.includes(arn);
  if (names?.length) return names.includes(name);
  return true;
}

const describeCall = (call: Call) => `${call.service}.${call.operation}${call.where ? ` (${call.where})` : ""}`;

/** One demo, deployed and taken down with its calls recorded; the checks below read it. */
let recordedRun: Promise<{ calls: Call[]; made: WebTier }> | undefined;
function recordDemo(): Promise<{ calls: Call[]; made: WebTier }> {
  return (recordedRun ??= (async () => {
    const tier = lesson.newWebTier(uniqueName("rec"));
    const rec = recordCalls();
    let made: WebTier | undefined;
    try {
      await lesson.deployWebTier(aws, tier, { sshCidr: "192.0.2.44/32" });
      made = structuredClone(tier);
      await lesson.tearDownWebTier(aws, tier);
    } finally {
      rec.stop();
      if (!made) await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
    return { calls: rec.calls, made };
  })());
}

describe("what the code sent", () => {
  // RegisterTargets: "If the target is an EC2 instance, it must be in the running state when you
  // register it." A new instance is pending for a while; moto's is running at once.
  test("lesson: deployWebTier waits for each instance to be running before it registers it or points an address at it", async () => {
    const { calls, made } = await recordDemo();
    const lastLaunch = calls.filter((c) => c.service === "EC2" && c.operation === "RunInstances").at(-1);
    expect(lastLaunch, "deployWebTier sent no RunInstances").toBeDefined();
    const uses = calls.filter(
      (c) => (c.operation === "RegisterTargets" || c.operation === "AssociateAddress") && c.startedAt >= lastLaunch!.startedAt,
    );
    expect(uses.length, "deployWebTier sent neither RegisterTargets nor AssociateAddress").toBeGreaterThan(0);
    for (const use of uses) {
      const ids =
        use.operation === "RegisterTargets"
          ? ((use.input.Targets as Array<{ Id?: string }> | undefined) ?? []).map((t) => t.Id!)
          : [use.input.InstanceId as string].filter(Boolean);
      for (const id of ids.filter((id) => made.instanceIds.includes(id))) {
        const waited = calls.some((c) => asksAboutInstance(c, id) && c.startedAt >= lastLaunch!.endedAt && c.endedAt <= use.startedAt);
        expect(
          waited,
          `${describeCall(use)} used ${id} without asking EC2 about it after RunInstances: on AWS a new instance is "pending" for a while, and RegisterTargets and AssociateAddress want it "running". Wait for it (waitUntilInstanceRunning, or a DescribeInstances loop of your own) first.`,
        ).toBe(true);
      }
    }
  });

  // LoadBalancerState: "The initial state of the load balancer is provisioning. After the load
  // balancer is fully set up and ready to route traffic, its state is active."
  test("lesson: deployWebTier waits for the load balancer to be active", async (context) => {
    const { calls, made } = await recordDemo();
    if (made.loadBalancingSkipped) context.skip(`skipped: ${made.loadBalancingSkipped}`);
    const created = calls.find((c) => c.operation === "CreateLoadBalancer" && c.ok);
    expect(created, "deployWebTier created no load balancer").toBeDefined();
    const waited = calls.some((c) => asksAboutLoadBalancer(c, made.loadBalancer!.arn, made.name) && c.startedAt >= created!.endedAt);
    expect(
      waited,
      `after CreateLoadBalancer, deployWebTier never asked for the load balancer's state: on AWS it is "provisioning" for a few minutes and routes traffic only once "active". Wait for it (waitUntilLoadBalancerAvailable, or a DescribeLoadBalancers loop of your own).`,
    ).toBe(true);
  });

  // DeleteSecurityGroup: a group "associated with an instance or network interface" or
  // "referenced by another security group" cannot be deleted (DependencyViolation). moto deletes it.
  test("lesson: tearDownWebTier deletes each security group only after what uses it or refers to it is gone", async () => {
    const { calls, made } = await recordDemo();
    const deletes = (groupId: string) => calls.filter((c) => c.operation === "DeleteSecurityGroup" && c.input.GroupId === groupId);
    const deleted = (groupId: string, what: string) => {
      const done = deletes(groupId).find((c) => c.ok);
      expect(done, `tearDownWebTier never deleted ${what} ${groupId}`).toBeDefined();
      return done!;
    };
    // A refused attempt (DependencyViolation) before the one that worked shows a wait of its own.
    const refusedBefore = (groupId: string, done: Call) => deletes(groupId).some((c) => !c.ok && c.errorName === "DependencyViolation" && c.endedAt <= done.startedAt);

    const instanceGroupDeleted = deleted(made.instanceGroupId!, "the instances' security group");
    const terminate = calls.find((c) => c.operation === "TerminateInstances" && c.ok && made.instanceIds.every((id) => (c.input.InstanceIds as string[]).includes(id)));
    expect(terminate, `tearDownWebTier never terminated ${made.instanceIds.join(", ")}`).toBeDefined();
    const waitedForTermination = made.instanceIds.every((id) =>
      calls.some((c) => asksAboutInstance(c, id) && c.startedAt >= terminate!.endedAt && c.endedAt <= instanceGroupDeleted.startedAt),
    );
    expect(
      terminate!.endedAt <= instanceGroupDeleted.startedAt && (waitedForTermination || refusedBefore(made.instanceGroupId!, instanceGroupDeleted)),
      `the instances' security group was deleted before the instances were seen terminated: on AWS a group an instance still uses cannot be deleted (DependencyViolation). Wait for "terminated" (waitUntilInstanceTerminated, or a loop of your own) first.`,
    ).toBe(true);

    const loadBalancerGroupDeleted = deleted(made.loadBalancerGroupId!, "the load balancer's security group");
    const unreferenced = calls.some(
      (c) => c.ok && c.endedAt <= loadBalancerGroupDeleted.startedAt && ((c.operation === "DeleteSecurityGroup" && c.input.GroupId === made.instanceGroupId) || (c.operation === "RevokeSecurityGroupIngress" && c.input.GroupId === made.instanceGroupId)),
    );
    expect(
      unreferenced,
      `the load balancer's security group was deleted while the instances' group still referred to it: on AWS that is a DependencyViolation. Delete the instances' group first (or revoke its rule).`,
    ).toBe(true);
    if (made.loadBalancer) {
      const lbDeleted = calls.find((c) => c.operation === "DeleteLoadBalancer" && c.ok);
      expect(
        lbDeleted !== undefined && lbDeleted.endedAt <= loadBalancerGroupDeleted.startedAt,
        `the load balancer's security group was deleted before DeleteLoadBalancer: on AWS a group a load balancer uses cannot be deleted.`,
      ).toBe(true);
    }
  });
});

// ─── When it fails ───────────────────────────────────────────────────────────────────────────

/** What the emulator still holds of a tier: a line per leftover. */
async function leftoversOf(made: WebTier): Promise<string[]> {
  const left: string[] = [];
  const ask = async (what: string, call: () => Promise<unknown[]>) => {
    const found = await call().catch((err: Error) => {
      if (/NotFound/i.test(err.name)) return [];
      throw err;
    });
    if (found.length) left.push(what);
  };
  if (made.instanceIds.length) {
    const states = await Promise.all(made.instanceIds.map(async (id) => `${id} ${(await describeInstance(id)).State?.Name}`));
    left.push(...states.filter((s) => !s.endsWith(" terminated")).map((s) => `instance ${s}`));
  }
  if (made.elasticIp) await ask(`Elastic IP ${made.elasticIp.publicIp}`, async () => (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [made.elasticIp!.allocationId] }))).Addresses ?? []);
  for (const groupId of [made.instanceGroupId, made.loadBalancerGroupId].filter(Boolean) as string[]) {
    await ask(`security group ${groupId}`, async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups ?? []);
  }
  if (made.keyName) await ask(`key pair ${made.keyName}`, async () => (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [made.keyName!] }))).KeyPairs ?? []);
  if (made.alarmNames.length) await ask("the alarms", async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: made.alarmNames }))).MetricAlarms ?? []);
  if (made.loadBalancer) {
    await ask("the load balancer", async () => (await elb.send(new DescribeLoadBalancersCommand({ Names: [made.name] }))).LoadBalancers ?? []);
    await ask("the target group", async () => (await elb.send(new DescribeTargetGroupsCommand({ Names: [made.name] }))).TargetGroups ?? []);
  }
  return left;
}

describe("when it fails", () => {
  // Throttling and 5xx answers are retried by the SDK itself (3 attempts). RunInstances carries a
  // ClientToken that the SDK reuses on its retries, so a retried launch is still one instance.
  test("lesson: the demo gets through throttling, 5xx answers and slow answers, and makes exactly two instances", async () => {
    const tier = lesson.newWebTier(uniqueName("flt"));
    const faults = injectFaults([
      { service: "EC2", operation: "RunInstances", fault: "throttle", times: 1 },
      { service: "EC2", operation: "AuthorizeSecurityGroupIngress", fault: "server-error", times: 2 },
      { service: "EC2", operation: "DescribeInstances", fault: "server-error", times: 1, from: "lesson" },
      { service: "ElasticLoadBalancingV2", operation: "CreateTargetGroup", fault: "server-error", times: 1 },
      { service: "CloudWatch", operation: "PutMetricAlarm", fault: "server-error", times: 1 },
      { service: "EC2", operation: "TerminateInstances", fault: "server-error", times: 1 },
      { fault: "latency", ms: [1, 20], from: "lesson" },
    ]);
    let made: WebTier | undefined;
    try {
      await lesson.deployWebTier(aws, tier, {});
      made = structuredClone(tier);
      const launched = [...(await instancesNamed(`${tier.name}-1`)), ...(await instancesNamed(`${tier.name}-2`))];
      expect(launched.sort(), "the instances named after this tier (a launch retried without its ClientToken would make more)").toEqual([...tier.instanceIds].sort());
      await lesson.tearDownWebTier(aws, tier);
      faults.clear();
      expect(await leftoversOf(made), "what the emulator still holds after the cleanup").toEqual([]);
      const hit = new Set(faults.injected.filter((f) => f.fault !== "latency").map((f) => `${f.service}.${f.operation}`));
      const expected = ["EC2.RunInstances", "EC2.AuthorizeSecurityGroupIngress", "EC2.DescribeInstances", "CloudWatch.PutMetricAlarm", "EC2.TerminateInstances"];
      if (!made.loadBalancingSkipped) expected.push("ElasticLoadBalancingV2.CreateTargetGroup");
      expect([...hit].sort(), "the calls that met a fault (each was retried by the SDK)").toEqual(expected.sort());
    } finally {
      faults.clear();
      await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
  });

  // A call that keeps failing (all 3 of the SDK's attempts) must not stop the rest of the cleanup,
  // must be named, and must not make the cleanup delete what still depends on it.
  test("lesson: when terminating the instances fails for good, the cleanup deletes the rest, keeps their security groups, says so, and a second run finishes the job", async () => {
    const tier = lesson.newWebTier(uniqueName("flt"));
    try {
      await lesson.deployWebTier(aws, tier, {});
      const made = structuredClone(tier);
      const faults = injectFaults([{ service: "EC2", operation: "TerminateInstances", fault: "server-error", times: 3 }]);
      const failure = await lesson.tearDownWebTier(aws, tier).then(
        () => undefined,
        (err: Error) => err,
      );
      faults.clear();
      expect(failure?.message, "tearDownWebTier should throw, naming the instances it could not terminate").toMatch(new RegExp(made.instanceIds[0]));
      const left = await leftoversOf(made);
      expect(left.filter((l) => l.startsWith("instance ")).length, `the instances are still there (their termination failed); left: ${left.join(", ")}`).toBe(2);
      expect(
        left.filter((l) => l.startsWith("security group ")).sort(),
        "the security groups are kept while the instances that use them are there (on AWS deleting them would be a DependencyViolation)",
      ).toEqual([`security group ${made.instanceGroupId}`, `security group ${made.loadBalancerGroupId}`].sort());
      expect(left.filter((l) => !l.startsWith("instance ") && !l.startsWith("security group ")), "everything else is gone").toEqual([]);

      await lesson.tearDownWebTier(aws, tier);
      expect(await leftoversOf(made), "after the second cleanup, the emulator still holds").toEqual([]);
    } finally {
      await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
  });
});
