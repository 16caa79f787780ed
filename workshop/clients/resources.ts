// Resources billed by the time they live, seen in the calls that start and end them, so that the
// cost summary can count instance-seconds, address-hours, load-balancer-hours, alarms and metrics.
import type { ResourceEvent } from "./journal";

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

/** The resources a successful call started or ended. */
export function resourceEvents(service: string, operation: string, input: Obj, output: Obj | undefined, at: number): ResourceEvent[] {
  const out = output ?? {};
  const start = (kind: string, id: unknown, type?: unknown): ResourceEvent[] =>
    typeof id === "string" ? [{ kind, id, event: "start", at, ...(typeof type === "string" ? { type } : {}) }] : [];
  const end = (kind: string, id: string): ResourceEvent => ({ kind, id, event: "end", at });
  switch (`${service}.${operation}`) {
    case "EC2.RunInstances":
      return list(out.Instances).flatMap((i) => start("ec2-instance", i.InstanceId, i.InstanceType));
    case "EC2.StartInstances":
      // A started instance is billed again from now (its type is known from RunInstances).
      return strings(input.InstanceIds).flatMap((id) => start("ec2-instance", id));
    case "EC2.StopInstances":
    case "EC2.TerminateInstances":
      return strings(input.InstanceIds).map((id) => end("ec2-instance", id));
    case "EC2.AllocateAddress":
      return start("elastic-ip", out.AllocationId ?? out.PublicIp);
    case "EC2.ReleaseAddress":
      return [end("elastic-ip", String(input.AllocationId ?? input.PublicIp))];
    case "ElasticLoadBalancingV2.CreateLoadBalancer":
      return list(out.LoadBalancers).flatMap((lb) => start("load-balancer", lb.LoadBalancerArn, lb.Type ?? input.Type ?? "application"));
    case "ElasticLoadBalancingV2.DeleteLoadBalancer":
      return [end("load-balancer", String(input.LoadBalancerArn))];
    case "CloudWatch.PutMetricAlarm":
      return start("alarm", input.AlarmName);
    case "CloudWatch.DeleteAlarms":
      return strings(input.AlarmNames).map((name) => end("alarm", name));
    case "CloudWatch.PutMetricData":
      // A custom metric is one namespace, name and set of dimensions; it is billed while it gets data.
      return list(input.MetricData).flatMap((m) => {
        const dims = list(m.Dimensions).map((d) => `${d.Name}=${d.Value}`).sort().join(",");
        return start("custom-metric", `${input.Namespace}/${m.MetricName}${dims ? `{${dims}}` : ""}`);
      });
    default:
      return [];
  }
}

/**
 * DynamoDB's on-demand request units for a call, as AWS counts them for items up to 1 KB written
 * and 4 KB read (item sizes are not measured: the workshop's items are small). Control-plane calls
 * (CreateTable, DescribeTable…) use none.
 */
export function dynamoUnits(operation: string, input: Obj, output: Obj | undefined): { read: number; write: number } {
  const out = output ?? {};
  const factor = input.ConsistentRead === true ? 1 : 0.5;
  const count = (v: unknown) => (v && typeof v === "object" ? Object.values(v as Record<string, unknown[] | Obj>).reduce((n: number, x) => n + (Array.isArray(x) ? x.length : list((x as Obj).Keys).length), 0) : 0);
  switch (operation) {
    case "PutItem":
    case "UpdateItem":
    case "DeleteItem":
      return { read: 0, write: 1 };
    case "BatchWriteItem":
      return { read: 0, write: Math.max(0, count(input.RequestItems) - count(out.UnprocessedItems)) };
    case "TransactWriteItems":
      return { read: 0, write: 2 * list(input.TransactItems).length };
    case "GetItem":
      return { read: factor, write: 0 };
    case "BatchGetItem": {
      const tables = (input.RequestItems as Record<string, Obj>) ?? {};
      let read = 0;
      for (const [table, items] of Object.entries((out.Responses as Record<string, unknown[]>) ?? {})) read += items.length * (tables[table]?.ConsistentRead === true ? 1 : 0.5);
      return { read, write: 0 };
    }
    case "TransactGetItems":
      return { read: 2 * list(input.TransactItems).length, write: 0 };
    case "Query":
    case "Scan": {
      // Reads are counted per 4 KB of items read: four small items to a unit, at least one.
      const scanned = Number(out.ScannedCount ?? out.Count ?? 0);
      return { read: Math.max(1, Math.ceil(scanned / 4)) * factor, write: 0 };
    }
    default:
      return { read: 0, write: 0 };
  }
}
