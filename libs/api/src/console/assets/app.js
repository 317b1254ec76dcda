// RFQ platform admin console: plain browser JavaScript, no build step, no dependencies.
//
// Every call is a signed REST request, exactly like any API client's: X-Api-Key, X-Api-Timestamp (ms) and
// X-Api-Signature = hex HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body). The key id and
// secret the operator types in are kept in sessionStorage (this tab only) and the secret never leaves the
// browser. Data is polled: the blotter every second, everything else less often.

const $ = (id) => document.getElementById(id);
const SESSION_KEY = 'rfq-console-credentials';

// ---------------------------------------------------------------------------------------------------
// Signing

const encoder = new TextEncoder();
const subtleKeys = new Map();

function hex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

async function hmacHex(secret, message) {
  // WebCrypto exists only in secure contexts (https, or http on localhost); elsewhere the fallback below.
  if (globalThis.crypto && crypto.subtle) {
    let key = subtleKeys.get(secret);
    if (!key) {
      key = await crypto.subtle.importKey(
        'raw',
        encoder.encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      subtleKeys.set(secret, key);
    }
    return hex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message))));
  }
  return hex(hmacSha256(encoder.encode(secret), encoder.encode(message)));
}

// FIPS 180-4 SHA-256 and RFC 2104 HMAC, for pages served over plain http to a non-local address.
const ror = (x, n) => (x >>> n) | (x << (32 - n));
const PRIMES = [];
for (let n = 2; PRIMES.length < 64; n++) if (PRIMES.every((p) => n % p !== 0)) PRIMES.push(n);
const frac32 = (x) => Math.floor((x - Math.floor(x)) * 0x100000000) >>> 0;
const K = Uint32Array.from(PRIMES, (p) => frac32(Math.cbrt(p)));
const H0 = Uint32Array.from(PRIMES.slice(0, 8), (p) => frac32(Math.sqrt(p)));

function sha256(bytes) {
  const length = bytes.length;
  const padded = new Uint8Array(((length + 72) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor((length * 8) / 0x100000000));
  view.setUint32(padded.length - 4, (length * 8) >>> 0);
  const h = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((v, i) => outView.setUint32(i * 4, v));
  return out;
}

function hmacSha256(key, message) {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

// ---------------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let credentials = null;
let lastTimestamp = 0;
let clockOffsetMs = 0;

/** The server's Date header (1 s resolution) corrects a browser clock that is off by more than 5 s. */
function syncClock(response) {
  const date = Date.parse(response.headers.get('date') || '');
  if (Number.isNaN(date)) return;
  const skew = date + 500 - (Date.now() + clockOffsetMs);
  if (Math.abs(skew) > 5000) clockOffsetMs += skew;
}

async function api(method, path, body) {
  if (!credentials) throw new ApiError(401, 'AUTH.MISSING', 'not signed in');
  const text = body === undefined ? '' : JSON.stringify(body);
  // Strictly increasing: the platform refuses a signature it has already seen.
  lastTimestamp = Math.max(Math.round(Date.now() + clockOffsetMs), lastTimestamp + 1);
  const timestamp = String(lastTimestamp);
  const headers = {
    'x-api-key': credentials.keyId,
    'x-api-timestamp': timestamp,
    'x-api-signature': await hmacHex(credentials.secret, timestamp + method + path + text),
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : text,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the gateway does not answer');
  }
  syncClock(response);
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = json.error || {};
    throw new ApiError(
      response.status,
      error.code || 'HTTP_' + response.status,
      error.message || response.statusText,
    );
  }
  return json;
}

// ---------------------------------------------------------------------------------------------------
// Formatting and DOM helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  for (const child of children.flat())
    if (child) node.append(child instanceof Node ? child : document.createTextNode(child));
  return node;
}

const numberFormats = new Map();
function fmt(value, digits = 2, minDigits = digits) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '—';
  const key = digits + ':' + minDigits;
  if (!numberFormats.has(key))
    numberFormats.set(
      key,
      new Intl.NumberFormat('en-US', { minimumFractionDigits: minDigits, maximumFractionDigits: digits }),
    );
  return numberFormats.get(key).format(n);
}
const fmtPrice = (v) => fmt(v, 4, 0);
const fmtQty = (v) => fmt(v, 8, 0);
const fmtSigned = (v, digits = 2) => (Number(v) > 0 ? '+' : '') + fmt(v, digits);
const tone = (v) => (Number(v) > 0 ? 'pos' : Number(v) < 0 ? 'neg' : '');
function fmtGreek(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '—';
  if (n === 0) return '0';
  if (Math.abs(n) < 0.01) return n.toExponential(2);
  return fmt(n, Math.abs(n) >= 1000 ? 0 : 3, 0);
}
function fmtCompact(v) {
  const n = Math.abs(v);
  if (n >= 1e6) return fmt(v / 1e6, 2, 0) + 'M';
  if (n >= 1e4) return fmt(v / 1e3, 1, 0) + 'k';
  return fmt(v, n < 10 ? 2 : 0, 0);
}
const pad2 = (n) => String(n).padStart(2, '0');
function clock(iso, withMs) {
  const d = new Date(iso);
  const base = pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  return withMs ? base + '.' + String(d.getMilliseconds()).padStart(3, '0') : base;
}
const shortId = (id) => (id ? String(id).slice(0, 8) : '');

const STATE_TONE = {
  OPEN: 'info',
  LIVE: 'info',
  PARTIALLY_FILLED: 'warn',
  FILLED: 'good',
  BOOKED: 'good',
  REJECTED: 'bad',
  FAILED: 'bad',
};
const pill = (text, kind) =>
  el('span', { class: 'pill ' + (kind || STATE_TONE[text] || '') }, text.replace(/_/g, ' '));

function toast(text, kind) {
  const node = el('div', { class: 'toast ' + (kind || '') }, text);
  $('toasts').append(node);
  setTimeout(() => node.remove(), 4500);
}

function setStat(id, { value, sub, level, title }) {
  const node = $(id);
  node.dataset.tone = level || '';
  node.querySelector('.stat-value').textContent = value;
  node.querySelector('.stat-sub').textContent = sub || '\u00a0';
  node.title = title || '';
}

// ---------------------------------------------------------------------------------------------------
// State shared by the panels

const state = {
  accounts: new Map(), // id -> { id, name, role }
  underlyings: [],
  blotter: new Map(), // 'kind:id' -> item
  blotterSeen: new Set(),
  blotterFilter: 'all',
  controls: [],
  inventory: [],
  chartMaker: null,
};
const accountName = (id) => (id ? state.accounts.get(id)?.name || shortId(id) : '—');

// ---------------------------------------------------------------------------------------------------
// Blotter: the latest RFQs, quotes and fills, merged and newest first

const BLOTTER_PAGE = 30;
const BLOTTER_KEEP = 150;

async function loadBlotter() {
  const [rfqs, quotes, trades] = await Promise.all([
    api('GET', '/v1/admin/rfqs?limit=' + BLOTTER_PAGE),
    api('GET', '/v1/admin/quotes?limit=' + BLOTTER_PAGE),
    api('GET', '/v1/admin/trades?limit=' + BLOTTER_PAGE),
  ]);
  for (const r of rfqs.data)
    state.blotter.set('rfq:' + r.id, { kind: 'rfq', id: r.id, at: r.createdAt, data: r });
  for (const q of quotes.data)
    state.blotter.set('quote:' + q.id, { kind: 'quote', id: q.id, at: q.createdAt, data: q });
  for (const t of trades.data)
    state.blotter.set('fill:' + t.id, { kind: 'fill', id: t.id, at: t.createdAt, data: t });
  const sorted = [...state.blotter.values()].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  for (const old of sorted.slice(BLOTTER_KEEP)) state.blotter.delete(old.kind + ':' + old.id);
  renderBlotter(sorted.slice(0, BLOTTER_KEEP));
}

function structure(legs) {
  if (!legs || legs.length === 0) return '';
  if (legs.length === 1) return legs[0].instrument;
  return legs
    .map(
      (l) =>
        (l.side === 'BUY' ? '+' : '−') + (l.ratio && l.ratio !== '1' ? l.ratio + '×' : '') + l.instrument,
    )
    .join('  ');
}
const sideCell = (side) =>
  side ? el('span', { class: side === 'BUY' ? 'side-buy' : 'side-sell' }, side) : '';

function blotterCells(item) {
  const d = item.data;
  if (item.kind === 'rfq') {
    const filled = d.filledQuantity && d.filledQuantity !== '0' ? fmtQty(d.filledQuantity) + ' / ' : '';
    return {
      structure: structure(d.legs),
      side:
        d.legs.length === 1
          ? sideCell(d.legs[0].side)
          : el('span', { class: 'muted' }, d.legs.length + ' legs'),
      qty: filled + fmtQty(d.quantity),
      price: '',
      state: d.state,
      account: accountName(d.takerId),
    };
  }
  if (item.kind === 'quote') {
    const rfq = state.blotter.get('rfq:' + d.rfqId);
    const price = (s) => (s ? fmtPrice(s.price) : '—');
    const size = (s) => (s ? fmtQty(s.remaining) : '—');
    return {
      structure: rfq ? structure(rfq.data.legs) : 'RFQ ' + shortId(d.rfqId),
      side: el('span', { class: 'muted' }, d.bid && d.ask ? 'two-way' : d.bid ? 'bid' : 'ask'),
      qty: size(d.bid) + ' × ' + size(d.ask),
      price: price(d.bid) + ' / ' + price(d.ask),
      state: d.state,
      account: accountName(d.makerId),
    };
  }
  return {
    structure: structure(d.legs),
    side: sideCell(d.side),
    qty: fmtQty(d.quantity),
    price: fmtPrice(d.price),
    state: d.state,
    account: accountName(d.takerId) + ' ⇄ ' + accountName(d.makerId),
  };
}

function renderBlotter(items) {
  const body = $('blotter').tBodies[0];
  const visible = items.filter((i) => state.blotterFilter === 'all' || i.kind === state.blotterFilter);
  const firstRender = state.blotterSeen.size === 0;
  const rows = visible.slice(0, 100).map((item) => {
    const key = item.kind + ':' + item.id;
    const fresh = !firstRender && !state.blotterSeen.has(key);
    const c = blotterCells(item);
    return el(
      'tr',
      { class: fresh ? 'fresh' : '', dataset: { kind: item.kind, id: item.id } },
      el('td', { class: 'time', title: item.at }, clock(item.at, true)),
      el('td', {}, el('span', { class: 'badge ' + item.kind }, item.kind.toUpperCase())),
      el('td', { class: 'id', title: item.id }, shortId(item.id)),
      el('td', { class: 'structure', title: c.structure }, c.structure),
      el('td', {}, c.side),
      el('td', { class: 'num' }, c.qty),
      el('td', { class: 'num' }, c.price),
      el('td', {}, pill(c.state)),
      el('td', {}, c.account),
    );
  });
  for (const item of items) state.blotterSeen.add(item.kind + ':' + item.id);
  body.replaceChildren(...rows);
  $('blotter-empty').hidden = rows.length > 0;
  const counts = { rfq: 0, quote: 0, fill: 0 };
  for (const i of items) counts[i.kind]++;
  $('blotter-meta').textContent =
    counts.rfq +
    ' RFQs · ' +
    counts.quote +
    ' quotes · ' +
    counts.fill +
    ' fills · ' +
    clock(new Date().toISOString());
}

// ---------------------------------------------------------------------------------------------------
// Kill switches and active freezes

const isActive = (c) => c.frozen && (!c.until || Date.parse(c.until) > Date.now());

async function loadControls() {
  const res = await api('GET', '/v1/admin/controls');
  state.controls = res.data.filter(isActive);
  renderControls();
}

function describeControl(c) {
  if (c.scope === 'PLATFORM') return 'Whole platform';
  if (c.scope === 'ACCOUNT') return accountName(c.target);
  return c.target;
}

function renderControls() {
  const platform = state.controls.find((c) => c.scope === 'PLATFORM');
  const others = state.controls.filter((c) => c.scope !== 'PLATFORM');
  setStat('stat-platform', {
    value: platform ? 'FROZEN' : 'Trading',
    sub: platform
      ? (platform.reason || 'no reason given') + (platform.until ? ' · until ' + clock(platform.until) : '')
      : others.length
        ? others.length + ' scoped freeze' + (others.length > 1 ? 's' : '') + ' active'
        : 'No freeze active',
    level: platform ? 'bad' : others.length ? 'warn' : 'good',
  });
  const platformPill = $('platform-pill');
  platformPill.className = 'pill ' + (platform ? 'bad' : 'good');
  platformPill.textContent = platform ? 'Frozen' : 'Trading';
  $('freeze-platform').disabled = Boolean(platform);
  $('unfreeze-platform').disabled = !platform;

  const list = $('controls-list');
  if (state.controls.length === 0) {
    list.replaceChildren(el('li', { class: 'none' }, 'Nothing is frozen.'));
  } else {
    list.replaceChildren(
      ...state.controls.map((c) =>
        el(
          'li',
          { dataset: { scope: c.scope, target: c.target } },
          pill(c.scope, 'bad'),
          el(
            'div',
            {},
            el('div', { class: 'what' }, describeControl(c)),
            el(
              'div',
              { class: 'why', title: c.reason || '' },
              (c.reason || 'no reason given') +
                ' · since ' +
                clock(c.updatedAt) +
                (c.until ? ' · until ' + clock(c.until) : ''),
            ),
          ),
          el(
            'button',
            {
              type: 'button',
              class: 'btn ok small',
              onclick: () => setControl('unfreeze', c.scope, c.target),
            },
            'Unfreeze',
          ),
        ),
      ),
    );
  }
  $('controls-meta').textContent = state.controls.length ? state.controls.length + ' active' : '';
}

function confirmDialog({ title, body, confirmLabel, danger }) {
  return new Promise((resolve) => {
    $('modal-title').textContent = title;
    $('modal-body').textContent = body;
    const ok = $('modal-confirm');
    ok.textContent = confirmLabel;
    ok.className = 'btn ' + (danger ? 'danger' : 'ok');
    $('modal').hidden = false;
    ok.focus();
    const done = (answer) => {
      $('modal').hidden = true;
      ok.onclick = null;
      $('modal-cancel').onclick = null;
      document.removeEventListener('keydown', onKey);
      resolve(answer);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') done(false);
    };
    ok.onclick = () => done(true);
    $('modal-cancel').onclick = () => done(false);
    document.addEventListener('keydown', onKey);
  });
}

async function setControl(action, scope, target) {
  const what =
    scope === 'PLATFORM'
      ? 'the whole platform'
      : scope === 'ACCOUNT'
        ? 'account ' + accountName(target)
        : 'underlying ' + target;
  const seconds = action === 'freeze' ? Number($('control-duration').value) || undefined : undefined;
  const reason = $('control-reason').value.trim();
  const freeze = action === 'freeze';
  const ok = await confirmDialog({
    title: (freeze ? 'Freeze ' : 'Unfreeze ') + what + '?',
    body: freeze
      ? 'No new RFQs, quotes or fills will be accepted for ' +
        what +
        (seconds ? ' for ' + Math.round(seconds / 60) + ' min' : ' until it is unfrozen') +
        (scope === 'ACCOUNT' ? '; a maker’s live quotes are cancelled.' : '.') +
        ' The change is audited.'
      : 'Trading resumes for ' + what + '. The change is audited.',
    confirmLabel: freeze ? 'Freeze' : 'Unfreeze',
    danger: freeze,
  });
  if (!ok) return;
  const body = { scope };
  if (scope !== 'PLATFORM') body.target = target;
  body.reason = reason || (freeze ? 'frozen from the admin console' : 'unfrozen from the admin console');
  if (seconds) body.forSeconds = seconds;
  try {
    await api('POST', '/v1/admin/controls/' + action, body);
    toast((freeze ? 'Frozen: ' : 'Unfrozen: ') + what, freeze ? 'bad' : 'good');
    $('control-reason').value = '';
  } catch (e) {
    toast('Could not ' + action + ' ' + what + ': ' + e.message, 'bad');
  }
  await Promise.allSettled([run('controls'), run('audit'), run('inventory')]);
}

function renderSelectors() {
  const select = $('underlying-select');
  const current = select.value;
  select.replaceChildren(...state.underlyings.map((u) => el('option', { value: u }, u)));
  if (state.underlyings.includes(current)) select.value = current;

  const accounts = $('account-select');
  const chosen = accounts.value;
  const traders = [...state.accounts.values()].filter((a) => a.role === 'MAKER' || a.role === 'TAKER');
  accounts.replaceChildren(
    ...['MAKER', 'TAKER'].map((role) =>
      el(
        'optgroup',
        { label: role === 'MAKER' ? 'Makers' : 'Takers' },
        traders.filter((a) => a.role === role).map((a) => el('option', { value: a.id }, a.name)),
      ),
    ),
  );
  if (chosen && state.accounts.has(chosen)) accounts.value = chosen;
}

async function loadReference() {
  const [accounts, instruments] = await Promise.all([
    api('GET', '/v1/admin/accounts'),
    api('GET', '/v1/instruments'),
  ]);
  state.accounts = new Map(accounts.data.map((a) => [a.id, a]));
  state.underlyings = [...new Set(instruments.data.map((i) => i.underlying))].sort();
  renderSelectors();
}

// ---------------------------------------------------------------------------------------------------
// Audit: the chain verification, the ledger check and the latest audit records

async function loadVerification() {
  const [audit, ledger] = await Promise.allSettled([
    api('GET', '/v1/admin/audit/verify'),
    api('GET', '/v1/admin/ledger/check'),
  ]);
  const now = clock(new Date().toISOString());
  if (audit.status === 'fulfilled') {
    const a = audit.value;
    setStat(
      'stat-audit',
      a.ok
        ? { value: 'Verified', sub: fmt(a.records, 0) + ' records intact · ' + now, level: 'good' }
        : {
            value: 'BROKEN',
            sub: 'at #' + a.firstBreak.seq + ': ' + a.firstBreak.reason,
            title: a.firstBreak.reason,
            level: 'bad',
          },
    );
  } else setStat('stat-audit', { value: 'Unknown', sub: audit.reason.message, level: 'warn' });
  if (ledger.status === 'fulfilled') {
    const l = ledger.value;
    setStat(
      'stat-ledger',
      l.ok
        ? {
            value: 'Balanced',
            sub: fmt(l.counts.fills, 0) + ' fills · ' + fmt(l.counts.postings, 0) + ' postings · ' + now,
            level: 'good',
          }
        : {
            value: l.problems.length + ' problem' + (l.problems.length > 1 ? 's' : ''),
            sub: l.problems[0].message,
            title: l.problems.map((p) => p.check + ': ' + p.message).join('\n'),
            level: 'bad',
          },
    );
  } else setStat('stat-ledger', { value: 'Unknown', sub: ledger.reason.message, level: 'warn' });
  if (audit.status === 'rejected') throw audit.reason;
}

async function loadAuditTrail() {
  const res = await api('GET', '/v1/admin/audit?limit=15');
  const rows = [...res.data].sort((a, b) => Number(b.seq) - Number(a.seq));
  $('audit-list').replaceChildren(
    ...rows.map((r) =>
      el(
        'li',
        {
          title:
            r.entity_type +
            ' ' +
            r.entity_id +
            (r.correlation_id ? ' · correlation ' + r.correlation_id : ''),
        },
        el('span', { class: 'seq' }, '#' + r.seq),
        el(
          'span',
          { class: 'act' },
          el('strong', {}, r.action),
          ' ',
          el(
            'span',
            { class: 'muted' },
            (r.actor_id ? accountName(r.actor_id) : 'system') + ' · ' + auditEntity(r),
          ),
        ),
        el('span', { class: 'when' }, clock(r.occurred_at)),
      ),
    ),
  );
}

function auditEntity(r) {
  if (r.entity_type === 'control') {
    const [scope, target] = String(r.entity_id).split(':');
    return scope.toLowerCase() + (target ? ' ' + (scope === 'ACCOUNT' ? accountName(target) : target) : '');
  }
  return r.entity_type + ' ' + shortId(r.entity_id);
}

// ---------------------------------------------------------------------------------------------------
// Maker inventory, Greeks and limits

async function loadInventory() {
  const res = await api('GET', '/v1/admin/makers/inventory');
  state.inventory = res.data;
  renderInventory(res);
  renderChartMakers();
}

function limitCell(value, max, use, formatter) {
  const shown = formatter(value);
  if (max === null || max === undefined)
    return el('td', {}, el('div', { class: 'limit' }, shown, el('span', { class: 'of' }, 'no limit')));
  const pct = Math.min(1, use || 0);
  const bar = el(
    'div',
    { class: 'bar', dataset: { level: pct >= 0.9 ? 'bad' : pct >= 0.6 ? 'warn' : 'ok' } },
    el('span'),
  );
  bar.firstChild.style.width = (pct * 100).toFixed(1) + '%';
  return el(
    'td',
    {},
    el(
      'div',
      { class: 'limit' },
      shown,
      bar,
      el('span', { class: 'of' }, Math.round((use || 0) * 100) + '% of ' + fmtCompact(max)),
    ),
  );
}

function renderInventory(res) {
  let worst = null;
  const cards = res.data.map((m) => {
    for (const r of m.risk)
      for (const [measure, use] of Object.entries(r.utilisation))
        if (use !== null && (!worst || use > worst.use))
          worst = { use, maker: m.name, underlying: r.underlying, measure };
    const head = el(
      'div',
      { class: 'maker-head' },
      el('span', { class: 'maker-name' }, m.name),
      m.quoting ? pill('auto-quoting', 'info') : pill('external'),
      m.frozen ? pill('frozen', 'bad') : null,
      el('span', { class: 'muted small' }, m.fills + ' fills'),
      el(
        'span',
        { class: 'maker-pnl', title: 'realised + unrealised at mark − fees' },
        el('span', { class: 'muted small' }, 'Net P&L '),
        el('span', { class: 'big ' + tone(m.pnl.net) }, fmtSigned(m.pnl.net)),
        el(
          'span',
          { class: 'muted small' },
          '  R ' +
            fmtSigned(m.pnl.realised) +
            ' · U ' +
            fmtSigned(m.pnl.unrealised) +
            ' · fees ' +
            fmt(m.pnl.fees),
        ),
      ),
    );
    const risk = el(
      'table',
      { class: 'risk-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Underlying', 'Delta', 'Gamma', 'Vega / vol pt', 'Theta / day', 'Gross notional'].map((h) =>
            el('th', {}, h),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        m.risk.map((r) =>
          el(
            'tr',
            { dataset: { underlying: r.underlying } },
            el(
              'td',
              {},
              el('strong', {}, r.underlying),
              r.complete
                ? null
                : el(
                    'span',
                    { class: 'muted small', title: 'options without a live mark are left out' },
                    ' *',
                  ),
            ),
            limitCell(r.delta, r.limits.maxAbsDelta, r.utilisation.delta, fmtGreek),
            limitCell(r.gamma, r.limits.maxAbsGamma, r.utilisation.gamma, fmtGreek),
            limitCell(r.vegaPerPoint, r.limits.maxAbsVega, r.utilisation.vega, (v) => fmt(v, 2)),
            el('td', { class: tone(r.thetaPerDay) }, fmt(r.thetaPerDay, 2)),
            limitCell(r.grossNotional, r.limits.maxGrossNotional, r.utilisation.grossNotional, (v) =>
              v === null ? '—' : fmtCompact(v),
            ),
          ),
        ),
      ),
    );
    const positions = m.positions.length
      ? el(
          'details',
          { class: 'positions', dataset: { maker: m.name } },
          el('summary', {}, m.positions.length + ' open position' + (m.positions.length > 1 ? 's' : '')),
          el(
            'table',
            { class: 'grid-table' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                el('th', {}, 'Instrument'),
                ['Qty', 'Mark', 'Delta', 'Vega/pt', 'Unrealised'].map((h) => el('th', { class: 'num' }, h)),
              ),
            ),
            el(
              'tbody',
              {},
              m.positions.map((p) =>
                el(
                  'tr',
                  {},
                  el('td', {}, p.instrument),
                  el('td', { class: 'num ' + tone(p.quantity) }, fmtQty(p.quantity)),
                  el('td', { class: 'num' }, p.markPrice === null ? 'stale' : fmtPrice(p.markPrice)),
                  el('td', { class: 'num' }, p.greeks ? fmtGreek(p.greeks.delta) : '—'),
                  el('td', { class: 'num' }, p.greeks ? fmt(p.greeks.vegaPerPoint, 2) : '—'),
                  el(
                    'td',
                    { class: 'num ' + tone(p.unrealisedPnl) },
                    p.unrealisedPnl === null ? '—' : fmtSigned(p.unrealisedPnl),
                  ),
                ),
              ),
            ),
          ),
        )
      : null;
    // A flat book: one line with its limits instead of a table of zeros.
    if (m.positions.length === 0) {
      const limits = m.risk
        .map((r) => {
          const l = r.limits;
          const parts = [
            l.maxAbsDelta !== null ? 'Δ ' + fmtCompact(l.maxAbsDelta) : null,
            l.maxAbsVega !== null ? 'vega ' + fmtCompact(l.maxAbsVega) : null,
            l.maxGrossNotional !== null ? 'notional ' + fmtCompact(l.maxGrossNotional) : null,
          ].filter(Boolean);
          return parts.length ? r.underlying + ' ' + parts.join(' · ') : null;
        })
        .filter(Boolean);
      return el(
        'div',
        { class: 'maker', dataset: { maker: m.name } },
        head,
        el(
          'p',
          { class: 'flat' },
          'Flat: no open position.' + (limits.length ? ' Limits: ' + limits.join('; ') + '.' : ''),
        ),
      );
    }
    return el('div', { class: 'maker', dataset: { maker: m.name } }, head, risk, positions);
  });
  // Keep open the position lists the operator opened.
  const open = new Set([...document.querySelectorAll('details.positions[open]')].map((d) => d.dataset.maker));
  $('inventory').replaceChildren(
    ...(cards.length ? cards : [el('p', { class: 'empty' }, 'No maker accounts.')]),
  );
  for (const d of document.querySelectorAll('details.positions'))
    if (open.has(d.dataset.maker)) d.open = true;
  $('inventory-meta').textContent = 'marks as of ' + clock(res.asOf);
  setStat(
    'stat-risk',
    worst
      ? {
          value: Math.round(worst.use * 100) + '% used',
          sub: 'highest: ' + worst.maker + ' · ' + worst.underlying + ' ' + worst.measure,
          level: worst.use >= 0.9 ? 'bad' : worst.use >= 0.6 ? 'warn' : 'good',
        }
      : { value: 'No limits', sub: 'no maker has risk limits', level: 'warn' },
  );
}

// ---------------------------------------------------------------------------------------------------
// Chart: one maker's P&L over time, drawn as SVG

function renderChartMakers() {
  const select = $('chart-maker');
  const names = state.inventory.map((m) => m.name);
  if (!state.chartMaker || !names.includes(state.chartMaker)) {
    const busiest = [...state.inventory].sort((a, b) => b.fills - a.fills)[0];
    state.chartMaker = busiest ? busiest.name : null;
    if (state.chartMaker) run('chart');
  }
  if ([...select.options].map((o) => o.value).join() !== names.join())
    select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
  if (state.chartMaker) select.value = state.chartMaker;
}

async function loadChart() {
  if (!state.chartMaker) return;
  const maker = state.chartMaker;
  const res = await api('GET', '/v1/admin/makers/' + encodeURIComponent(maker) + '/pnl-history?limit=500');
  if (maker === state.chartMaker) renderChart(res);
}

function niceTicks(min, max, count) {
  const span = max - min || 1;
  const step0 = span / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => span / s <= count) || magnitude * 10;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function renderChart(res) {
  const points = res.points.map((p) => ({ ...p, t: Date.parse(p.at), v: Number(p.pnl) }));
  const now = points[points.length - 1];
  const fills = points.filter((p) => p.event === 'FILL').length;
  const hedges = points.filter((p) => p.event === 'HEDGE').length;
  $('chart-summary').replaceChildren(
    el(
      'div',
      {},
      el('div', { class: 'muted small' }, 'P&L now (live marks)'),
      el('div', { class: 'big ' + tone(now.v) }, fmtSigned(now.v) + ' USDC'),
    ),
    el('div', {}, el('div', { class: 'muted small' }, 'Trading cash'), el('div', {}, fmtSigned(now.cash))),
    el(
      'div',
      {},
      el('div', { class: 'muted small' }, 'Inventory value'),
      el('div', {}, fmtSigned(now.inventoryValue)),
    ),
    el(
      'div',
      {},
      el('div', { class: 'muted small' }, 'Events'),
      el('div', {}, fills + ' fills · ' + hedges + ' hedges'),
    ),
  );
  const notes = [res.method];
  if (res.eventsBefore > 0) notes.push(res.eventsBefore + ' older events are summed into the first point.');
  if (res.staleAtNow.length)
    notes.push('No live mark now for ' + res.staleAtNow.join(', ') + ': valued at its last trade.');
  $('chart-note').textContent = notes.join(' ');

  const W = 640;
  const H = 270;
  const m = { l: 58, r: 18, t: 14, b: 26 };
  const root = svg('svg', {
    viewBox: '0 0 ' + W + ' ' + H,
    role: 'img',
    'aria-label': 'P&L of ' + res.maker + ' over time',
  });
  const defs = svg(
    'defs',
    {},
    svg(
      'linearGradient',
      { id: 'pnl-fill', x1: 0, y1: 0, x2: 0, y2: 1 },
      svg('stop', { offset: '0%', 'stop-color': '#4f9cf9', 'stop-opacity': 0.28 }),
      svg('stop', { offset: '100%', 'stop-color': '#4f9cf9', 'stop-opacity': 0.02 }),
    ),
  );
  root.append(defs);
  if (points.length < 2) {
    root.append(
      svg(
        'text',
        { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'axis' },
        'No fills or hedges yet for ' + res.maker,
      ),
    );
    $('chart').replaceChildren(root);
    return;
  }
  const t1 = now.t;
  const t0 = Math.min(points[0].t, t1 - 1_000);
  const values = points.map((p) => p.v);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  const padding = (hi - lo || Math.max(1, Math.abs(hi))) * 0.1;
  lo -= padding;
  hi += padding;
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * (W - m.l - m.r);
  const y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (H - m.t - m.b);

  for (const v of niceTicks(lo, hi, 5)) {
    root.append(
      svg('line', { class: v === 0 ? 'zero' : 'gridline', x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }),
    );
    root.append(
      svg('text', { class: 'axis', x: m.l - 8, y: y(v) + 3.5, 'text-anchor': 'end' }, fmtCompact(v)),
    );
  }
  const spanMs = t1 - t0;
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (spanMs * i) / 4;
    const d = new Date(t);
    const label =
      spanMs > 2 * 86_400_000
        ? d.getMonth() + 1 + '/' + d.getDate()
        : spanMs > 600_000
          ? clock(d.toISOString()).slice(0, 5)
          : clock(d.toISOString());
    root.append(
      svg(
        'text',
        { class: 'axis', x: x(t), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' },
        label,
      ),
    );
  }

  // Between two events the value does not change (past points are valued at trade prices): a step line.
  // The last segment, to the live revaluation, is dashed.
  const history = points.slice(0, -1);
  let path = 'M' + x(history[0].t).toFixed(1) + ',' + y(history[0].v).toFixed(1);
  for (const p of history.slice(1)) path += 'H' + x(p.t).toFixed(1) + 'V' + y(p.v).toFixed(1);
  const last = history[history.length - 1];
  const area =
    path +
    'H' +
    x(last.t).toFixed(1) +
    'V' +
    y(Math.max(lo, 0)).toFixed(1) +
    'H' +
    x(history[0].t).toFixed(1) +
    'Z';
  root.append(svg('path', { class: 'area', d: area }));
  root.append(svg('path', { class: 'line', d: path }));
  root.append(
    svg('path', { class: 'live', d: 'M' + x(last.t) + ',' + y(last.v) + 'L' + x(now.t) + ',' + y(now.v) }),
  );
  if (history.length <= 150)
    for (const p of history.slice(1))
      root.append(svg('circle', { class: 'pt ' + p.event.toLowerCase(), cx: x(p.t), cy: y(p.v), r: 2.6 }));
  root.append(svg('circle', { class: 'pt now', cx: x(now.t), cy: y(now.v), r: 4 }));

  // Hover: the nearest point's time, event and value.
  const hover = svg('g', { visibility: 'hidden' });
  const hoverLine = svg('line', { class: 'hover-line', y1: m.t, y2: H - m.b });
  const tipBg = svg('rect', { class: 'tip-bg', rx: 4, width: 150, height: 36 });
  const tip1 = svg('text', { class: 'tip' });
  const tip2 = svg('text', { class: 'tip' });
  hover.append(hoverLine, tipBg, tip1, tip2);
  root.append(hover);
  const overlay = svg('rect', {
    x: m.l,
    y: m.t,
    width: W - m.l - m.r,
    height: H - m.t - m.b,
    fill: 'transparent',
  });
  overlay.addEventListener('mousemove', (e) => {
    const box = root.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    const nearest = points.reduce((best, p) => (Math.abs(x(p.t) - px) < Math.abs(x(best.t) - px) ? p : best));
    const cx = x(nearest.t);
    const cy = y(nearest.v);
    hoverLine.setAttribute('x1', cx);
    hoverLine.setAttribute('x2', cx);
    const tx = cx + 160 > W ? cx - 158 : cx + 8;
    const ty = Math.min(Math.max(cy - 18, m.t), H - m.b - 36);
    tipBg.setAttribute('x', tx);
    tipBg.setAttribute('y', ty);
    tip1.setAttribute('x', tx + 8);
    tip1.setAttribute('y', ty + 15);
    tip2.setAttribute('x', tx + 8);
    tip2.setAttribute('y', ty + 29);
    tip1.textContent = clock(nearest.at) + ' · ' + nearest.event.toLowerCase();
    tip2.textContent = fmtSigned(nearest.v) + ' USDC';
    hover.setAttribute('visibility', 'visible');
  });
  overlay.addEventListener('mouseleave', () => hover.setAttribute('visibility', 'hidden'));
  root.append(overlay);
  $('chart').replaceChildren(root);
}

// ---------------------------------------------------------------------------------------------------
// Polling

const TASKS = {
  blotter: { every: 1_000, load: loadBlotter },
  controls: { every: 2_000, load: loadControls },
  inventory: { every: 3_000, load: loadInventory },
  chart: { every: 5_000, load: loadChart },
  audit: { every: 5_000, load: loadAuditTrail },
  verify: { every: 20_000, load: loadVerification },
  reference: { every: 30_000, load: loadReference },
};
let generation = 0;
const running = new Map();

function setConnection(kind, text) {
  $('conn').dataset.state = kind;
  $('conn-text').textContent = text;
}

/** Runs one task now (at most one run of a task at a time) and reports the connection state. */
function run(name) {
  if (running.has(name)) return running.get(name);
  const gen = generation;
  const promise = TASKS[name]
    .load()
    .then(() => {
      if (gen === generation) setConnection('live', 'Live · ' + clock(new Date().toISOString()));
    })
    .catch((e) => {
      if (gen !== generation) return;
      if (e.status === 401 || e.status === 403) return signOut('Signed out: ' + e.message);
      setConnection('error', e.status === 0 ? 'Gateway unreachable' : name + ': ' + e.message);
    })
    .finally(() => running.delete(name));
  running.set(name, promise);
  return promise;
}

function schedule(name) {
  const gen = generation;
  setTimeout(async () => {
    if (gen !== generation) return;
    if (!document.hidden) await run(name);
    schedule(name);
  }, TASKS[name].every);
}

async function start() {
  generation++;
  $('login').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('who-key').textContent = credentials.keyId;
  setConnection('idle', 'Connecting…');
  await run('reference');
  await Promise.all(
    Object.keys(TASKS)
      .filter((n) => n !== 'reference')
      .map(run),
  );
  for (const name of Object.keys(TASKS)) schedule(name);
}

function signOut(message) {
  generation++;
  credentials = null;
  sessionStorage.removeItem(SESSION_KEY);
  state.blotter.clear();
  state.blotterSeen.clear();
  state.chartMaker = null;
  $('app').hidden = true;
  $('who').hidden = true;
  $('login').hidden = false;
  $('key-secret').value = '';
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  setConnection('idle', 'Not signed in');
}

async function signIn(keyId, secret) {
  credentials = { keyId, secret };
  try {
    await api('GET', '/v1/admin/controls'); // admin-only: proves the key and its role
  } catch (e) {
    credentials = null;
    throw e.status === 403 ? new Error('This key is not an admin key (' + e.code + ').') : e;
  }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(credentials));
}

function wireUp() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('login-submit');
    button.disabled = true;
    $('login-error').hidden = true;
    try {
      await signIn($('key-id').value.trim(), $('key-secret').value);
      await start();
    } catch (error) {
      $('login-error').hidden = false;
      $('login-error').textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
  $('logout').addEventListener('click', () => signOut());
  $('blotter-tabs').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-kind]');
    if (!button) return;
    state.blotterFilter = button.dataset.kind;
    for (const b of $('blotter-tabs').querySelectorAll('button')) b.classList.toggle('active', b === button);
    const sorted = [...state.blotter.values()].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    renderBlotter(sorted);
  });
  $('freeze-platform').addEventListener('click', () => setControl('freeze', 'PLATFORM'));
  $('unfreeze-platform').addEventListener('click', () => setControl('unfreeze', 'PLATFORM'));
  $('freeze-underlying').addEventListener('click', () =>
    setControl('freeze', 'UNDERLYING', $('underlying-select').value),
  );
  $('unfreeze-underlying').addEventListener('click', () =>
    setControl('unfreeze', 'UNDERLYING', $('underlying-select').value),
  );
  $('freeze-account').addEventListener('click', () =>
    setControl('freeze', 'ACCOUNT', $('account-select').value),
  );
  $('unfreeze-account').addEventListener('click', () =>
    setControl('unfreeze', 'ACCOUNT', $('account-select').value),
  );
  $('verify-now').addEventListener('click', () => run('verify'));
  $('chart-maker').addEventListener('change', (e) => {
    state.chartMaker = e.target.value;
    run('chart');
  });
}

wireUp();
const saved = sessionStorage.getItem(SESSION_KEY);
if (saved) {
  try {
    credentials = JSON.parse(saved);
    start();
  } catch {
    signOut();
  }
} else signOut();
