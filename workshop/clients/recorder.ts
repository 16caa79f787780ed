// What the code sent: every SDK call of the clients built by createClient, recorded by the
// workshop's middleware, so that a test can check the calls, their order and their parameters
// (what AWS would refuse even where the emulator forgives it).

export interface RecordedCall {
  /** "S3", "SQS", "DynamoDB", "EC2": the client's name without "Client". */
  service: string;
  /** "PutObject", "SendMessageBatch": the operation as AWS names it. */
  operation: string;
  /**
   * The input as the code gave it (a copy; streams and buffers are kept as they are). Through
   * lib-dynamodb's DynamoDBDocumentClient it holds plain values, not AttributeValues.
   */
  input: Record<string, unknown>;
  /** The call succeeded (after the SDK's retries). */
  ok: boolean;
  /** The error's name when it failed: "ThrottlingException", "TimeoutError", "NoSuchBucket". */
  errorName?: string;
  startedAt: number;
  endedAt: number;
  /** HTTP attempts made (1 when no retry was needed). */
  attempt: number;
  /** The call was made from the lesson's code (exercise.ts or solution.ts), not the test's own. */
  fromLesson: boolean;
  /** Where in the lesson's code the call was made ("solutions/04-s3/solution.ts:42"), when it was. */
  where?: string;
}

export class Recording {
  readonly calls: RecordedCall[] = [];
  private stopped = false;
  constructor(private readonly onStop: (r: Recording) => void) {}
  /** Stops recording (the calls so far stay in `calls`). */
  stop(): this {
    if (!this.stopped) this.onStop(this);
    this.stopped = true;
    return this;
  }
  /** ["EC2.RunInstances", "EC2.DescribeInstances", …], in the order the calls started. */
  names(): string[] {
    return this.calls.map((c) => `${c.service}.${c.operation}`);
  }
  /** The first call of this operation, or undefined. */
  find(service: string, operation: string): RecordedCall | undefined {
    return this.calls.find((c) => c.service.toLowerCase() === service.toLowerCase() && c.operation === operation);
  }
  /** Every call of this operation. */
  filter(service: string, operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.service.toLowerCase() === service.toLowerCase() && c.operation === operation);
  }
}

let active: Recording[] = [];

/** Starts a recording; several may overlap. */
export function startRecording(): Recording {
  const recording = new Recording((r) => {
    active = active.filter((a) => a !== r);
  });
  active.push(recording);
  return recording;
}

export function stopAllRecordings(): void {
  for (const r of [...active]) r.stop();
}

/** Adds a call to every recording now running (the middleware fills in the outcome later). */
export function recordStart(call: RecordedCall): void {
  for (const r of active) r.calls.push(call);
}

/** Takes back a call that turned out not to be a request (a presigned URL is signed locally). */
export function recordDrop(call: RecordedCall): void {
  for (const r of active) {
    const i = r.calls.indexOf(call);
    if (i >= 0) r.calls.splice(i, 1);
  }
}

/** A copy of an input that a later change by the code cannot alter; streams and bytes are kept. */
export function copyInput(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => copyInput(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copyInput(v, depth + 1);
  return out;
}
