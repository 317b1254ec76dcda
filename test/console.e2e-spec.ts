import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiError, RfqClient } from '@app/sdk';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Platform, startPlatform } from './support/platform.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

// Headless Chromium from the distribution package (apt-get install chromium); no browser download.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The screenshot goes to docs/console.png only when asked (UPDATE_SCREENSHOT=1), so that a test run
// leaves the working tree clean; otherwise to the temp directory.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(process.cwd(), 'docs', 'console.png')
  : join(tmpdir(), 'rfq-console.png');

/** The admin console in a real browser, against the built apps running as separate processes. */
describe('admin console (headless Chromium)', () => {
  let env: TestEnv;
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let admin: RfqClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv('console');
    [platform, browser] = await Promise.all([
      startPlatform(env, { quoter: true }),
      chromium.launch({
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
      }),
    ]);
    admin = platform.client('admin');
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await env?.drop();
  });

  /** A taker's RFQ quoted by maker-foxtrot around the mark, and accepted: one fill. */
  const trade = async (
    taker: string,
    instrument: string,
    side: 'BUY' | 'SELL',
    quantity: string,
    edge: number,
  ) => {
    const info = (await admin.instrument(instrument)) as { markPrice: string | null; tickSize: string };
    const tick = Number(info.tickSize);
    const mark = Number(info.markPrice ?? '0') || 1000;
    const at = (p: number) => String(Math.max(tick, Math.round(p / tick) * tick));
    const client = platform.client(taker);
    // The structure is the long instrument; the taker buys or sells it.
    const rfq = await client.createRfq({
      legs: [{ instrument, side: 'BUY' }],
      quantity,
      expiresInSeconds: 60,
    });
    const quote = await platform.client('maker-foxtrot').submitQuote({
      rfqId: rfq.id,
      bid: { price: at(mark * (1 - edge)), quantity },
      ask: { price: at(mark * (1 + edge)), quantity },
      validForSeconds: 30,
    });
    const execution = await client.accept(rfq.id, { quoteId: quote.id, side });
    return { rfq, quote, fill: execution.fills[0]! };
  };

  it('signs in with the admin key, shows trades live, and freezes and unfreezes from the UI', async () => {
    const { baseUrl } = platform;
    const page0 = await fetch(`${baseUrl}/console`);
    expect(page0.status).toBe(200);
    expect(page0.headers.get('content-type')).toMatch(/text\/html/);
    expect(page0.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${baseUrl}/console/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${baseUrl}/console/app.css`)).headers.get('content-type')).toMatch(/text\/css/);

    // A trader's key is refused by the console's admin reads.
    await expect(platform.client('taker-alpha').admin('makers/inventory')).rejects.toMatchObject({
      status: 403,
    });

    // Sign in.
    const key = platform.keys.get('admin')!;
    await page.goto(`${baseUrl}/console`);
    await page.fill('#key-id', key.keyId);
    await page.fill('#key-secret', key.secret);
    await page.click('#login-submit');
    await page.waitForSelector('#app:not([hidden])');
    await waitText(page, '#stat-platform .stat-value', 'Trading');
    await waitText(page, '#stat-audit .stat-value', 'Verified');

    // Trades through the API appear in the blotter (RFQ, quote and fill rows).
    const instruments = (await admin.instruments()).data;
    const pick = (prefix: string, suffix: string) =>
      instruments.find((i) => i.name.startsWith(prefix) && i.name.endsWith(suffix))!.name;
    const btcCall = pick('BTC-', '-100000-C');
    const first = await trade('taker-alpha', btcCall, 'BUY', '1', 0.02);
    for (const [kind, id] of [
      ['rfq', first.rfq.id],
      ['quote', first.quote.id],
      ['fill', first.fill.id],
    ])
      await page.waitForSelector(`#blotter tr[data-kind="${kind}"][data-id="${id}"]`, { timeout: 10_000 });
    const row = await text(page, `#blotter tr[data-kind="fill"][data-id="${first.fill.id}"]`);
    expect(row).toContain(btcCall);
    expect(row).toContain('taker-alpha ⇄ maker-foxtrot');

    // A few more, spaced out, for the inventory and the chart.
    const btcPut = pick('BTC-', '-90000-P');
    const ethCall = instruments.find((i) => i.name.startsWith('ETH-') && i.name.endsWith('-C'))!.name;
    const more = [];
    for (const [taker, instrument, side, quantity, edge] of [
      ['taker-bravo', btcPut, 'SELL', '2', 0.015],
      ['taker-alpha', ethCall, 'BUY', '5', 0.025],
      ['taker-charlie', btcCall, 'SELL', '0.5', 0.01],
    ] as const) {
      await new Promise((r) => setTimeout(r, 1_500));
      more.push(await trade(taker, instrument, side, quantity, edge));
    }
    await page.waitForSelector(`#blotter tr[data-kind="fill"][data-id="${more[2]!.fill.id}"]`, {
      timeout: 10_000,
    });

    // Inventory: the maker's book with Greeks and limits, as the console's endpoint reports it.
    const inventory = await admin.admin<{
      data: Array<{
        name: string;
        fills: number;
        positions: Array<{ instrument: string; quantity: string; greeks: { delta: number } | null }>;
        risk: Array<{ underlying: string; delta: number; limits: Record<string, number | null> }>;
      }>;
    }>('makers/inventory');
    const foxtrot = inventory.data.find((m) => m.name === 'maker-foxtrot')!;
    expect(foxtrot.fills).toBe(4);
    expect(foxtrot.positions.find((p) => p.instrument === btcCall)?.quantity).toBe('-0.5');
    expect(foxtrot.positions.find((p) => p.instrument === btcPut)?.quantity).toBe('2');
    expect(foxtrot.risk.map((r) => r.underlying)).toEqual(['BTC', 'ETH']);
    const echo = inventory.data.find((m) => m.name === 'maker-echo')!;
    expect(echo.risk.find((r) => r.underlying === 'BTC')?.limits.maxAbsDelta).toBe(50);
    await page.waitForSelector('.maker[data-maker="maker-foxtrot"] details.positions');

    // P&L history: one point per fill; at a fill, valued at its own trade prices, P&L moved by −fee.
    const history = await admin.admin<{
      points: Array<{ event: string; ref: string | null; pnl: string; cash: string }>;
    }>('makers/maker-foxtrot/pnl-history');
    const events = history.points.map((p) => p.event);
    expect([events[0], events.at(-1)]).toEqual(['START', 'NOW']);
    expect(events.filter((e) => e === 'FILL')).toHaveLength(4); // hedges, if any, are points too
    expect(history.points[0]!.pnl).toBe('0');
    const atFirst = history.points.find((p) => p.ref === first.fill.id)!;
    expect(Number(atFirst.pnl)).toBeCloseTo(-Number(first.fill.makerFee ?? 0), 8);
    await page.selectOption('#chart-maker', 'maker-foxtrot');
    await page.waitForSelector('#chart svg path.line');
    expect(await page.locator('#chart circle.pt.fill').count()).toBe(4);

    // Kill switch from the UI: freeze the platform; the API then refuses a new RFQ.
    await page.fill('#control-reason', 'console e2e: incident drill');
    await page.click('#freeze-platform');
    await page.waitForSelector('#modal:not([hidden])');
    await page.click('#modal-confirm');
    await waitText(page, '#stat-platform .stat-value', 'FROZEN');
    const refused = await platform
      .client('taker-alpha')
      .createRfq({ legs: [{ instrument: btcCall, side: 'BUY' }], quantity: '1', expiresInSeconds: 60 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 409, code: 'CONTROL.FROZEN_PLATFORM' });
    expect(await text(page, '#controls-list')).toContain('incident drill');

    // Unfreeze from the UI: trading resumes.
    await page.click('#unfreeze-platform');
    await page.click('#modal-confirm');
    await waitText(page, '#stat-platform .stat-value', 'Trading');
    const again = await platform
      .client('taker-alpha')
      .createRfq({ legs: [{ instrument: btcCall, side: 'BUY' }], quantity: '1', expiresInSeconds: 60 });
    expect(again.state).toBe('OPEN');

    // A scoped freeze (one underlying) stays on for the screenshot, then is lifted from its list entry.
    await page.selectOption('#underlying-select', 'ETH');
    await page.fill('#control-reason', 'ETH index feed under review');
    await page.click('#freeze-underlying');
    await page.click('#modal-confirm');
    await page.waitForSelector('#controls-list li[data-scope="UNDERLYING"][data-target="ETH"]');
    await page.click('#verify-now');
    await waitText(page, '#stat-audit .stat-value', 'Verified');
    await page.click('.maker[data-maker="maker-foxtrot"] details.positions summary');
    await new Promise((r) => setTimeout(r, 5_000)); // the toasts fade, the live P&L moves on
    // Nothing overflows sideways at 1440 px; the screenshot is the whole page at that width.
    const size = await page.evaluate<{ width: number; height: number }>(
      '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
    );
    expect(size.width).toBe(1440);
    await page.setViewportSize({ width: 1440, height: size.height });
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    await page.click('#controls-list li[data-scope="UNDERLYING"] button');
    await page.click('#modal-confirm');
    await page.waitForSelector('#controls-list li.none');
    const audit = await admin.admin<{ data: Array<{ action: string }> }>('audit?entityType=control');
    expect(audit.data.map((a) => a.action)).toEqual([
      'control.unfrozen',
      'control.frozen',
      'control.unfrozen',
      'control.frozen',
    ]);
    expect(pageErrors).toEqual([]);
  });
});

const text = async (page: Page, selector: string) => (await page.textContent(selector))?.trim() ?? '';
const waitText = (page: Page, selector: string, expected: string) =>
  page.locator(selector, { hasText: new RegExp(`^\\s*${expected}\\s*$`) }).waitFor({ timeout: 10_000 });
