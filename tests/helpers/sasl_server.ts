/**
 * The server side of SASL PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677), as a
 * Kafka broker runs them, for tests/helpers/kafka_proxy.ts. SCRAM is checked for real: the
 * client's proof must match the stored key derived from the password (PBKDF2, 4096 iterations,
 * Kafka's minimum) and the server proves itself with its signature, which kafkajs verifies.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

/** Mechanism names as Kafka spells them. */
export type SaslMechanismName = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** One exchange's next step: a challenge to send, success (with a final message), or failure. */
export type SaslStep =
  | { readonly kind: "continue"; readonly challenge: Uint8Array }
  | { readonly kind: "done"; readonly user: string; readonly final: Uint8Array }
  | { readonly kind: "failed"; readonly reason: string };

/** One client's authentication, fed the client's messages in order. */
export interface SaslExchange {
  step(message: Uint8Array): SaslStep;
}

const ITERATIONS = 4096;
const HASH = { "SCRAM-SHA-256": ["sha256", 32], "SCRAM-SHA-512": ["sha512", 64] } as const;

/** Starts an exchange of `mechanism` against `users` (name → password). */
export function saslExchange(
  mechanism: SaslMechanismName,
  users: Readonly<Record<string, string>>,
): SaslExchange {
  if (mechanism === "PLAIN") return plainExchange(users);
  return scramExchange(HASH[mechanism], users);
}

function plainExchange(users: Readonly<Record<string, string>>): SaslExchange {
  return {
    step(message) {
      const [_authzid, user, password] = new TextDecoder().decode(message).split("\0");
      if (user === undefined || password === undefined) {
        return { kind: "failed", reason: "malformed PLAIN message" };
      }
      if (!Object.hasOwn(users, user) || users[user] !== password) {
        return { kind: "failed", reason: `Authentication failed: Invalid username or password` };
      }
      return { kind: "done", user, final: new Uint8Array() };
    },
  };
}

function scramExchange(
  [hash, length]: readonly ["sha256" | "sha512", number],
  users: Readonly<Record<string, string>>,
): SaslExchange {
  const hmac = (key: Uint8Array, text: string) => createHmac(hash, key).update(text).digest();
  let state:
    | { phase: "first" }
    | {
      phase: "final";
      user: string;
      nonce: string;
      salt: Buffer;
      firstBare: string;
      serverFirst: string;
    }
    | { phase: "over" } = { phase: "first" };
  return {
    step(message) {
      const text = new TextDecoder().decode(message);
      if (state.phase === "first") {
        // gs2 header ("n,," or "n,a=authzid,"), then the bare message "n=user,r=nonce".
        const bare = text.split(",").slice(2).join(",");
        const attrs = attributes(bare);
        const user = unescapeName(attrs.get("n") ?? "");
        const clientNonce = attrs.get("r");
        if (!text.startsWith("n,") || !clientNonce || !Object.hasOwn(users, user)) {
          state = { phase: "over" };
          return { kind: "failed", reason: "Authentication failed during authentication" };
        }
        const salt = randomBytes(16);
        const nonce = clientNonce + randomBytes(18).toString("base64");
        const serverFirst = `r=${nonce},s=${salt.toString("base64")},i=${ITERATIONS}`;
        state = { phase: "final", user, nonce, salt, firstBare: bare, serverFirst };
        return { kind: "continue", challenge: new TextEncoder().encode(serverFirst) };
      }
      if (state.phase !== "final") return { kind: "failed", reason: "unexpected SCRAM message" };
      const { user, nonce, salt, firstBare, serverFirst } = state;
      state = { phase: "over" };
      const attrs = attributes(text);
      const proofAt = text.lastIndexOf(",p=");
      if (attrs.get("r") !== nonce || proofAt < 0) {
        return { kind: "failed", reason: "SCRAM nonce or proof missing" };
      }
      const salted = pbkdf2Sync(users[user], salt, ITERATIONS, length, hash);
      const clientKey = hmac(salted, "Client Key");
      const storedKey = createHash(hash).update(clientKey).digest();
      const authMessage = `${firstBare},${serverFirst},${text.slice(0, proofAt)}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(attrs.get("p") ?? "", "base64");
      if (proof.length !== signature.length) return { kind: "failed", reason: "bad SCRAM proof" };
      const candidate = Buffer.from(proof.map((b, i) => b ^ signature[i]));
      const candidateStored = createHash(hash).update(candidate).digest();
      if (!timingSafeEqual(candidateStored, storedKey)) {
        return { kind: "failed", reason: "Authentication failed during authentication" };
      }
      const serverSignature = hmac(hmac(salted, "Server Key"), authMessage).toString("base64");
      return { kind: "done", user, final: new TextEncoder().encode(`v=${serverSignature}`) };
    },
  };
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** SCRAM escapes `,` and `=` in names as `=2C` and `=3D`. */
function unescapeName(name: string): string {
  return name.replaceAll("=2C", ",").replaceAll("=3D", "=");
}
