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
import { createClient, injectFaults, loadLesson, recordCalls, say, uniqueName, waitFor } from "../../workshop/testing";

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
  expect(instance, say(`DescribeInstances knows no instance ${instanceId}`, `DescribeInstances no conoce ninguna instancia ${instanceId}`)).toBeDefined();
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
  return waitFor(say(`a RequestsServed datapoint for ${instanceId} in CloudWatch`, `un punto de datos de RequestsServed para ${instanceId} en CloudWatch`), read, { timeoutMs: 8000 });
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

describe(say("the web server", "el servidor web"), () => {
  test(say("lesson: each local web server answers with its own instance number", "lesson: cada servidor web local responde con su propio número de instancia"), async () => {
    const servers = await Promise.all([lesson.startLocalWebServer(1), lesson.startLocalWebServer(2)]);
    try {
      expect(servers[0].url, say("the two servers listen on different ports", "los dos servidores escuchan en puertos distintos")).not.toBe(servers[1].url);
      for (const [index, server] of servers.entries()) {
        const response = await fetch(server.url, { signal: AbortSignal.timeout(5000) });
        expect(await response.text(), say(`${server.url} (server ${index + 1}) answered`, `${server.url} (servidor ${index + 1}) respondió`)).toBe(GREETING(index + 1));
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    expect(servers.map((server) => server.requestsServed), say("requests each server counted", "solicitudes que contó cada servidor")).toEqual([1, 1]);
  });

  test(say("step 1: userData(n) is base64 of a shell script that writes web server n's code and starts it", "step 1: userData(n) es el base64 de un script de shell que escribe el código del servidor web n y lo arranca"), () => {
    for (const n of [1, 2]) {
      const encoded = lesson.userData(n);
      expect(Buffer.from(encoded, "base64").toString("base64"), say(`userData(${n}) should be base64, it is: ${encoded.slice(0, 60)}…`, `userData(${n}) tendría que ser base64, y es: ${encoded.slice(0, 60)}…`)).toBe(encoded);
      const script = decode(encoded);
      expect(script.startsWith("#!"), say(`the script should start with #!/bin/bash; it starts: ${script.slice(0, 40)}`, `el script tendría que empezar con #!/bin/bash; empieza así: ${script.slice(0, 40)}`)).toBe(true);
      expect(script, say(`userData(${n}) should contain webServerCode(${n}) word for word`, `userData(${n}) tendría que contener webServerCode(${n}) palabra por palabra`)).toContain(lesson.webServerCode(n));
    }
    expect(lesson.userData(1), say("instance 1 and instance 2 get different user data", "la instancia 1 y la instancia 2 reciben datos de usuario distintos")).not.toBe(lesson.userData(2));
  });

  // Amazon Linux 2023 packages Node.js by major version (nodejs22, nodejs24) with versioned binaries
  // (node-22, node-24); plain "nodejs" is Node 18, and Node 20 reached its end of life in April 2026.
  test(say("step 1: the user data installs a supported Node.js (22 or 24) and starts the server with that version's binary", "step 1: los datos de usuario instalan un Node.js con soporte (22 o 24) y arrancan el servidor con el binario de esa versión"), () => {
    const outside = decode(lesson.userData(1)).replace(lesson.webServerCode(1), "");
    const installs = outside.split("\n").filter((line) => /\b(dnf|yum)\b[^#]*\binstall\b/.test(line));
    const packages = installs.flatMap((line) => line.match(/\bnodejs\d*(?![\w-])/g) ?? []);
    expect(packages, say(`the script should install nodejs22 or nodejs24 with dnf; its install lines are:\n${installs.join("\n") || "(none)"}`, `el script tendría que instalar nodejs22 o nodejs24 con dnf; sus líneas de instalación son:\n${installs.join("\n") || "(ninguna)"}`)).not.toEqual([]);
    for (const name of packages) {
      expect(["nodejs22", "nodejs24"], say(`"${name}" is not a supported Node.js on Amazon Linux 2023 (plain nodejs is Node 18; nodejs20 is past its end of life)`, `"${name}" no es un Node.js con soporte en Amazon Linux 2023 (nodejs a secas es Node 18; nodejs20 ya llegó al fin de su vida útil)`)).toContain(name);
    }
    const version = packages[0].replace("nodejs", "");
    expect(outside, say(
        `the script should start the server with /usr/bin/node-${version} (a bare "node" points at whichever version is active); outside the server code it is:\n${outside}`,
        `el script tendría que arrancar el servidor con /usr/bin/node-${version} (un "node" pelado apunta a la versión que esté activa); fuera del código del servidor, el script es:\n${outside}`,
      )).toMatch(
      new RegExp(`^[^#\\n]*\\bnode-${version}\\s+\\S+`, "m"),
    );
  });
});

describe(say("the firewalls", "los firewalls"), () => {
  test(say("step 2: createLoadBalancerSecurityGroup lets in HTTP from anywhere, nothing else", "step 2: createLoadBalancerSecurityGroup deja entrar HTTP desde cualquier lado, y nada más"), async () => {
    const name = uniqueName("sg");
    let groupId: string | undefined;
    try {
      groupId = await lesson.createLoadBalancerSecurityGroup(ec2, { name, vpcId: fixture.network!.vpcId });
      expect(await vpcOfGroup(groupId), say(`the VPC of the group ${groupId}`, `la VPC del grupo ${groupId}`)).toBe(fixture.network!.vpcId);
      const rules = await ingressRules(groupId);
      expect(rules, say(`the group's ingress rules are: ${rules.join("; ") || "none"}`, `las reglas de entrada del grupo son: ${rules.join("; ") || "ninguna"}`)).toEqual(["tcp 80-80 from 0.0.0.0/0"]);
    } finally {
      if (groupId) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
      await bestEffort(() => deleteGroupsNamed(name));
    }
  });

  // AWS's ELB guide: restrict the targets' security group to traffic from the load balancer's
  // group. Default subnets give instances public addresses: with 80 open to the world, anyone
  // could go around the load balancer.
  test(say("step 3: createInstanceSecurityGroup lets in HTTP only from the load balancer's group, and SSH only when asked", "step 3: createInstanceSecurityGroup deja entrar HTTP solo desde el grupo del balanceador de carga, y SSH solo cuando se pide"), async () => {
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
      expect(await vpcOfGroup(withSsh), say(`the VPC of the group ${withSsh}`, `la VPC del grupo ${withSsh}`)).toBe(fixture.network!.vpcId);
      const rules = await ingressRules(withSsh);
      expect(rules, say(`with sshCidr ${sshCidr}, the group's ingress rules are: ${rules.join("; ") || "none"}`, `con sshCidr ${sshCidr}, las reglas de entrada del grupo son: ${rules.join("; ") || "ninguna"}`)).toEqual([
        `tcp 22-22 from ${sshCidr}`,
        `tcp 80-80 from ${loadBalancerGroupId}`,
      ]);
      const withoutSsh = await lesson.createInstanceSecurityGroup(ec2, { name: `${name}-b`, vpcId: fixture.network!.vpcId, loadBalancerGroupId: loadBalancerGroupId! });
      made.unshift(withoutSsh);
      const closed = await ingressRules(withoutSsh);
      expect(closed, say(
          `without sshCidr, port 22 stays closed; the group's ingress rules are: ${closed.join("; ") || "none"}`,
          `sin sshCidr, el puerto 22 queda cerrado; las reglas de entrada del grupo son: ${closed.join("; ") || "ninguna"}`,
        )).toEqual([
        `tcp 80-80 from ${loadBalancerGroupId}`,
      ]);
    } finally {
      for (const groupId of made) await bestEffort(() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
      await bestEffort(() => deleteGroupsNamed(name));
    }
  });
});

describe(say("the instances", "las instancias"), () => {
  test(say("step 4: launchWebServer starts an instance whose user data is web server n", "step 4: launchWebServer lanza una instancia cuyos datos de usuario son el servidor web n"), async () => {
    const name = uniqueName("vm");
    const subnetId = fixture.network!.subnetIds[1];
    await lesson.createKeyPair(ec2, name);
    let instanceId: string | undefined;
    try {
      instanceId = await lesson.launchWebServer(ec2, { instance: 2, name, imageId: fixture.imageId, subnetId, groupId: fixture.groupId, keyName: name });
      const instance = await describeInstance(instanceId);
      expect(instance.ImageId, say("image", "imagen")).toBe(fixture.imageId);
      expect(instance.SubnetId, say("subnet", "subred")).toBe(subnetId);
      expect(instance.KeyName, say("key pair", "par de claves")).toBe(name);
      expect(instance.SecurityGroups?.map((g) => g.GroupId), say("security groups", "grupos de seguridad")).toEqual([fixture.groupId]);
      expect(instance.Tags?.find((t) => t.Key === "Name")?.Value, say("the Name tag (use tagsFor)", "la etiqueta Name (usá tagsFor)")).toBe(name);
      const script = await userDataOf(instanceId);
      expect(script, say(`the instance's user data should contain webServerCode(2); it is:\n${script.slice(0, 300)}`, `los datos de usuario de la instancia tendrían que contener webServerCode(2); son:\n${script.slice(0, 300)}`)).toContain(lesson.webServerCode(2));
    } finally {
      await bestEffort(async () => terminate(instanceId ? [instanceId] : await instancesNamed(name)));
      await bestEffort(() => ec2.send(new DeleteKeyPairCommand({ KeyName: name })));
    }
  });

  test(say("step 4: launchWebServer without a key pair launches an instance nobody can SSH into with a key", "step 4: launchWebServer sin par de claves lanza una instancia a la que nadie puede entrar por SSH con una clave"), async () => {
    const name = uniqueName("vm");
    let instanceId: string | undefined;
    try {
      instanceId = await lesson.launchWebServer(ec2, { instance: 1, name, imageId: fixture.imageId, subnetId: fixture.network!.subnetIds[0], groupId: fixture.groupId });
      const instance = await describeInstance(instanceId);
      expect(instance.KeyName, say("the instance's key pair", "el par de claves de la instancia")).toBeUndefined();
    } finally {
      await bestEffort(async () => terminate(instanceId ? [instanceId] : await instancesNamed(name)));
    }
  });
});

describe(say("the load balancer", "el balanceador de carga"), () => {
  // LocalStack's account-free edition has no Elastic Load Balancing: these tests are skipped there,
  // with the emulator's own words as the reason. Any other error from the probe fails each test.
  let probe: ReturnType<typeof lesson.probeLoadBalancing> | undefined;
  async function skipWithoutLoadBalancing(context: TestContext): Promise<void> {
    const loadBalancing = await (probe ??= lesson.probeLoadBalancing(elb));
    if (!loadBalancing.available) context.skip(say(`skipped: ${loadBalancing.reason}`, `salteado: ${loadBalancing.reason}`));
  }

  async function makeTargetGroup(name: string): Promise<string> {
    const { TargetGroups = [] } = await elb.send(
      new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, VpcId: fixture.network!.vpcId, TargetType: "instance" }),
    );
    return TargetGroups[0].TargetGroupArn!;
  }

  test(say("step 5: createLoadBalancer makes an internet-facing application load balancer in two zones", "step 5: createLoadBalancer crea un Application Load Balancer expuesto a internet en dos zonas"), async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("lb");
    try {
      const created = await lesson.createLoadBalancer(elb, { name, subnetIds: fixture.network!.subnetIds, groupId: fixture.groupId });
      const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [created.arn] }));
      const lb = LoadBalancers[0];
      expect(lb?.LoadBalancerName, say(`the load balancer ${created.arn}`, `el balanceador de carga ${created.arn}`)).toBe(name);
      expect(lb.Type, say("type", "tipo")).toBe("application");
      expect(lb.Scheme, say("scheme", "esquema")).toBe("internet-facing");
      expect(lb.DNSName, say("the DNS name returned", "el nombre DNS devuelto")).toBe(created.dnsName);
      const subnets = (lb.AvailabilityZones ?? []).map((zone) => zone.SubnetId).sort();
      expect(subnets, say("its subnets, one per zone", "sus subredes, una por zona")).toEqual([...fixture.network!.subnetIds].sort());
      expect(lb.SecurityGroups, say("its security groups", "sus grupos de seguridad")).toEqual([fixture.groupId]);
    } finally {
      await bestEffort(() => deleteLoadBalancerNamed(name));
    }
  });

  test(say("step 6: createTargetGroup makes an HTTP:80 group of instances in the VPC", "step 6: createTargetGroup crea un grupo de destino HTTP:80 de instancias en la VPC"), async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("tg");
    try {
      const arn = await lesson.createTargetGroup(elb, { name, vpcId: fixture.network!.vpcId });
      const { TargetGroups = [] } = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
      const group = TargetGroups[0];
      expect(group?.TargetGroupName, say(`the target group ${arn}`, `el grupo de destino ${arn}`)).toBe(name);
      expect([group.Protocol, group.Port, group.TargetType, group.VpcId], say("protocol, port, target type, VPC", "protocolo, puerto, tipo de destino, VPC")).toEqual([
        "HTTP",
        80,
        "instance",
        fixture.network!.vpcId,
      ]);
      expect(group.HealthCheckPath, say("the health check's path", "la ruta de la comprobación de estado")).toBe("/");
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  test(say("step 7: createListener forwards port 80 to the target group", "step 7: createListener reenvía el puerto 80 al grupo de destino"), async (context) => {
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
      expect(listener, say(
          `the load balancer's listeners: ${Listeners.map((l) => `${l.Protocol}:${l.Port}`).join(", ") || "none"}`,
          `los agentes de escucha del balanceador de carga: ${Listeners.map((l) => `${l.Protocol}:${l.Port}`).join(", ") || "ninguno"}`,
        )).toBeDefined();
      expect([listener!.Protocol, listener!.Port], say("protocol and port", "protocolo y puerto")).toEqual(["HTTP", 80]);
      expect(
        listener!.DefaultActions?.map((a) => [a.Type, a.TargetGroupArn]),
        say("the listener's default action", "la acción predeterminada del agente de escucha"),
      ).toEqual([["forward", targetGroupArn]]);
    } finally {
      await bestEffort(() => deleteLoadBalancerNamed(name));
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  test(say("step 8: registerTargets puts both instances in the target group", "step 8: registerTargets pone las dos instancias en el grupo de destino"), async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("rt");
    try {
      const arn = await makeTargetGroup(name);
      await lesson.registerTargets(elb, arn, fixture.instanceIds);
      const { TargetHealthDescriptions = [] } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
      const targets = TargetHealthDescriptions.map((d) => d.Target?.Id).sort();
      expect(targets, say("the target group holds", "el grupo de destino tiene")).toEqual([...fixture.instanceIds].sort());
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });

  // moto registers targets without sending them traffic and calls them healthy at once; AWS starts
  // at "initial". So the test checks which instances are reported, and that each has a state.
  test(say("step 9: describeTargetHealth reports a state for each instance", "step 9: describeTargetHealth informa un estado para cada instancia"), async (context) => {
    await skipWithoutLoadBalancing(context);
    const name = uniqueName("th");
    try {
      const arn = await makeTargetGroup(name);
      await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: fixture.instanceIds.map((Id) => ({ Id })) }));
      const health = await lesson.describeTargetHealth(elb, arn);
      expect(health.map((t) => t.instanceId).sort(), say("instances reported", "instancias informadas")).toEqual([...fixture.instanceIds].sort());
      for (const target of health) expect(target.state, say(`the state of ${target.instanceId}`, `el estado de ${target.instanceId}`)).toMatch(/^[a-z]+$/);
    } finally {
      await bestEffort(() => deleteTargetGroupNamed(name));
    }
  });
});

describe(say("the Elastic IP", "la IP elástica"), () => {
  test(say("step 10: attachElasticIp allocates an address and associates it with the instance", "step 10: attachElasticIp asigna una dirección y la asocia con la instancia"), async () => {
    const name = uniqueName("eip");
    const instanceId = fixture.instanceIds[0];
    let address: Awaited<ReturnType<typeof lesson.attachElasticIp>> | undefined;
    try {
      address = await lesson.attachElasticIp(ec2, instanceId, name);
      const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [address.allocationId] }));
      const held = Addresses[0];
      expect(held, say(`no address with allocation id ${address.allocationId}`, `no hay ninguna dirección con el ID de asignación ${address.allocationId}`)).toBeDefined();
      expect(held.Domain, say("an Elastic IP for a VPC", "una IP elástica para una VPC")).toBe("vpc");
      expect(held.PublicIp, say("the address returned", "la dirección devuelta")).toBe(address.publicIp);
      expect(held.InstanceId, say(`the address is associated with: ${held.InstanceId ?? "nothing"}`, `la dirección está asociada con: ${held.InstanceId ?? "nada"}`)).toBe(instanceId);
      expect(held.AssociationId, say("the association id returned", "el ID de asociación devuelto")).toBe(address.associationId);
    } finally {
      if (address) {
        await bestEffort(() => ec2.send(new DisassociateAddressCommand({ AssociationId: address!.associationId })));
        await bestEffort(() => ec2.send(new ReleaseAddressCommand({ AllocationId: address!.allocationId })));
      }
      await bestEffort(() => releaseAddressesNamed(name));
    }
  });
});

describe(say("monitoring", "monitoreo"), () => {
  test(say("step 11: putCpuAlarm watches the instance's five-minute average CPUUtilization, with no action unless given one", "step 11: putCpuAlarm vigila el promedio de cinco minutos de CPUUtilization de la instancia, sin ninguna acción salvo que se le pase una"), async () => {
    const alarmName = uniqueName("cpu");
    const instanceId = fixture.instanceIds[0];
    try {
      await lesson.putCpuAlarm(cloudwatch, { alarmName, instanceId, threshold: 70 });
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
      const alarm = MetricAlarms[0];
      expect(alarm, say(`no alarm named ${alarmName}`, `no hay ninguna alarma llamada ${alarmName}`)).toBeDefined();
      expect([alarm.Namespace, alarm.MetricName], say("the metric watched", "la métrica vigilada")).toEqual(["AWS/EC2", "CPUUtilization"]);
      expect(alarm.Dimensions, say("its dimensions", "sus dimensiones")).toEqual([{ Name: "InstanceId", Value: instanceId }]);
      expect([alarm.Statistic, alarm.Period, alarm.EvaluationPeriods], say("statistic, period (s), evaluation periods", "estadística, período (s), períodos de evaluación")).toEqual(["Average", 300, 1]);
      expect([alarm.ComparisonOperator, alarm.Threshold], say("goes off when", "se dispara cuando")).toEqual(["GreaterThanThreshold", 70]);
      expect(alarm.AlarmActions ?? [], say("its actions when none are given", "sus acciones cuando no se le pasa ninguna")).toEqual([]);
    } finally {
      await bestEffort(() => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] })));
    }
  });

  // An alarm does something only through its actions: an SNS topic (lesson 05) is the usual one.
  test(say("step 11: putCpuAlarm notifies the SNS topic it is given", "step 11: putCpuAlarm notifica al tópico de SNS que se le pasa"), async () => {
    const alarmName = uniqueName("cpu");
    let topicArn: string | undefined;
    try {
      ({ TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("alarm") })));
      await lesson.putCpuAlarm(cloudwatch, { alarmName, instanceId: fixture.instanceIds[1], alarmActions: [topicArn!] });
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
      expect(MetricAlarms[0], say(`no alarm named ${alarmName}`, `no hay ninguna alarma llamada ${alarmName}`)).toBeDefined();
      expect(MetricAlarms[0].AlarmActions, say("the alarm's actions", "las acciones de la alarma")).toEqual([topicArn]);
      expect(MetricAlarms[0].Threshold, say("the threshold when none is given", "el umbral cuando no se le pasa ninguno")).toBe(80);
    } finally {
      await bestEffort(() => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] })));
      if (topicArn) await bestEffort(() => sns.send(new DeleteTopicCommand({ TopicArn: topicArn })));
    }
  });

  // Custom metrics cannot be deleted (CloudWatch lets them expire), so each test uses new
  // dimension values: two runs at once never read each other's datapoints.
  test(say("step 12: putRequestsServed publishes one datapoint per instance", "step 12: putRequestsServed publica un punto de datos por instancia"), async () => {
    const counts = [
      { instanceId: uniqueName("i"), requests: 3 },
      { instanceId: uniqueName("i"), requests: 5 },
    ];
    await lesson.putRequestsServed(cloudwatch, counts);
    for (const count of counts) {
      expect(await sumOfMetric(count.instanceId), say(`GetMetricStatistics Sum for ${count.instanceId}`, `la Sum de GetMetricStatistics para ${count.instanceId}`)).toBe(count.requests);
    }
  });

  const putSeven = (instanceId: string) =>
    cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: lesson.REQUESTS_METRIC.namespace,
        MetricData: [{ MetricName: lesson.REQUESTS_METRIC.metricName, Dimensions: [{ Name: "InstanceId", Value: instanceId }], Value: 7, Unit: "Count" }],
      }),
    );

  test(say("step 13: getRequestsServed reads the metric back with GetMetricStatistics", "step 13: getRequestsServed lee la métrica de vuelta con GetMetricStatistics"), async () => {
    const instanceId = uniqueName("i");
    await putSeven(instanceId);
    expect(await lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 8000 }), say(`requests served by ${instanceId}`, `solicitudes atendidas por ${instanceId}`)).toBe(7);
  });

  // On AWS a datapoint just written can take a while to show in GetMetricStatistics. Here the
  // datapoint is written a second and a half after the read starts: only a read that asks again
  // while the answer is empty sees it.
  test(say("step 13: getRequestsServed reads again while CloudWatch has no datapoint yet", "step 13: getRequestsServed vuelve a leer mientras CloudWatch todavía no tiene ningún punto de datos"), async () => {
    const instanceId = uniqueName("i");
    const reading = lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 6000 });
    reading.catch(() => {}); // an error is reported by the await below, not as an unhandled rejection
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await putSeven(instanceId);
    const served = await settlesWithin(say("getRequestsServed to return (it was given waitMs: 6000)", "la respuesta de getRequestsServed (se le pasó waitMs: 6000)"), reading);
    expect(served, say(
        `requests served by ${instanceId}, written 1.5 s after the read began (the read should ask again while the answer is empty)`,
        `solicitudes atendidas por ${instanceId}, escritas 1,5 s después de que empezó la lectura (la lectura tendría que volver a preguntar mientras la respuesta venga vacía)`,
      )).toBe(7);
  });

  test(say("step 13: getRequestsServed gives up after waitMs and reports 0 when no datapoint ever comes", "step 13: getRequestsServed se rinde pasado waitMs e informa 0 cuando nunca llega ningún punto de datos"), async () => {
    const instanceId = uniqueName("i");
    const reading = lesson.getRequestsServed(cloudwatch, instanceId, { waitMs: 1500 });
    const served = await settlesWithin(say("getRequestsServed to give up (it was given waitMs: 1500)", "la respuesta de getRequestsServed al rendirse (se le pasó waitMs: 1500)"), reading);
    expect(served, say(`requests served by ${instanceId}, which never served any`, `solicitudes atendidas por ${instanceId}, que nunca atendió ninguna`)).toBe(0);
  });

  test(say("step 13: the requests the local servers counted go to CloudWatch and come back", "step 13: las solicitudes que contaron los servidores locales van a CloudWatch y vuelven"), async () => {
    const servers = await Promise.all([lesson.startLocalWebServer(1), lesson.startLocalWebServer(2)]);
    try {
      for (const server of [servers[0], servers[0], servers[0], servers[1]]) {
        await (await fetch(server.url, { signal: AbortSignal.timeout(5000) })).text();
      }
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
    const counts = servers.map((server) => ({ instanceId: uniqueName("i"), requests: server.requestsServed }));
    expect(counts.map((c) => c.requests), say("requests each server counted", "solicitudes que contó cada servidor")).toEqual([3, 1]);
    await lesson.putRequestsServed(cloudwatch, counts);
    const readBack = await Promise.all(counts.map((c) => lesson.getRequestsServed(cloudwatch, c.instanceId, { waitMs: 8000 })));
    expect(readBack, say("requests read back from CloudWatch", "solicitudes leídas de vuelta desde CloudWatch")).toEqual([3, 1]);
  });
});

describe(say("telling 'this emulator has no such service' from a real error", "distinguir 'este emulador no tiene ese servicio' de un error real"), () => {
  const error = (name: string, message: string, httpStatusCode?: number) =>
    Object.assign(new Error(message), { name, ...(httpStatusCode ? { $metadata: { httpStatusCode } } : {}) });

  test.each([
    [say("LocalStack's answer", "la respuesta de LocalStack"), error("InternalFailure", "The API for service 'elbv2' is either not included in your current license plan or has not yet been emulated by LocalStack. Please refer to https://docs.localstack.cloud/references/coverage for more details.", 501)],
    [say("an older LocalStack's answer", "la respuesta de un LocalStack más viejo"), error("InternalFailure", "API for service 'elbv2' not yet implemented or pro feature - please check https://docs.localstack.cloud/references/coverage/ for further information", 501)],
    [say("any 501", "cualquier 501"), error("NotImplemented", "Not Implemented", 501)],
    [say("'not implemented' without a status", "'not implemented' sin código de estado"), error("Error", "The CreateLoadBalancer action has not been implemented")],
  ])(say("lesson: %s means unavailable", "lesson: %s significa que el servicio no está disponible"), (_what, err) => {
    expect(lesson.isServiceUnavailable(err)).toBe(true);
  });

  test.each([
    [say("a validation error", "un error de validación"), error("ValidationError", "1 validation error detected: Value at 'name' failed", 400)],
    [say("a missing load balancer", "un balanceador de carga que no existe"), error("LoadBalancerNotFoundException", "One or more load balancers not found", 400)],
    [say("an internal error", "un error interno"), error("InternalFailure", "We encountered an internal error. Please try again.", 500)],
    [say("a throttled service", "un servicio limitado (throttling)"), error("ServiceUnavailable", "Service is unavailable, try again later", 503)],
    [say("a network failure", "una falla de red"), new TypeError("fetch failed")],
    [say("something that is not an error", "algo que no es un error"), "not implemented"],
    [say("nothing", "nada"), undefined],
  ])(say("lesson: %s does not", "lesson: %s no significa que el servicio no esté disponible"), (_what, err) => {
    expect(lesson.isServiceUnavailable(err)).toBe(false);
  });
});

describe(say("everything together", "todo junto"), () => {
  test(say("lesson: deployWebTier builds the demo and tearDownWebTier leaves nothing behind", "lesson: deployWebTier arma la demo y tearDownWebTier no deja nada atrás"), async (context) => {
    const tier = lesson.newWebTier(uniqueName("all"));
    const sshCidr = "192.0.2.33/32";
    let tornDown = false;
    try {
      await lesson.deployWebTier(aws, tier, { sshCidr });
      expect(tier.instanceIds, say("two instances", "dos instancias")).toHaveLength(2);
      for (const [index, instanceId] of tier.instanceIds.entries()) {
        expect(await userDataOf(instanceId), say(`the user data of ${instanceId}`, `los datos de usuario de ${instanceId}`)).toContain(lesson.webServerCode(index + 1));
        const groups = (await describeInstance(instanceId)).SecurityGroups?.map((g) => g.GroupId);
        expect(groups, say(`the security groups of ${instanceId}`, `los grupos de seguridad de ${instanceId}`)).toEqual([tier.instanceGroupId]);
      }
      expect(await ingressRules(tier.loadBalancerGroupId!), say("the load balancer's security group's ingress rules", "las reglas de entrada del grupo de seguridad del balanceador de carga")).toEqual(["tcp 80-80 from 0.0.0.0/0"]);
      expect(await ingressRules(tier.instanceGroupId!), say("the instances' security group's ingress rules", "las reglas de entrada del grupo de seguridad de las instancias")).toEqual([
        `tcp 22-22 from ${sshCidr}`,
        `tcp 80-80 from ${tier.loadBalancerGroupId}`,
      ]);
      const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [tier.elasticIp!.allocationId] }));
      expect(Addresses[0]?.InstanceId, say("the Elastic IP points at", "la IP elástica apunta a")).toBe(tier.instanceIds[0]);
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: tier.alarmNames }));
      expect(MetricAlarms.map((a) => a.Dimensions?.[0]?.Value).sort(), say("CPU alarms for", "alarmas de CPU para")).toEqual([...tier.instanceIds].sort());
      // deployWebTier asks the emulator too, and skips the load balancer only where it has none.
      const skipped = tier.loadBalancingSkipped;
      if (skipped) {
        expect(lesson.isServiceUnavailable(Object.assign(new Error(skipped), { $metadata: {} })), say(`the reason given: ${skipped}`, `el motivo que se dio: ${skipped}`)).toBe(true);
        await context.annotate(say(`load balancer skipped: ${skipped}`, `balanceador de carga salteado: ${skipped}`));
      } else {
        expect(tier.targetHealth?.map((t) => t.instanceId).sort(), say("targets behind the load balancer", "destinos detrás del balanceador de carga")).toEqual([...tier.instanceIds].sort());
        const { LoadBalancers = [] } = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [tier.loadBalancer!.arn] }));
        expect(LoadBalancers[0]?.SecurityGroups, say("the load balancer's security groups", "los grupos de seguridad del balanceador de carga")).toEqual([tier.loadBalancerGroupId]);
        const { Listeners = [] } = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: tier.loadBalancer!.arn }));
        expect(Listeners.map((l) => l.Port), say("the load balancer's listeners", "los agentes de escucha del balanceador de carga")).toEqual([80]);
      }

      tornDown = true;
      const made = structuredClone(tier); // the cleanup takes out of `tier` what it deleted
      await lesson.tearDownWebTier(aws, tier);
      const states = await Promise.all(made.instanceIds.map(async (id) => (await describeInstance(id)).State?.Name));
      expect(states, say("the instances after cleanup", "las instancias después de la limpieza")).toEqual(["terminated", "terminated"]);
      const gone = async (what: string, call: () => Promise<unknown[]>) => {
        // Asked for by id, a deleted resource is either missing from the answer or a *NotFound* error.
        const left = await call().catch((err: Error) => {
          if (/NotFound/i.test(err.name)) return [];
          throw err;
        });
        expect(left, say(`${what} should be gone, the emulator still has it`, `después de la limpieza, el emulador todavía tiene ${what}`)).toEqual([]);
      };
      await gone(say("the Elastic IP", "la IP elástica"), async () => (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [made.elasticIp!.allocationId] }))).Addresses ?? []);
      await gone(say("the instances' security group", "el grupo de seguridad de las instancias"), async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [made.instanceGroupId!] }))).SecurityGroups ?? []);
      await gone(say("the load balancer's security group", "el grupo de seguridad del balanceador de carga"), async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [made.loadBalancerGroupId!] }))).SecurityGroups ?? []);
      await gone(say("the key pair", "el par de claves"), async () => (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [made.keyName!] }))).KeyPairs ?? []);
      await gone(say("the alarms", "las alarmas"), async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: made.alarmNames }))).MetricAlarms ?? []);
      if (!skipped) {
        await gone(say("the load balancer", "el balanceador de carga"), async () => (await elb.send(new DescribeLoadBalancersCommand({ Names: [made.name] }))).LoadBalancers ?? []);
        await gone(say("the target group", "el grupo de destino"), async () => (await elb.send(new DescribeTargetGroupsCommand({ Names: [made.name] }))).TargetGroups ?? []);
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

describe(say("what the code sent", "lo que mandó el código"), () => {
  // RegisterTargets: "If the target is an EC2 instance, it must be in the running state when you
  // register it." A new instance is pending for a while; moto's is running at once.
  test(say("lesson: deployWebTier waits for each instance to be running before it registers it or points an address at it", "lesson: deployWebTier espera a que cada instancia esté en running antes de registrarla o de apuntarle una dirección"), async () => {
    const { calls, made } = await recordDemo();
    const lastLaunch = calls.filter((c) => c.service === "EC2" && c.operation === "RunInstances").at(-1);
    expect(lastLaunch, say("deployWebTier sent no RunInstances", "deployWebTier no mandó ningún RunInstances")).toBeDefined();
    const uses = calls.filter(
      (c) => (c.operation === "RegisterTargets" || c.operation === "AssociateAddress") && c.startedAt >= lastLaunch!.startedAt,
    );
    expect(uses.length, say("deployWebTier sent neither RegisterTargets nor AssociateAddress", "deployWebTier no mandó ni RegisterTargets ni AssociateAddress")).toBeGreaterThan(0);
    for (const use of uses) {
      const ids =
        use.operation === "RegisterTargets"
          ? ((use.input.Targets as Array<{ Id?: string }> | undefined) ?? []).map((t) => t.Id!)
          : [use.input.InstanceId as string].filter(Boolean);
      for (const id of ids.filter((id) => made.instanceIds.includes(id))) {
        const waited = calls.some((c) => asksAboutInstance(c, id) && c.startedAt >= lastLaunch!.endedAt && c.endedAt <= use.startedAt);
        expect(
          waited,
          say(
            `${describeCall(use)} used ${id} without asking EC2 about it after RunInstances: on AWS a new instance is "pending" for a while, and RegisterTargets and AssociateAddress want it "running". Wait for it (waitUntilInstanceRunning, or a DescribeInstances loop of your own) first.`,
            `${describeCall(use)} usó ${id} sin preguntarle a EC2 por ella después de RunInstances: en AWS una instancia nueva está en "pending" un rato, y RegisterTargets y AssociateAddress la quieren en "running". Esperala antes (waitUntilInstanceRunning, o un bucle de DescribeInstances propio).`,
          ),
        ).toBe(true);
      }
    }
  });

  // LoadBalancerState: "The initial state of the load balancer is provisioning. After the load
  // balancer is fully set up and ready to route traffic, its state is active."
  test(say("lesson: deployWebTier waits for the load balancer to be active", "lesson: deployWebTier espera a que el balanceador de carga esté active"), async (context) => {
    const { calls, made } = await recordDemo();
    if (made.loadBalancingSkipped) context.skip(say(`skipped: ${made.loadBalancingSkipped}`, `salteado: ${made.loadBalancingSkipped}`));
    const created = calls.find((c) => c.operation === "CreateLoadBalancer" && c.ok);
    expect(created, say("deployWebTier created no load balancer", "deployWebTier no creó ningún balanceador de carga")).toBeDefined();
    const waited = calls.some((c) => asksAboutLoadBalancer(c, made.loadBalancer!.arn, made.name) && c.startedAt >= created!.endedAt);
    expect(
      waited,
      say(
        `after CreateLoadBalancer, deployWebTier never asked for the load balancer's state: on AWS it is "provisioning" for a few minutes and routes traffic only once "active". Wait for it (waitUntilLoadBalancerAvailable, or a DescribeLoadBalancers loop of your own).`,
        `después de CreateLoadBalancer, deployWebTier nunca preguntó el estado del balanceador de carga: en AWS está en "provisioning" unos minutos y enruta tráfico recién cuando está "active". Esperalo (waitUntilLoadBalancerAvailable, o un bucle de DescribeLoadBalancers propio).`,
      ),
    ).toBe(true);
  });

  // DeleteSecurityGroup: a group "associated with an instance or network interface" or
  // "referenced by another security group" cannot be deleted (DependencyViolation). moto deletes it.
  test(say("lesson: tearDownWebTier deletes each security group only after what uses it or refers to it is gone", "lesson: tearDownWebTier borra cada grupo de seguridad recién cuando ya no está lo que lo usa o lo referencia"), async () => {
    const { calls, made } = await recordDemo();
    const deletes = (groupId: string) => calls.filter((c) => c.operation === "DeleteSecurityGroup" && c.input.GroupId === groupId);
    const deleted = (groupId: string, what: string) => {
      const done = deletes(groupId).find((c) => c.ok);
      expect(done, say(`tearDownWebTier never deleted ${what} ${groupId}`, `tearDownWebTier nunca borró ${what} ${groupId}`)).toBeDefined();
      return done!;
    };
    // A refused attempt (DependencyViolation) before the one that worked shows a wait of its own.
    const refusedBefore = (groupId: string, done: Call) => deletes(groupId).some((c) => !c.ok && c.errorName === "DependencyViolation" && c.endedAt <= done.startedAt);

    const instanceGroupDeleted = deleted(made.instanceGroupId!, say("the instances' security group", "el grupo de seguridad de las instancias"));
    const terminate = calls.find((c) => c.operation === "TerminateInstances" && c.ok && made.instanceIds.every((id) => (c.input.InstanceIds as string[]).includes(id)));
    expect(terminate, say(`tearDownWebTier never terminated ${made.instanceIds.join(", ")}`, `tearDownWebTier nunca terminó (TerminateInstances) ${made.instanceIds.join(", ")}`)).toBeDefined();
    const waitedForTermination = made.instanceIds.every((id) =>
      calls.some((c) => asksAboutInstance(c, id) && c.startedAt >= terminate!.endedAt && c.endedAt <= instanceGroupDeleted.startedAt),
    );
    expect(
      terminate!.endedAt <= instanceGroupDeleted.startedAt && (waitedForTermination || refusedBefore(made.instanceGroupId!, instanceGroupDeleted)),
      say(
        `the instances' security group was deleted before the instances were seen terminated: on AWS a group an instance still uses cannot be deleted (DependencyViolation). Wait for "terminated" (waitUntilInstanceTerminated, or a loop of your own) first.`,
        `el grupo de seguridad de las instancias se borró antes de ver las instancias en terminated: en AWS no se puede borrar un grupo que una instancia todavía usa (DependencyViolation). Esperá antes a "terminated" (waitUntilInstanceTerminated, o un bucle propio).`,
      ),
    ).toBe(true);

    const loadBalancerGroupDeleted = deleted(made.loadBalancerGroupId!, say("the load balancer's security group", "el grupo de seguridad del balanceador de carga"));
    const unreferenced = calls.some(
      (c) => c.ok && c.endedAt <= loadBalancerGroupDeleted.startedAt && ((c.operation === "DeleteSecurityGroup" && c.input.GroupId === made.instanceGroupId) || (c.operation === "RevokeSecurityGroupIngress" && c.input.GroupId === made.instanceGroupId)),
    );
    expect(
      unreferenced,
      say(
        `the load balancer's security group was deleted while the instances' group still referred to it: on AWS that is a DependencyViolation. Delete the instances' group first (or revoke its rule).`,
        `el grupo de seguridad del balanceador de carga se borró mientras el grupo de las instancias todavía lo referenciaba: en AWS eso es un DependencyViolation. Borrá primero el grupo de las instancias (o revocá su regla).`,
      ),
    ).toBe(true);
    if (made.loadBalancer) {
      const lbDeleted = calls.find((c) => c.operation === "DeleteLoadBalancer" && c.ok);
      expect(
        lbDeleted !== undefined && lbDeleted.endedAt <= loadBalancerGroupDeleted.startedAt,
        say(
          `the load balancer's security group was deleted before DeleteLoadBalancer: on AWS a group a load balancer uses cannot be deleted.`,
          `el grupo de seguridad del balanceador de carga se borró antes de DeleteLoadBalancer: en AWS no se puede borrar un grupo que usa un balanceador de carga.`,
        ),
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

describe(say("when it fails", "cuando falla"), () => {
  // Throttling and 5xx answers are retried by the SDK itself (3 attempts). RunInstances carries a
  // ClientToken that the SDK reuses on its retries, so a retried launch is still one instance.
  test(say("lesson: the demo gets through throttling, 5xx answers and slow answers, and makes exactly two instances", "lesson: la demo sobrevive a la limitación (throttling), a respuestas 5xx y a respuestas lentas, y crea exactamente dos instancias"), async () => {
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
      expect(launched.sort(), say("the instances named after this tier (a launch retried without its ClientToken would make more)", "las instancias con el nombre de este tier (un lanzamiento reintentado sin su ClientToken crearía más)")).toEqual([...tier.instanceIds].sort());
      await lesson.tearDownWebTier(aws, tier);
      faults.clear();
      expect(await leftoversOf(made), say("what the emulator still holds after the cleanup", "lo que el emulador todavía tiene después de la limpieza")).toEqual([]);
      const hit = new Set(faults.injected.filter((f) => f.fault !== "latency").map((f) => `${f.service}.${f.operation}`));
      const expected = ["EC2.RunInstances", "EC2.AuthorizeSecurityGroupIngress", "EC2.DescribeInstances", "CloudWatch.PutMetricAlarm", "EC2.TerminateInstances"];
      if (!made.loadBalancingSkipped) expected.push("ElasticLoadBalancingV2.CreateTargetGroup");
      expect([...hit].sort(), say("the calls that met a fault (each was retried by the SDK)", "las llamadas que se toparon con una falla (el SDK reintentó cada una)")).toEqual(expected.sort());
    } finally {
      faults.clear();
      await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
  });

  // A call that keeps failing (all 3 of the SDK's attempts) must not stop the rest of the cleanup,
  // must be named, and must not make the cleanup delete what still depends on it.
  test(say("lesson: when terminating the instances fails for good, the cleanup deletes the rest, keeps their security groups, says so, and a second run finishes the job", "lesson: cuando terminar las instancias falla del todo, la limpieza borra el resto, se queda con sus grupos de seguridad, lo avisa, y una segunda pasada termina el trabajo"), async () => {
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
      expect(failure?.message, say("tearDownWebTier should throw, naming the instances it could not terminate", "tearDownWebTier tendría que lanzar un error que nombre las instancias que no pudo terminar")).toMatch(new RegExp(made.instanceIds[0]));
      const left = await leftoversOf(made);
      expect(left.filter((l) => l.startsWith("instance ")).length, say(`the instances are still there (their termination failed); left: ${left.join(", ")}`, `las instancias siguen ahí (falló su terminación); lo que quedó: ${left.join(", ")}`)).toBe(2);
      expect(
        left.filter((l) => l.startsWith("security group ")).sort(),
        say(
          "the security groups are kept while the instances that use them are there (on AWS deleting them would be a DependencyViolation)",
          "los grupos de seguridad se conservan mientras estén las instancias que los usan (en AWS borrarlos sería un DependencyViolation)",
        ),
      ).toEqual([`security group ${made.instanceGroupId}`, `security group ${made.loadBalancerGroupId}`].sort());
      expect(left.filter((l) => !l.startsWith("instance ") && !l.startsWith("security group ")), say("everything else is gone", "todo lo demás ya no está")).toEqual([]);

      await lesson.tearDownWebTier(aws, tier);
      expect(await leftoversOf(made), say("after the second cleanup, the emulator still holds", "después de la segunda limpieza, el emulador todavía tiene")).toEqual([]);
    } finally {
      await bestEffort(() => lesson.tearDownWebTier(aws, tier));
    }
  });
});
