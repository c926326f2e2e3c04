// A small SVG line of closes. Only numbers reach its attributes.

const SVG = "http://www.w3.org/2000/svg";
const W = 120;
const H = 28;

/**
 * @param {readonly number[]} closes
 * @returns {SVGSVGElement}
 */
export function sparkline(closes) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", String(H));
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(SVG, "polyline");
  svg.appendChild(line);
  drawSparkline(svg, closes);
  return svg;
}

/**
 * Redraws `svg` with `closes`.
 * @param {SVGSVGElement} svg
 * @param {readonly number[]} closes
 */
export function drawSparkline(svg, closes) {
  const line = /** @type {SVGPolylineElement} */ (svg.firstChild);
  const xs = closes.filter(Number.isFinite);
  if (xs.length < 2) {
    line.setAttribute("points", "");
    return;
  }
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const span = hi - lo || 1;
  const points = xs.map((c, i) =>
    `${((i / (xs.length - 1)) * W).toFixed(1)},${(H - 2 - ((c - lo) / span) * (H - 4)).toFixed(1)}`
  );
  line.setAttribute("points", points.join(" "));
  svg.dataset.trend = xs[xs.length - 1] >= xs[0] ? "up" : "down";
}
