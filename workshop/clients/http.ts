// The answers the middleware makes up, shaped as each service's protocol answers them, so that
// the SDK parses and classifies them (and retries them) as it would AWS's own.
import { HttpResponse } from "@smithy/protocol-http";
import { t } from "../i18n";

type Protocol = "json" | "restXml" | "ec2Query" | "query";

const PROTOCOLS: Record<string, Protocol> = {
  S3: "restXml",
  DynamoDB: "json",
  SQS: "json",
  CloudWatch: "json",
  EC2: "ec2Query",
  // IAM, SNS, STS and Elastic Load Balancing v2 speak the AWS query protocol.
};

export function protocolOf(service: string): Protocol {
  return PROTOCOLS[service] ?? "query";
}

export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/** What AWS answers when it throttles this service: the codes the SDK knows as throttling. */
export function throttleAnswer(service: string): ErrorAnswer {
  switch (service) {
    case "S3":
      return { status: 503, code: "SlowDown", message: "Please reduce your request rate." };
    case "EC2":
      return { status: 503, code: "RequestLimitExceeded", message: "Request limit exceeded." };
    case "DynamoDB":
      return { status: 400, code: "ThrottlingException", message: "Rate of requests exceeds the allowed throughput." };
    case "SQS":
    case "CloudWatch":
      return { status: 400, code: "ThrottlingException", message: "Rate exceeded." };
    default:
      return { status: 400, code: "Throttling", message: "Rate exceeded." };
  }
}

/** A server-side error (5xx), which the SDK retries as transient. */
export function serverErrorAnswer(service: string): ErrorAnswer {
  switch (service) {
    case "DynamoDB":
      return { status: 500, code: "InternalServerError", message: "Internal server error." };
    case "IAM":
      return { status: 500, code: "ServiceFailure", message: "The request processing has failed because of an unknown error." };
    case "EC2":
      return { status: 503, code: "Unavailable", message: "The server is overloaded and can't handle the request." };
    default:
      return { status: 500, code: "InternalError", message: "We encountered an internal error. Please try again." };
  }
}

/** Said after AWS's own words, in the learner's language. */
const note = () => t("clients.fault.injectedNote");

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The HTTP answer carrying this error in the service's protocol. */
export function errorResponse(service: string, error: ErrorAnswer, requestId: string): HttpResponse {
  const message = escapeXml(error.message + note());
  let body: string;
  let contentType: string;
  switch (protocolOf(service)) {
    case "json":
      contentType = "application/x-amz-json-1.0";
      body = JSON.stringify({ __type: error.code, message: error.message + note() });
      break;
    case "restXml":
      contentType = "application/xml";
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
      break;
    case "ec2Query":
      contentType = "text/xml";
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${error.code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
      break;
    case "query":
      contentType = "text/xml";
      body = `<ErrorResponse><Error><Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${error.code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      break;
  }
  const bytes = Buffer.from(body, "utf8");
  return new HttpResponse({
    statusCode: error.status,
    headers: {
      "content-type": contentType,
      "content-length": String(bytes.length),
      "x-amzn-requestid": requestId,
      "x-amz-request-id": requestId,
      // SQS and CloudWatch speak JSON but keep their query error codes in this header.
      ...(service === "SQS" || service === "CloudWatch" ? { "x-amzn-query-error": `${error.code};${error.status >= 500 ? "Receiver" : "Sender"}` } : {}),
    },
    body: bytes,
  });
}

/** A 200 answer with this JSON body (DynamoDB's stale reads). */
export function jsonResponse(body: unknown, requestId: string): HttpResponse {
  const bytes = Buffer.from(JSON.stringify(body), "utf8");
  return new HttpResponse({
    statusCode: 200,
    headers: { "content-type": "application/x-amz-json-1.0", "content-length": String(bytes.length), "x-amzn-requestid": requestId },
    body: bytes,
  });
}

/** Reads an answer's body whole (it is a stream) and gives back an answer that can be read again. */
export async function bufferResponse(response: HttpResponse): Promise<{ text: string; rebuild: (text: string) => HttpResponse }> {
  const body = response.body as unknown;
  let bytes: Buffer;
  if (body === undefined || body === null) bytes = Buffer.alloc(0);
  else if (typeof body === "string") bytes = Buffer.from(body);
  else if (body instanceof Uint8Array) bytes = Buffer.from(body);
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
    bytes = Buffer.concat(chunks);
  }
  const text = bytes.toString("utf8");
  return {
    text,
    rebuild: (next) => {
      const out = Buffer.from(next, "utf8");
      const headers: Record<string, string> = { ...response.headers, "content-length": String(out.length) };
      delete headers["x-amz-crc32"];
      return new HttpResponse({ statusCode: response.statusCode, reason: response.reason, headers, body: out });
    },
  };
}

/** What the SDK's own handler throws when a request times out (its retry strategy retries it). */
export function timeoutError(ms: number): Error {
  return Object.assign(
    new Error(`@smithy/node-http-handler - the request socket timed out after ${ms} ms of inactivity${note()}.`),
    { name: "TimeoutError", code: "ETIMEDOUT" },
  );
}
