import assert from "node:assert/strict";
import { observeCloseLag } from "../../actors/sinks/window_close_lag.ts";

Deno.test("window close lag: acknowledgement time minus window end plus allowed lateness", () => {
  const seen: number[] = [];
  const start = Date.UTC(2026, 0, 1, 12, 0);
  // A 1m window [12:00, 12:01) closes when the watermark passes 12:01, i.e. at 12:01:02 with 2 s
  // of allowed lateness; acknowledged at 12:01:02.035 → 35 ms.
  const ack = Date.UTC(2026, 0, 1, 12, 1, 2, 35);
  observeCloseLag(
    [
      { interval: "1m", window_start: start, version: 1 },
      { interval: "10s", window_start: Date.UTC(2026, 0, 1, 12, 0, 40), version: 1 }, // 10.035 s
      { interval: "1m", window_start: start, version: 2 }, // a revision: not a close
      { interval: "tick", window_start: start }, // a tick-level alert: no window
      { interval: "1h", window_start: start }, // an alert of a window not closed yet: 0
    ],
    ack,
    2000,
    (s) => seen.push(s),
  );
  assert.deepEqual(seen, [0.035, 10.035, 0]);
});
