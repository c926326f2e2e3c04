/**
 * The evaluation report as Markdown tables.
 * @module
 */
import type { RunningMean } from "../src/market/forecast/evaluation_metrics.ts";
import type { EvaluationReport, VolModel } from "../src/market/forecast/walk_forward.ts";

const VOL_NAMES: Record<VolModel, string> = {
  ewma: "EWMA (RiskMetrics)",
  garch: "GARCH(1,1)",
  squared_return: "baseline: last squared return",
};

/** Two tables (returns, volatility) and a line of counts. */
export function evaluationTable(r: EvaluationReport, lambda: number): string {
  const e = (x: number) => x.toExponential(4);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const [lo, hi] = r.direction.interval;
  const lines = [
    `${r.scored} walk-forward forecasts over ${r.keys} series`,
    "",
    "| return forecast | MAE | RMSE | direction hit rate (95 % Wilson) | Brier (P up) |",
    "| --- | --- | --- | --- | --- |",
    `| ridge | ${e(r.ridge.mae)} | ${e(r.ridge.rmse)} | ${pct(r.direction.accuracy)} [${pct(lo)}, ${
      pct(hi)
    }] of ${r.direction.n} | ${r.brier.mean.toFixed(4)} |`,
    `| baseline: zero return | ${e(r.zero.mae)} | ${e(r.zero.rmse)} | up share ${
      pct(r.upShare)
    } | 0.2500 (P = ½) |`,
    "",
    "| volatility forecast | mean QLIKE | Δ QLIKE vs EWMA (± 2 s.e.) | MSE of variance | floored |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const m of ["ewma", "garch", "squared_return"] as const) {
    const name = m === "ewma" ? `${VOL_NAMES[m]} λ = ${lambda}` : VOL_NAMES[m];
    const delta = m === "ewma" ? "—" : diff(r.qlikeVsEwma[m]);
    const mse = r.varianceMse[m].mean.toExponential(4);
    lines.push(`| ${name} | ${r.qlike[m].mean.toFixed(4)} | ${delta} | ${mse} | ${r.floored[m]} |`);
  }
  lines.push(
    "",
    `GARCH: ${r.garchFits} fits; ${r.garchFallbacks} of ${r.scored} forecasts served by EWMA ` +
      `(${pct(r.scored === 0 ? 0 : r.garchFallbacks / r.scored)}${
        reasons(r)
      }). Lower QLIKE, MAE, RMSE and ` +
      `Brier are better; Δ < 0 beats EWMA.`,
    "",
    `Learned anomaly score (Half-Space Trees): ${r.anomalyScored} candles scored; ` +
      `${r.anomalyOver3} at ≥ 3 bits (warning), ${r.anomalyOver6} at ≥ 6 bits (critical) — ` +
      `${perThousand(r.anomalyOver3, r.anomalyScored)} and ${
        perThousand(r.anomalyOver6, r.anomalyScored)
      } per 1 000 candles, before the cooldown.`,
  );
  return lines.join("\n");
}

function perThousand(n: number, of: number): string {
  return of === 0 ? "—" : (1000 * n / of).toFixed(1);
}

function reasons(r: EvaluationReport): string {
  const parts = Object.entries(r.garchFallbackReasons).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? "" : `: ${parts.join(", ")}`;
}

/** Mean difference ± 2 standard errors (iid; forecasts overlap in time, so read it as a guide). */
function diff(d: RunningMean): string {
  const se = d.sd / Math.sqrt(d.n);
  const sign = d.mean >= 0 ? "+" : "−";
  return `${sign}${Math.abs(d.mean).toFixed(4)} ± ${(2 * se).toFixed(4)}`;
}
