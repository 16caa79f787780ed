// "Todo es tarifado": what a run's calls would have cost on AWS. Requests per service, and the
// resources billed by time (instance-seconds, public IPv4 and load balancer hours, alarms, custom
// metrics) for the time they lived, priced from the dated table in prices.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STATE_DIR } from "../paths";
import type { InjectedFault } from "./faults";
import type { CallLine, ResourceEvent } from "./journal";
import PRICES from "./prices.json" with { type: "json" };
import { lang, t, type MessageKey, type Vars } from "../i18n";

type Prices = typeof PRICES;
interface RequestPrice {
  label: string;
  labelEs?: string;
  match: string;
  usd: number;
  per: number;
}

export interface CostItem {
  service: string;
  /** What is billed: "PUT, COPY, POST and LIST requests", "t3.micro instance-seconds". */
  item: string;
  /** The same in Spanish (runs saved before the translation have none). */
  itemEs?: string;
  quantity: number;
  unit: string;
  usd: number;
  /** Covered by an Always Free allowance (within its monthly amount). */
  alwaysFree: boolean;
  note?: string;
  noteEs?: string;
}

/** An item's label and note in both languages, from the message files. */
function both(key: MessageKey, vars?: Vars): { en: string; es: string } {
  return { en: t(key, vars, "en"), es: t(key, vars, "es") };
}
function labelled(key: MessageKey, vars?: Vars): { item: string; itemEs: string } {
  const { en, es } = both(key, vars);
  return { item: en, itemEs: es };
}
function noted(key: MessageKey, vars?: Vars): { note: string; noteEs: string } {
  const { en, es } = both(key, vars);
  return { note: en, noteEs: es };
}

export interface CostSummary {
  region: string;
  /** The price table's date. */
  pricesChecked: string;
  /** Requests that reached the emulator, per service. */
  requests: Record<string, number>;
  items: CostItem[];
  usd: number;
  /** Every item is within the Always Free allowances. */
  withinAlwaysFree: boolean;
  /** Resources still there when the run ended: on AWS they would go on costing. */
  leftRunning: string[];
  startedAt: number;
  endedAt: number;
}

const HOUR = 3600_000;

function requestPrice(service: string, operation: string, prices: Prices): RequestPrice | undefined {
  const table = (prices.services as Record<string, { requests?: RequestPrice[] }>)[service]?.requests;
  return table?.find((p) => new RegExp(p.match).test(operation));
}

function alwaysFreeRequests(service: string, prices: Prices): number | undefined {
  const free = (prices.services as Record<string, { alwaysFree?: false | { requests?: number | null } }>)[service]?.alwaysFree;
  if (!free) return undefined;
  return free.requests === null ? Infinity : (free.requests ?? undefined);
}

interface Lifetime {
  kind: string;
  id: string;
  type?: string;
  ms: number;
  /** Each start-to-end stretch, in milliseconds (instances are billed per start). */
  stretches: number[];
  open: boolean;
}

/** Pairs each resource's starts and ends; one still open at the end is counted until then. */
export function lifetimes(lines: CallLine[], endedAt: number): Lifetime[] {
  const byId = new Map<string, { kind: string; id: string; type?: string; events: ResourceEvent[] }>();
  for (const line of lines) {
    for (const event of line.resources ?? []) {
      const key = `${event.kind}|${event.id}`;
      const entry = byId.get(key) ?? { kind: event.kind, id: event.id, events: [] };
      entry.type ??= event.type;
      entry.events.push(event);
      byId.set(key, entry);
    }
  }
  const out: Lifetime[] = [];
  for (const { kind, id, type, events } of byId.values()) {
    events.sort((a, b) => a.at - b.at);
    const stretches: number[] = [];
    let since: number | undefined;
    let last: number | undefined;
    for (const e of events) {
      if (e.event === "start") {
        // A second PutMetricData or PutMetricAlarm of a running one keeps it running.
        if (since === undefined) since = e.at;
        last = e.at;
      } else if (since !== undefined) {
        stretches.push(e.at - since);
        since = undefined;
      }
    }
    const open = since !== undefined && kind !== "custom-metric";
    if (since !== undefined) stretches.push((kind === "custom-metric" ? (last ?? since) : endedAt) - since);
    out.push({ kind, id, type, ms: stretches.reduce((a, b) => a + b, 0), stretches, open });
  }
  return out;
}

/** Prices a run's calls (the journal's call lines of one lesson). */
export function summarize(lines: CallLine[], prices: Prices = PRICES): CostSummary {
  const startedAt = Math.min(...lines.map((l) => l.startedAt), Date.now());
  const endedAt = Math.max(...lines.map((l) => l.endedAt), startedAt);
  const region = lines.find((l) => l.region)?.region ?? "us-east-1";
  const requests: Record<string, number> = {};
  const items: CostItem[] = [];
  const add = (item: CostItem) => {
    const same = items.find((i) => i.service === item.service && i.item === item.item);
    if (same) {
      same.quantity += item.quantity;
      same.usd += item.usd;
    } else items.push(item);
  };

  for (const line of lines) {
    if (line.requests === 0) continue;
    requests[line.service] = (requests[line.service] ?? 0) + line.requests;
    if (line.service === "DynamoDB") continue; // priced by request units, below
    const price = requestPrice(line.service, line.operation, prices);
    if (!price) {
      add({ service: line.service, ...labelled("clients.cost.item.unpriced"), quantity: line.requests, unit: "requests", usd: 0, alwaysFree: false, ...noted("clients.cost.note.unpriced") });
      continue;
    }
    const free = alwaysFreeRequests(line.service, prices);
    add({ service: line.service, item: price.label, ...(price.labelEs ? { itemEs: price.labelEs } : {}), quantity: line.requests, unit: "requests", usd: (line.requests * price.usd) / price.per, alwaysFree: price.usd === 0 || (free !== undefined && free > 0) });
  }

  const dynamo = prices.services.DynamoDB.units;
  const read = lines.reduce((n, l) => n + (l.units?.read ?? 0), 0);
  const write = lines.reduce((n, l) => n + (l.units?.write ?? 0), 0);
  if (write > 0) add({ service: "DynamoDB", item: dynamo.write.label, itemEs: dynamo.write.labelEs, quantity: write, unit: "WRU", usd: (write * dynamo.write.usd) / dynamo.write.per, alwaysFree: false });
  if (read > 0) add({ service: "DynamoDB", item: dynamo.read.label, itemEs: dynamo.read.labelEs, quantity: read, unit: "RRU", usd: (read * dynamo.read.usd) / dynamo.read.per, alwaysFree: false });

  const ec2 = prices.services.EC2;
  const elb = prices.services.ElasticLoadBalancingV2;
  const cw = prices.services.CloudWatch;
  const leftRunning: string[] = [];
  let alarms = 0;
  let metrics = 0;
  for (const life of lifetimes(lines, endedAt)) {
    if (life.open) leftRunning.push(`${life.kind} ${life.id}`);
    switch (life.kind) {
      case "ec2-instance": {
        const known = life.type !== undefined && life.type in ec2.instanceHour;
        const type = known ? life.type! : "t3.micro";
        // Per second, at least 60 seconds each time it starts.
        const seconds = life.stretches.reduce((n, ms) => n + Math.max(60, Math.ceil(ms / 1000)), 0);
        const rate = ec2.instanceHour[type as keyof typeof ec2.instanceHour];
        add({ service: "EC2", ...labelled("clients.cost.item.instance", { type }), quantity: seconds, unit: "s", usd: (seconds * rate) / 3600, alwaysFree: false, ...(known ? {} : noted("clients.cost.note.instanceType", { type: life.type ?? "unknown" })) });
        break;
      }
      case "elastic-ip": {
        const seconds = Math.ceil(life.ms / 1000);
        add({ service: "EC2", ...labelled("clients.cost.item.elasticIp"), quantity: seconds, unit: "s", usd: (seconds * ec2.publicIpv4Hour.usd) / 3600, alwaysFree: false });
        break;
      }
      case "load-balancer": {
        const type = (life.type ?? "application") as keyof typeof elb.loadBalancerHour;
        // Each hour or partial hour is billed as an hour.
        const hours = life.stretches.reduce((n, ms) => n + Math.max(1, Math.ceil(ms / HOUR)), 0);
        add({ service: "ElasticLoadBalancingV2", ...labelled("clients.cost.item.loadBalancer", { type }), quantity: hours, unit: "h", usd: hours * (elb.loadBalancerHour[type] ?? elb.loadBalancerHour.application), alwaysFree: false });
        break;
      }
      case "alarm": {
        const hours = Math.max(1, Math.ceil(life.ms / HOUR));
        alarms += 1;
        add({ service: "CloudWatch", ...labelled("clients.cost.item.alarm"), quantity: hours, unit: "h", usd: (hours * cw.alarmMonth) / prices.hoursPerMonth, alwaysFree: true });
        break;
      }
      case "custom-metric": {
        const hours = Math.max(1, Math.ceil(life.ms / HOUR));
        metrics += 1;
        add({ service: "CloudWatch", ...labelled("clients.cost.item.metric"), quantity: hours, unit: "h", usd: (hours * cw.customMetricMonth) / prices.hoursPerMonth, alwaysFree: true });
        break;
      }
    }
  }
  // Always Free covers CloudWatch only up to its counts.
  for (const item of items) {
    if (item.service !== "CloudWatch") continue;
    if (item.item.startsWith("standard alarm") && alarms > cw.alwaysFree.alarms) item.alwaysFree = false;
    if (item.item.startsWith("custom metric") && metrics > cw.alwaysFree.customMetrics) item.alwaysFree = false;
  }
  const usd = items.reduce((n, i) => n + i.usd, 0);
  return {
    region,
    pricesChecked: prices.checked,
    requests,
    items,
    usd,
    withinAlwaysFree: items.every((i) => i.alwaysFree || i.usd === 0),
    leftRunning,
    startedAt,
    endedAt,
  };
}

/** Dollars with two significant figures (the estimate is not more precise than that). */
export function dollars(usd: number): string {
  if (usd === 0) return "$0";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2)).toFixed(Math.max(2, 1 - Math.floor(Math.log10(usd))))}`;
}

const SERVICE_NAMES: Record<string, string> = { ElasticLoadBalancingV2: "ELB" };
const short = (service: string) => SERVICE_NAMES[service] ?? service;

/** The one line that ends every check and demo. */
export function costLine(summary: CostSummary): string {
  const total = Object.values(summary.requests).reduce((a, b) => a + b, 0);
  if (total === 0) return t("clients.cost.none");
  const per = Object.entries(summary.requests)
    .sort((a, b) => b[1] - a[1])
    .map(([s, n]) => `${short(s)} ${n}`)
    .join(", ");
  const region = summary.region === "us-east-1" ? "us-east-1" : t("clients.cost.otherRegion", { region: summary.region });
  const free = summary.withinAlwaysFree
    ? t("clients.cost.withinFree")
    : t("clients.cost.notAllFree", { services: [...new Set(summary.items.filter((i) => !i.alwaysFree && i.usd > 0).map((i) => short(i.service)))].join(", ") });
  const left = summary.leftRunning.length ? t("clients.cost.leftRunning", { n: summary.leftRunning.length }) : "";
  return t("clients.cost.line", { total, per, region, usd: dollars(summary.usd), free, left, checked: summary.pricesChecked });
}

/** The breakdown `npm start -- cost` prints. */
export function describeCost(summary: CostSummary, prices: Prices = PRICES): string {
  const lines: string[] = [];
  const es = lang() === "es";
  const region = summary.region === "us-east-1" ? t("clients.cost.breakdown.usEast") : t("clients.cost.breakdown.otherRegion", { region: summary.region });
  lines.push(t("clients.cost.breakdown.header", { region }));
  for (const item of summary.items) {
    const free = t(item.usd === 0 ? "clients.cost.breakdown.free" : item.alwaysFree ? "clients.cost.breakdown.alwaysFree" : "clients.cost.breakdown.billed");
    const quantity = Number.isInteger(item.quantity) ? String(item.quantity) : item.quantity.toFixed(1);
    const label = (es && item.itemEs) || item.item;
    const note = (es && item.noteEs) || item.note;
    const unit = item.unit === "requests" ? t("clients.cost.unit.requests") : item.unit;
    lines.push(`  ${short(item.service).padEnd(11)} ${`${quantity} ${unit}`.padStart(15)}  ${dollars(item.usd).padStart(12)}  ${free.padEnd(11)}  ${label}${note ? ` (${note})` : ""}`);
  }
  lines.push(`  ${t("clients.cost.breakdown.total").padEnd(11)} ${"".padStart(15)}  ${dollars(summary.usd).padStart(12)}`);
  if (summary.leftRunning.length) lines.push(t("clients.cost.breakdown.left", { list: summary.leftRunning.join(", ") }));
  lines.push("");
  lines.push(t(summary.withinAlwaysFree ? "clients.cost.breakdown.within" : "clients.cost.breakdown.notAll"));
  lines.push(es ? prices.freeTier.meaningEs : prices.freeTier.meaning);
  lines.push(t("clients.cost.breakdown.notCounted", { checked: prices.checked }));
  return lines.join("\n");
}

// ── A lesson's last run, for `npm start -- cost [lesson]` and the real-AWS estimate ───────────

export interface LessonRun {
  lesson: string;
  /** "check" (the tests) or "demo" (the lesson's main()). */
  kind: "check" | "demo";
  at: string;
  emulator?: string;
  summary: CostSummary;
  chaos?: { seed: number; faults: InjectedFault[] };
}

export const COST_DIR = join(STATE_DIR, "cost");

export function saveLessonRun(run: LessonRun, dir = COST_DIR): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${run.lesson}.json`), JSON.stringify(run, null, 2) + "\n");
  } catch {
    // An unwritable .workshop/ must never hide a verdict: `cost` will say there is no run yet.
  }
}

export function readLessonRun(lesson: string, dir = COST_DIR): LessonRun | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, `${lesson}.json`), "utf8")) as LessonRun;
  } catch {
    return undefined;
  }
}
