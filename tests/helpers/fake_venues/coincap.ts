/**
 * A fake CoinCap v3: REST `/v3/assets?ids=…` and `/v3/assets/{id}/history` with Bearer auth, and
 * the `/prices` WebSocket. Tests queue misbehaviours (401, 429 + Retry-After, 500, malformed
 * bodies, slow responses) and push WebSocket frames.
 * @module
 */
import { FakeWsAcceptor, type FakeWsConnection } from "./ws_server.ts";

/** A scripted response for the next REST request. */
export type Scripted = (req: Request) => Response | Promise<Response>;

/** A running fake CoinCap. */
export interface FakeCoinCap {
  readonly restUrl: string;
  readonly wsUrl: string;
  /** Every REST request, in order. */
  readonly requests: { url: URL; authorization: string | null }[];
  /** Current prices (decimal strings) by asset id. */
  readonly prices: Record<string, string>;
  /** Queues responses used before the default behaviour. */
  script(...responses: Scripted[]): void;
  /** A response held until {@linkcode FakeCoinCap.release} (a slow server). */
  slow(): Scripted;
  release(): void;
  /** WebSocket connections; `unauthorizedWs` makes new ones get CoinCap's `Unauthorized` frame. */
  readonly wsConnections: FakeWsConnection[];
  unauthorizedWs: boolean;
  /** When set, WebSocket upgrades are refused with this HTTP status. */
  refuseWsStatus: number | undefined;
  /** Upgrade requests seen (refused or not). */
  wsAttempts: number;
  close(): Promise<void>;
}

/** The `timestamp` of the n-th (0-based) default REST response. */
export const responseTime = (start: number, n: number) => start + n * 60_000;

/** Starts a fake CoinCap accepting `apiKey`; REST `timestamp`s start at `start` and step 60 s. */
export function startFakeCoinCap(apiKey: string, start: number): FakeCoinCap {
  const requests: FakeCoinCap["requests"] = [];
  const prices: Record<string, string> = { bitcoin: "43000.1234567890", ethereum: "2300.5" };
  const queue: Scripted[] = [];
  const gates: (() => void)[] = [];
  let served = 0;
  const fake = {} as FakeCoinCap;
  const ws = new FakeWsAcceptor({
    onConnect: (conn) => {
      if (fake.unauthorizedWs || conn.url.searchParams.get("apiKey") !== apiKey) {
        conn.send("Unauthorized: your plan does not include WebSocket access");
      }
    },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/prices") {
      fake.wsAttempts++;
      if (fake.refuseWsStatus) return new Response("Unauthorized", { status: fake.refuseWsStatus });
      return ws.accept(req, url);
    }
    requests.push({ url, authorization: req.headers.get("authorization") });
    const scripted = queue.shift();
    if (scripted) return await scripted(req);
    if (req.headers.get("authorization") !== `Bearer ${apiKey}`) {
      return Response.json({ error: "Unauthorized" }, { status: 401 });
    }
    const history = url.pathname.match(/^\/v3\/assets\/([a-z0-9-]+)\/history$/);
    if (history) {
      const from = Number(url.searchParams.get("start"));
      const to = Number(url.searchParams.get("end"));
      const data = [];
      for (let t = Math.ceil(from / 60_000) * 60_000; t < to; t += 60_000) {
        data.push({
          priceUsd: prices[history[1]] ?? "1",
          time: t,
          date: new Date(t).toISOString(),
        });
      }
      return Response.json({ data, timestamp: to });
    }
    if (url.pathname === "/v3/assets") {
      const ids = (url.searchParams.get("ids") ?? "").split(",");
      const data = ids.filter((id) => id in prices).map((id, i) => ({
        id,
        rank: String(i + 1),
        symbol: id.slice(0, 3).toUpperCase(),
        name: id,
        supply: "19000000.0",
        maxSupply: null,
        marketCapUsd: "1.0",
        volumeUsd24Hr: "1.0",
        priceUsd: prices[id],
        changePercent24Hr: "0.1",
        vwap24Hr: prices[id],
        explorer: null,
      }));
      return Response.json({ data, timestamp: responseTime(start, served++) });
    }
    return Response.json({ error: "not found" }, { status: 404 });
  });
  const port = (server.addr as Deno.NetAddr).port;
  return Object.assign(fake, {
    restUrl: `http://127.0.0.1:${port}/v3`,
    wsUrl: `ws://127.0.0.1:${port}/prices`,
    requests,
    prices,
    script: (...r: Scripted[]) => void queue.push(...r),
    slow: (): Scripted => () =>
      new Promise<Response>((resolve) =>
        gates.push(() => resolve(Response.json({ data: [], timestamp: start })))
      ),
    release: () => {
      for (const g of gates.splice(0)) g();
    },
    wsConnections: ws.connections,
    unauthorizedWs: false,
    refuseWsStatus: undefined,
    wsAttempts: 0,
    close: async () => {
      for (const g of gates.splice(0)) g();
      await ws.closeAll();
      await server.shutdown();
    },
  });
}

/** A scripted plain response. */
export function respond(status: number, body = "", headers: Record<string, string> = {}): Scripted {
  return () => new Response(body, { status, headers });
}
