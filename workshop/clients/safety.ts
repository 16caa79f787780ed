// "No toca botón": nothing in this workshop may spend an attendee's money by accident.
// Every AWS client is built through clientConfig() in aws.ts, which calls assertSafeTarget() first.
import { isIP } from "node:net";
import { t } from "../i18n";

/** Set this to "1" to talk to real AWS on purpose. It costs money. */
export const REAL_AWS_FLAG = "WORKSHOP_REAL_AWS";

/** Credentials handed to every emulator. Emulators accept any; these never reach AWS. */
export const DUMMY_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

export class UnsafeTargetError extends Error {
  override name = "UnsafeTargetError";
}

type Env = Record<string, string | undefined>;

export function realAwsAllowed(env: Env = process.env): boolean {
  return env[REAL_AWS_FLAG] === "1";
}

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number);
  return (
    a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 169 && b === 254) || ip === "0.0.0.0"
  );
}

function isPrivateIPv6(ip: string): boolean {
  const lower = ip.toLowerCase();
  return lower === "::1" || lower.startsWith("fc") || lower.startsWith("fd") || lower.startsWith("fe80:");
}

/**
 * Local means this laptop or the classroom's own network: loopback, private addresses,
 * `localhost` names, `.local`/`.internal` names and single-label names such as a
 * docker compose service (`localstack`). Anything else could be real AWS.
 */
export function isLocalEndpoint(endpoint: string): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (/(^|\.)amazonaws\.com(\.cn)?$|(^|\.)api\.aws$|(^|\.)on\.aws$/.test(host)) return false;
  const family = isIP(host);
  if (family === 4) return isPrivateIPv4(host);
  if (family === 6) return isPrivateIPv6(host);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.endsWith(".local") || host.endsWith(".internal")) return true;
  if (host === "localhost.localstack.cloud" || host.endsWith(".localhost.localstack.cloud")) return true;
  return !host.includes(".");
}

/** Describes AWS credentials in the environment that look real, or undefined if there are none. */
export function realCredentialsInEnv(env: Env = process.env): string | undefined {
  const found: string[] = [];
  const keyId = env.AWS_ACCESS_KEY_ID;
  if (keyId && /^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(keyId)) found.push(`AWS_ACCESS_KEY_ID=${mask(keyId)}`);
  if (env.AWS_SESSION_TOKEN) found.push("AWS_SESSION_TOKEN");
  if (env.AWS_PROFILE) found.push(`AWS_PROFILE=${env.AWS_PROFILE}`);
  return found.length ? found.join(", ") : undefined;
}

/** Shows the first four and last four characters of a secret: enough to recognise, never enough to use. */
export function mask(secret: string): string {
  if (secret.length <= 8) return "*".repeat(secret.length);
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}

const howToOptIn = () => t("clients.safety.howToOptIn", { flag: REAL_AWS_FLAG });

/**
 * Throws before any request is sent when the target could be real AWS and nobody asked for it.
 * `endpoint` is the endpoint the clients will use; undefined means the SDK's default, real AWS.
 */
export function assertSafeTarget(endpoint: string | undefined, env: Env = process.env): void {
  if (realAwsAllowed(env)) return;
  if (endpoint === undefined || endpoint === "") {
    const creds = realCredentialsInEnv(env);
    throw new UnsafeTargetError(
      `${creds ? t("clients.safety.noEndpointCreds", { creds }) : t("clients.safety.noEndpoint")}\n${t("clients.safety.noEndpointFix")}\n${howToOptIn()}`,
    );
  }
  if (!isLocalEndpoint(endpoint)) {
    throw new UnsafeTargetError(`${t("clients.safety.refused", { endpoint })}\n${howToOptIn()}`);
  }
}
