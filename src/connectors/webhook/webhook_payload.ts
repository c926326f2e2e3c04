/**
 * The JSON an alert is POSTed as: Slack's incoming-webhook shape (`text` plus `blocks`), with the
 * alert's own fields alongside for generic receivers (Slack ignores fields it does not know).
 * @module
 */
import type { Alert } from "../../market/alert.ts";

const EMOJI = { info: ":information_source:", warning: ":warning:", critical: ":rotating_light:" };

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function slackEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The webhook body for one alert. */
export function webhookPayload(alert: Alert): Record<string, unknown> {
  const when = new Date(alert.window_start).toISOString();
  const text =
    `${EMOJI[alert.severity] ?? ""} [${alert.severity}] ${alert.symbol} ${alert.rule}: ` +
    `${alert.message}`;
  return {
    text: slackEscape(text),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: slackEscape(text) } },
      {
        type: "context",
        elements: [{
          type: "mrkdwn",
          text: slackEscape(
            `${alert.interval} window ${when} · value ${alert.value} · threshold ${alert.threshold}`,
          ),
        }],
      },
    ],
    ...alert,
    window_start_iso: when,
  };
}
