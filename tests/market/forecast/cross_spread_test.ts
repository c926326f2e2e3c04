import assert from "node:assert/strict";
import type { Candle } from "../../../src/market/candle.ts";
import { crossSpread, forecastCandle } from "../../../src/market/forecast/cross_spread.ts";
import { VenueWindowBook } from "../../../src/market/forecast/venue_window_book.ts";

const MIN = 60_000;

function candle(venue: string, close: number, o: Partial<Candle> = {}): Candle {
  return {
    venue,
    symbol: "BTC-USD",
    interval: "1m",
    window_start: 0,
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    volume: 2,
    vwap: close,
    trades: 3,
    first_ts: 0,
    last_ts: 1,
    version: 1,
    ...o,
  };
}

const venues = (...cs: Candle[]) => new Map(cs.map((c) => [c.venue, c]));

Deno.test("crossSpread() is ln(close / the others' mean), null without others", () => {
  assert.equal(crossSpread(101, [100, 102]), 0);
  assert.equal(crossSpread(110, [100]), Math.log(1.1));
  // 0.1 + 0.2 + 0.3 is not 0.6 in doubles; the mean is rounded once, whatever the order.
  assert.equal(crossSpread(0.2, [0.1, 0.2, 0.3]), crossSpread(0.2, [0.3, 0.1, 0.2]));
  assert.equal(crossSpread(0.2, [0.1, 0.2, 0.3]), 0);
  assert.equal(crossSpread(100, []), null);
});

Deno.test("forecastCandle() gives the composite the spread against its constituents' mean close", () => {
  const cb = candle("coinbase", 100);
  const kr = candle("kraken", 104, { version: 3 });
  const bs = candle("bitstamp", 150); // in the window, but excluded from the composite
  const comp = candle("composite", 101, { version: 4, constituents: ["coinbase", "kraken"] });
  const got = forecastCandle(comp, venues(cb, kr, bs))!;
  assert.equal(got.cross_spread, Math.log(101 / 102));
  assert.equal(got.version, 4, "the composite's own version");
  assert.equal(got.close, 101);
  // A constituent not held: nothing to forecast from.
  assert.equal(forecastCandle(comp, venues(cb)), null);
  // One constituent: no spread, the fields as they were.
  const single = candle("composite", 100, { constituents: ["coinbase"] });
  assert.deepEqual(forecastCandle(single, undefined), {
    window_start: 0,
    high: 101,
    low: 99,
    close: 100,
    volume: 2,
    version: 1,
  });
});

Deno.test("forecastCandle() gives a venue the spread against every other venue, their versions added", () => {
  const cb = candle("coinbase", 100, { version: 2 });
  const kr = candle("kraken", 103);
  const bs = candle("bitstamp", 106, { version: 5 });
  const got = forecastCandle(kr, venues(cb, kr, bs))!;
  assert.equal(got.cross_spread, Math.log(103 / 103));
  assert.equal(got.version, 1 + 2 + 5);
  const alone = forecastCandle(kr, venues(kr))!;
  assert.equal("cross_spread" in alone, false);
  assert.equal(alone.version, 1);
  assert.equal(forecastCandle(kr, undefined), null, "a window not held");
});

Deno.test("VenueWindowBook keeps each venue's latest candle of the revisable windows", () => {
  const book = new VenueWindowBook({ revisable: 3 });
  assert.equal(book.add(candle("composite", 1), MIN), false, "the composite is not a venue");
  assert.equal(book.add(candle("legacy", 1), MIN), false);
  assert.equal(book.add(candle("kraken", 100), MIN), true);
  assert.equal(book.add(candle("kraken", 100), MIN), false, "a redelivery");
  assert.equal(book.add(candle("kraken", 101, { version: 2 }), MIN), true);
  assert.equal(book.add(candle("kraken", 99), MIN), false, "an older version");
  assert.equal(book.add(candle("coinbase", 98), MIN), true);
  assert.deepEqual(
    [...book.window("BTC-USD", "1m", 0)!.values()].map((c) => [c.venue, c.close]),
    [["kraken", 101], ["coinbase", 98]],
  );
  // Window 3 is `revisable` intervals after window 0: 0 is dropped and refused from then on.
  assert.equal(book.add(candle("kraken", 100, { window_start: 3 * MIN }), MIN), true);
  assert.equal(book.window("BTC-USD", "1m", 0), undefined);
  assert.equal(book.add(candle("kraken", 100, { window_start: 0, version: 3 }), MIN), false);
  assert.equal(book.add(candle("kraken", 100, { window_start: MIN }), MIN), true);
  assert.equal(book.window("BTC-USD", "5m", MIN), undefined, "another interval");
});

Deno.test("VenueWindowBook forgets the (symbol, interval) whose newest window is oldest", () => {
  const book = new VenueWindowBook({ maxSeries: 2 });
  book.add(candle("kraken", 1, { symbol: "A-USD", window_start: 5 * MIN }), MIN);
  book.add(candle("kraken", 1, { symbol: "B-USD", window_start: 2 * MIN }), MIN);
  book.add(candle("kraken", 1, { symbol: "C-USD", window_start: 9 * MIN }), MIN);
  assert.equal(book.window("B-USD", "1m", 2 * MIN), undefined);
  assert.ok(book.window("A-USD", "1m", 5 * MIN));
  assert.ok(book.window("C-USD", "1m", 9 * MIN));
});
