/**
 * A local HTTP receiver for alert webhooks: answers every POST with 200 and records its headers
 * and JSON body, so end-to-end tests can check what reached "Slack".
 * @module
 */

/** One received request. */
export interface ReceivedHook {
  readonly idempotencyKey: string | null;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
}

/** A running receiver on 127.0.0.1. */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly received: readonly ReceivedHook[];
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export function startWebhookReceiver(): WebhookReceiver {
  const received: ReceivedHook[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const text = await req.text();
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text);
      } catch {
        body = { unparsable: text };
      }
      received.push({
        idempotencyKey: req.headers.get("idempotency-key"),
        contentType: req.headers.get("content-type"),
        body,
      });
      return new Response("ok");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    close: () => server.shutdown(),
  };
}
