import { percentile } from './stats';

export interface ChartSeries {
  label: string;
  /** Ascending. */
  latenciesMs: number[];
}

const WIDTH = 800;
const HEIGHT = 450;
const MARGIN = { top: 40, right: 30, bottom: 50, left: 60 };
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'];
/** Points per curve: enough for a smooth line, few enough for a small file. */
const STEPS = 200;

/** A step of 1, 2 or 5 × 10^n that cuts `range` into about `count` intervals. */
function niceStep(range: number, count: number): number {
  const rough = range / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].find((m) => m * power >= rough) ?? 10;
  return step * power;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The latency distributions as cumulative curves (x: latency, y: share of requests done by
 * then), one per series, in a self-contained SVG.
 */
export function latencyCdfSvg(title: string, series: ChartSeries[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxMs = Math.max(...series.map((s) => s.latenciesMs.at(-1) ?? 0), 1);
  const step = niceStep(maxMs, 8);
  const xMax = Math.ceil(maxMs / step) * step;
  const x = (ms: number) => MARGIN.left + (ms / xMax) * plotWidth;
  const y = (share: number) => MARGIN.top + (1 - share) * plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let ms = 0; ms <= xMax; ms += step) {
    parts.push(
      `<line x1="${x(ms)}" y1="${y(0)}" x2="${x(ms)}" y2="${y(1)}" stroke="#eee"/>`,
      `<text x="${x(ms)}" y="${y(0) + 16}" text-anchor="middle">${ms === 0 ? '0' : ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`,
    );
  }
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${x(0)}" y1="${y(share)}" x2="${x(xMax)}" y2="${y(share)}" stroke="#eee"/>`,
      `<text x="${x(0) - 6}" y="${y(share) + 4}" text-anchor="end">${share * 100}%</text>`,
    );
  }
  parts.push(
    `<rect x="${x(0)}" y="${y(1)}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 12}" text-anchor="middle">latency (from firing to the last byte)</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">requests completed</text>`,
  );
  const legendTop = y(0) - 32 - (series.length - 1) * 18;
  parts.push(
    `<rect x="${x(xMax) - 308}" y="${legendTop}" width="300" height="${series.length * 18 + 8}" fill="white" fill-opacity="0.85"/>`,
  );
  series.forEach(({ label, latenciesMs }, i) => {
    const color = COLORS[i % COLORS.length];
    const points = Array.from({ length: STEPS + 1 }, (_, step) => {
      const share = step / STEPS;
      const ms = percentile(latenciesMs, share * 100);
      return `${x(ms).toFixed(1)},${y(share).toFixed(1)}`;
    });
    const legendY = y(0) - 20 - (series.length - 1 - i) * 18;
    const p99 = percentile(latenciesMs, 99);
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`,
      `<line x1="${x(xMax) - 300}" y1="${legendY}" x2="${x(xMax) - 280}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${x(xMax) - 274}" y="${legendY + 4}">${escapeXml(`${label} (p99 ${p99.toFixed(0)} ms)`)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
