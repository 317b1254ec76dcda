// The latency chart: an SVG drawn here (p50 and p99 of both latencies against the arrival rate,
// platform and floor, median runs, log-log axes) and screenshotted to PNG by headless Chromium.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { type BenchResult, P99_TARGET_MS, pickRuns } from './report.js';

const W = 1240;
const H = 590;
const PANEL_W = 500;
const PANEL_H = 400;
const TOP = 115;
const LEFTS = [90, 710];

interface Series {
  label: string;
  color: string;
  dash: string;
  points: Array<[number, number]>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function series(result: BenchResult, key: 'firstQuote' | 'fill'): Series[] {
  const out: Series[] = [];
  for (const [system, color] of [
    [result.platform, '#1f5fbf'],
    [result.floor, '#2f9e44'],
  ] as const) {
    if (!system) continue;
    for (const [pct, dash] of [
      ['p50', ''],
      ['p99', '6 4'],
    ] as const) {
      out.push({
        label: `${system.name} ${pct}`,
        color,
        dash,
        points: system.rates
          .map((r) => [r.rate, pickRuns(r).median.result[key][pct]] as [number, number])
          .filter(([, v]) => Number.isFinite(v) && v > 0),
      });
    }
  }
  return out;
}

function panel(left: number, title: string, all: Series[], rates: number[]): string {
  const xs = rates.length > 0 ? rates : [1, 10];
  const xMin = Math.log10(Math.min(...xs) / 1.3);
  const xMax = Math.log10(Math.max(...xs) * 1.3);
  const values = all.flatMap((s) => s.points.map(([, v]) => v));
  const yMin = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...values))));
  const yMax = Math.ceil(Math.log10(Math.max(100, ...values)));
  const x = (r: number) => left + ((Math.log10(r) - xMin) / (xMax - xMin)) * PANEL_W;
  const y = (v: number) => TOP + PANEL_H - ((Math.log10(v) - yMin) / (yMax - yMin)) * PANEL_H;
  const parts: string[] = [];
  parts.push(`<text x="${left + PANEL_W / 2}" y="${TOP - 14}" class="title">${esc(title)}</text>`);
  parts.push(`<rect x="${left}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" class="frame"/>`);
  for (let e = yMin; e <= yMax; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) > yMax) continue;
      parts.push(
        `<line x1="${left}" x2="${left + PANEL_W}" y1="${y(v)}" y2="${y(v)}" class="${m === 1 ? 'grid' : 'minor'}"/>`,
      );
      if (m === 1 || yMax - yMin <= 3)
        parts.push(`<text x="${left - 6}" y="${y(v) + 4}" class="ylab">${v >= 1 ? v : v.toFixed(1)}</text>`);
    }
  }
  for (const r of xs) {
    parts.push(`<line x1="${x(r)}" x2="${x(r)}" y1="${TOP}" y2="${TOP + PANEL_H}" class="minor"/>`);
    parts.push(`<text x="${x(r)}" y="${TOP + PANEL_H + 18}" class="xlab">${r}</text>`);
  }
  parts.push(
    `<line x1="${left}" x2="${left + PANEL_W}" y1="${y(P99_TARGET_MS)}" y2="${y(P99_TARGET_MS)}" class="target"/>`,
    `<text x="${left + 6}" y="${y(P99_TARGET_MS) - 5}" class="tlab">50 ms (p99 target)</text>`,
    `<text x="${left + PANEL_W / 2}" y="${TOP + PANEL_H + 40}" class="axis">RFQs per second (log)</text>`,
    `<text x="${left - 58}" y="${TOP + PANEL_H / 2}" class="axis" transform="rotate(-90 ${left - 58} ${TOP + PANEL_H / 2})">milliseconds (log)</text>`,
  );
  for (const s of all) {
    if (s.points.length === 0) continue;
    const d = s.points
      .map(([r, v], i) => `${i === 0 ? 'M' : 'L'}${x(r).toFixed(1)},${y(v).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5" stroke-dasharray="${s.dash}"/>`,
    );
    // p99 points hollow, so that a lone point (no line to show its dash) still says which it is.
    const fill = s.dash ? '#fff' : s.color;
    for (const [r, v] of s.points)
      parts.push(
        `<circle cx="${x(r)}" cy="${y(v)}" r="3.5" fill="${fill}" stroke="${s.color}" stroke-width="1.5"/>`,
      );
  }
  return parts.join('\n');
}

export function renderSvg(result: BenchResult): string {
  const rates = [
    ...new Set([...(result.platform?.rates ?? []), ...(result.floor?.rates ?? [])].map((r) => r.rate)),
  ].sort((a, b) => a - b);
  const quote = series(result, 'firstQuote');
  const fill = series(result, 'fill');
  const legend = quote
    .map(
      (s, i) =>
        `<line x1="${90 + i * 200}" x2="${130 + i * 200}" y1="62" y2="62" stroke="${s.color}" stroke-width="2.5" stroke-dasharray="${s.dash}"/>` +
        `<text x="${136 + i * 200}" y="66" class="legend">${esc(s.label)}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<style>
  text { font-family: 'DejaVu Sans', Arial, sans-serif; fill: #222; }
  .head { font-size: 18px; font-weight: bold; }
  .title { font-size: 15px; text-anchor: middle; font-weight: bold; }
  .legend { font-size: 13px; }
  .xlab { font-size: 12px; text-anchor: middle; }
  .ylab { font-size: 12px; text-anchor: end; }
  .axis { font-size: 13px; text-anchor: middle; }
  .tlab { font-size: 12px; text-anchor: start; fill: #c92a2a; }
  .frame { fill: none; stroke: #444; }
  .grid { stroke: #ccc; }
  .minor { stroke: #eee; }
  .target { stroke: #c92a2a; stroke-dasharray: 3 3; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="90" y="30" class="head">Latency by arrival rate: platform vs floor (median runs, ${esc(result.env.cpuModel)}, ${result.env.cores} cores)</text>
${legend}
${panel(LEFTS[0]!, 'RFQ submit → first quote on the taker’s socket', quote, rates)}
${panel(LEFTS[1]!, 'accept → fill confirmation on the taker’s socket', fill, rates)}
</svg>`;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Writes the PNG; returns a reason when it cannot (no Chromium), so the caller can warn. */
export async function writePng(svg: string, file: string): Promise<string | null> {
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: W, height: H }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
    await page.locator('svg').screenshot({ path: file });
    return null;
  } finally {
    await browser.close();
  }
}
