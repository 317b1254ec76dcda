/**
 * The console's page and stylesheet, served as they are (no build step, no CDN, no web fonts: the page
 * must work on a machine without internet). The behaviour lives in ./assets/app.js.
 */

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>RFQ admin console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/console/app.css" />
    <script type="module" src="/console/app.js"></script>
  </head>
  <body>
    <header class="topbar">
      <div class="brand"><span class="logo" aria-hidden="true"></span>RFQ <span class="brand-sub">Admin console</span></div>
      <div class="conn" id="conn" data-state="idle"><span class="dot"></span><span id="conn-text">Not signed in</span></div>
      <div class="who" id="who" hidden>
        <span class="muted">Key</span> <code id="who-key"></code>
        <button type="button" class="btn ghost small" id="logout">Sign out</button>
      </div>
    </header>

    <main class="login" id="login" hidden>
      <form class="card login-card" id="login-form" autocomplete="off">
        <h1>Sign in</h1>
        <p class="muted">
          Use an <strong>admin</strong> API key. The secret stays in this browser tab (sessionStorage) and is
          only used to sign requests (HMAC-SHA256); it is never sent.
        </p>
        <label>Key id <input id="key-id" name="keyId" placeholder="ak_..." required spellcheck="false" /></label>
        <label>Secret <input id="key-secret" name="secret" type="password" required spellcheck="false" /></label>
        <p class="error" id="login-error" hidden></p>
        <button type="submit" class="btn primary" id="login-submit">Sign in</button>
      </form>
    </main>

    <main class="app" id="app" hidden>
      <section class="stats">
        <div class="stat" id="stat-platform">
          <div class="stat-label">Platform</div>
          <div class="stat-value">&nbsp;</div>
          <div class="stat-sub">&nbsp;</div>
        </div>
        <div class="stat" id="stat-audit">
          <div class="stat-label">Audit chain</div>
          <div class="stat-value">&nbsp;</div>
          <div class="stat-sub">&nbsp;</div>
        </div>
        <div class="stat" id="stat-ledger">
          <div class="stat-label">Ledger</div>
          <div class="stat-value">&nbsp;</div>
          <div class="stat-sub">&nbsp;</div>
        </div>
        <div class="stat" id="stat-risk">
          <div class="stat-label">Maker limits</div>
          <div class="stat-value">&nbsp;</div>
          <div class="stat-sub">&nbsp;</div>
        </div>
      </section>

      <section class="row">
        <div class="panel blotter-panel">
          <div class="panel-head">
            <h2>Blotter</h2>
            <div class="tabs" id="blotter-tabs" role="tablist">
              <button type="button" data-kind="all" class="active">All</button>
              <button type="button" data-kind="rfq">RFQs</button>
              <button type="button" data-kind="quote">Quotes</button>
              <button type="button" data-kind="fill">Fills</button>
            </div>
            <span class="panel-meta" id="blotter-meta"></span>
          </div>
          <div class="table-wrap blotter-wrap">
            <table class="grid-table" id="blotter">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Type</th>
                  <th>Id</th>
                  <th>Structure</th>
                  <th>Side</th>
                  <th class="num">Qty</th>
                  <th class="num">Price</th>
                  <th>State</th>
                  <th>Account</th>
                </tr>
              </thead>
              <tbody></tbody>
            </table>
            <p class="empty" id="blotter-empty" hidden>No activity yet.</p>
          </div>
        </div>

        <aside class="side">
          <div class="panel" id="kill-panel">
            <div class="panel-head"><h2>Kill switches</h2></div>
            <div class="kill-grid">
              <div class="kill-row">
                <span class="kill-name">Platform</span>
                <span class="kill-target"><span class="pill" id="platform-pill"></span></span>
                <div class="kill-actions">
                  <button type="button" class="btn danger" id="freeze-platform" title="Freeze the whole platform">Freeze</button>
                  <button type="button" class="btn ok" id="unfreeze-platform">Unfreeze</button>
                </div>
              </div>
              <div class="kill-row">
                <span class="kill-name">Underlying</span>
                <select class="kill-target" id="underlying-select" aria-label="Underlying"></select>
                <div class="kill-actions">
                  <button type="button" class="btn danger" id="freeze-underlying">Freeze</button>
                  <button type="button" class="btn ok" id="unfreeze-underlying">Unfreeze</button>
                </div>
              </div>
              <div class="kill-row">
                <span class="kill-name">Account</span>
                <select class="kill-target" id="account-select" aria-label="Account"></select>
                <div class="kill-actions">
                  <button type="button" class="btn danger" id="freeze-account">Freeze</button>
                  <button type="button" class="btn ok" id="unfreeze-account">Unfreeze</button>
                </div>
              </div>
              <div class="kill-options">
                <input id="control-reason" maxlength="200" placeholder="Reason (audited)" />
                <select id="control-duration" title="How long a freeze lasts">
                  <option value="">Until unfrozen</option>
                  <option value="60">1 minute</option>
                  <option value="300">5 minutes</option>
                  <option value="900">15 minutes</option>
                  <option value="3600">1 hour</option>
                </select>
              </div>
            </div>
          </div>

          <div class="panel" id="controls-panel">
            <div class="panel-head"><h2>Active freezes</h2><span class="panel-meta" id="controls-meta"></span></div>
            <ul class="controls-list" id="controls-list"></ul>
          </div>

          <div class="panel" id="audit-panel">
            <div class="panel-head">
              <h2>Audit trail</h2>
              <button type="button" class="btn ghost small" id="verify-now">Verify chain</button>
            </div>
            <ol class="audit-list" id="audit-list"></ol>
          </div>
        </aside>
      </section>

      <section class="row row-b">
        <div class="panel" id="inventory-panel">
          <div class="panel-head">
            <h2>Maker inventory &amp; Greeks</h2>
            <span class="panel-meta" id="inventory-meta"></span>
          </div>
          <div id="inventory"></div>
        </div>
        <div class="panel" id="chart-panel">
          <div class="panel-head">
            <h2>Maker P&amp;L</h2>
            <select id="chart-maker" aria-label="Maker"></select>
          </div>
          <div class="chart-summary" id="chart-summary"></div>
          <div class="chart" id="chart"></div>
          <p class="note" id="chart-note"></p>
        </div>
      </section>
    </main>

    <div class="modal" id="modal" hidden>
      <div class="modal-card" role="dialog" aria-modal="true" aria-labelledby="modal-title">
        <h3 id="modal-title"></h3>
        <p id="modal-body"></p>
        <div class="modal-actions">
          <button type="button" class="btn ghost" id="modal-cancel">Cancel</button>
          <button type="button" class="btn danger" id="modal-confirm">Confirm</button>
        </div>
      </div>
    </div>
    <div class="toasts" id="toasts" aria-live="polite"></div>
  </body>
</html>
`;

export const CONSOLE_CSS = `:root {
  --bg: #0d1117;
  --panel: #151b23;
  --panel-2: #1b222c;
  --line: #262f3b;
  --line-2: #313c4a;
  --text: #dbe2ea;
  --muted: #8794a6;
  --faint: #5d6a7b;
  --accent: #4f9cf9;
  --accent-2: #2f6fc4;
  --green: #3fb950;
  --green-bg: rgba(63, 185, 80, 0.14);
  --red: #f85149;
  --red-bg: rgba(248, 81, 73, 0.14);
  --amber: #d29922;
  --amber-bg: rgba(210, 153, 34, 0.15);
  --violet: #a371f7;
  --radius: 8px;
  --sans: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'Liberation Sans', Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace;
}

* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 13px/1.45 var(--sans); }
[hidden] { display: none !important; }
h1, h2, h3 { margin: 0; font-weight: 600; }
h2 { font-size: 13px; letter-spacing: 0.02em; }
code, .mono { font-family: var(--mono); font-size: 12px; }
.muted { color: var(--muted); }
.small { font-size: 11px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pos { color: var(--green); }
.neg { color: var(--red); }

.topbar {
  position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 24px;
  height: 48px; padding: 0 20px; background: #0a0e13; border-bottom: 1px solid var(--line);
}
.brand { display: flex; align-items: center; gap: 8px; font-weight: 700; font-size: 15px; letter-spacing: 0.04em; }
.brand-sub { font-weight: 400; color: var(--muted); letter-spacing: 0; }
.logo { width: 14px; height: 14px; border-radius: 3px; transform: rotate(45deg);
  background: linear-gradient(135deg, var(--accent), var(--violet)); }
.conn { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 12px; }
.conn .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.conn[data-state='live'] .dot { background: var(--green); box-shadow: 0 0 0 3px var(--green-bg); }
.conn[data-state='error'] .dot { background: var(--red); box-shadow: 0 0 0 3px var(--red-bg); }
.who { margin-left: auto; display: flex; align-items: center; gap: 8px; }

.btn {
  font: inherit; font-weight: 600; border: 1px solid var(--line-2); border-radius: 6px; padding: 6px 12px;
  background: var(--panel-2); color: var(--text); cursor: pointer; white-space: nowrap;
}
.btn:hover { border-color: var(--muted); }
.btn:disabled { opacity: 0.45; cursor: default; }
.btn.small { padding: 3px 8px; font-size: 12px; }
.btn.primary { background: var(--accent-2); border-color: var(--accent); color: #fff; }
.btn.danger { background: rgba(248, 81, 73, 0.12); border-color: rgba(248, 81, 73, 0.55); color: #ff938c; }
.btn.danger:hover { background: rgba(248, 81, 73, 0.22); }
.btn.ok { background: rgba(63, 185, 80, 0.1); border-color: rgba(63, 185, 80, 0.5); color: #7ee08a; }
.btn.ghost { background: transparent; }
input, select {
  font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line-2);
  border-radius: 6px; padding: 6px 8px; min-width: 0;
}
input:focus, select:focus { outline: 2px solid var(--accent-2); outline-offset: -1px; }

.login { display: grid; place-items: center; min-height: calc(100vh - 48px); }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); }
.login-card { width: 380px; padding: 28px; display: grid; gap: 14px; }
.login-card h1 { font-size: 20px; }
.login-card p { margin: 0; }
.login-card label { display: grid; gap: 6px; color: var(--muted); font-size: 12px; }
.error { color: var(--red); margin: 0; }

.app { padding: 16px 20px 28px; display: grid; gap: 16px; max-width: 1680px; margin: 0 auto; }
.stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 16px; }
.stat { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 12px 16px;
  border-left: 3px solid var(--line-2); }
.stat-label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.08em; }
.stat-value { font-size: 20px; font-weight: 650; margin: 2px 0; }
.stat-sub { color: var(--muted); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.stat[data-tone='good'] { border-left-color: var(--green); }
.stat[data-tone='good'] .stat-value { color: var(--green); }
.stat[data-tone='bad'] { border-left-color: var(--red); background: linear-gradient(90deg, var(--red-bg), var(--panel) 60%); }
.stat[data-tone='bad'] .stat-value { color: var(--red); }
.stat[data-tone='warn'] { border-left-color: var(--amber); }
.stat[data-tone='warn'] .stat-value { color: var(--amber); }

.row { display: grid; grid-template-columns: minmax(0, 1fr) 410px; gap: 16px; align-items: start; }
.row-b { grid-template-columns: minmax(0, 1.25fr) minmax(0, 1fr); }
.side { display: grid; gap: 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); min-width: 0; }
.panel-head { display: flex; align-items: center; gap: 12px; padding: 10px 14px; border-bottom: 1px solid var(--line); min-height: 44px; }
.panel-meta { margin-left: auto; color: var(--faint); font-size: 11px; }
.panel-head select { margin-left: auto; padding: 3px 6px; }

.tabs { display: flex; gap: 2px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 2px; }
.tabs button { font: inherit; font-size: 12px; color: var(--muted); background: none; border: 0; border-radius: 4px; padding: 3px 10px; cursor: pointer; }
.tabs button.active { background: var(--panel-2); color: var(--text); }

.table-wrap { overflow: auto; }
.blotter-wrap { height: 526px; }
.blotter-wrap .grid-table { font-size: 12px; }
.blotter-wrap .grid-table td.time, .blotter-wrap .grid-table td.id { font-size: 11.5px; }
.grid-table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.grid-table th { position: sticky; top: 0; background: var(--panel); z-index: 1; text-align: left; font-weight: 500;
  color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; padding: 7px 8px;
  border-bottom: 1px solid var(--line); white-space: nowrap; }
.grid-table td { padding: 5px 8px; border-bottom: 1px solid rgba(38, 47, 59, 0.6); white-space: nowrap; }
.grid-table tbody tr:hover td { background: rgba(79, 156, 249, 0.05); }
.grid-table td.num, .grid-table th.num { text-align: right; }
.grid-table td.time { color: var(--muted); font-family: var(--mono); font-size: 12px; }
.grid-table td.id { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.grid-table td.structure { max-width: 200px; overflow: hidden; text-overflow: ellipsis; }
tr.fresh td { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: rgba(79, 156, 249, 0.28); } to { background: transparent; } }
.empty { color: var(--faint); text-align: center; padding: 28px 0; margin: 0; }

.badge { display: inline-block; min-width: 44px; text-align: center; font-size: 10px; font-weight: 700; letter-spacing: 0.06em;
  padding: 2px 6px; border-radius: 4px; }
.badge.rfq { background: rgba(79, 156, 249, 0.15); color: #8fc0ff; }
.badge.quote { background: rgba(163, 113, 247, 0.15); color: #c7a6ff; }
.badge.fill { background: var(--green-bg); color: #7ee08a; }
.side-buy { color: var(--green); font-weight: 600; }
.side-sell { color: var(--red); font-weight: 600; }
.pill { display: inline-block; font-size: 10px; font-weight: 700; letter-spacing: 0.05em; padding: 2px 7px; border-radius: 10px;
  background: var(--panel-2); color: var(--muted); text-transform: uppercase; vertical-align: 1px; }
.pill.good { background: var(--green-bg); color: var(--green); }
.pill.bad { background: var(--red-bg); color: var(--red); }
.pill.warn { background: var(--amber-bg); color: var(--amber); }
.pill.info { background: rgba(79, 156, 249, 0.15); color: #8fc0ff; }

.kill-grid { padding: 12px 14px; display: grid; gap: 10px; }
.kill-row { display: grid; grid-template-columns: 76px minmax(0, 1fr) auto; align-items: center; gap: 8px; }
.kill-name { font-weight: 600; }
select.kill-target { width: 100%; }
.kill-actions { display: flex; gap: 6px; }
.kill-options { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 8px; padding-top: 10px; border-top: 1px dashed var(--line); }

.controls-list, .audit-list { list-style: none; margin: 0; padding: 4px 0; }
.controls-list li { display: flex; align-items: center; gap: 10px; padding: 7px 14px; border-bottom: 1px solid rgba(38, 47, 59, 0.6); }
.controls-list li:last-child, .audit-list li:last-child { border-bottom: 0; }
.controls-list .what { font-weight: 600; }
.controls-list li > div { flex: 1; min-width: 0; }
.controls-list .why { color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.controls-list .btn { flex: none; }
.controls-list .none { color: var(--faint); }
.audit-list { max-height: 190px; overflow: auto; }
.audit-list li { display: grid; grid-template-columns: 64px 1fr auto; gap: 8px; padding: 5px 14px; font-size: 12px;
  border-bottom: 1px solid rgba(38, 47, 59, 0.6); }
.audit-list .seq { color: var(--faint); font-family: var(--mono); }
.audit-list .act { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.audit-list .when { color: var(--muted); font-family: var(--mono); }

#inventory { padding: 4px 0; }
.maker { padding: 10px 14px 12px; border-bottom: 1px solid var(--line); }
.maker:last-child { border-bottom: 0; }
.flat { color: var(--muted); font-size: 12px; margin: 0; }
.maker-head { display: flex; align-items: baseline; gap: 10px; margin-bottom: 8px; }
.maker-name { font-weight: 700; font-size: 14px; }
.maker-pnl { margin-left: auto; font-variant-numeric: tabular-nums; }
.maker-pnl .big { font-size: 15px; font-weight: 650; }
.risk-table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.risk-table th { text-align: right; color: var(--muted); font-weight: 500; font-size: 11px; padding: 3px 8px; }
.risk-table th:first-child, .risk-table td:first-child { text-align: left; padding-left: 0; }
.risk-table td { text-align: right; padding: 4px 8px; vertical-align: top; }
.limit { display: grid; gap: 3px; justify-items: end; }
.limit .of { color: var(--faint); font-size: 11px; }
.bar { width: 92px; height: 4px; border-radius: 2px; background: var(--line); overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--green); border-radius: 2px; }
.bar[data-level='warn'] > span { background: var(--amber); }
.bar[data-level='bad'] > span { background: var(--red); }
details.positions { margin-top: 6px; }
details.positions summary { cursor: pointer; color: var(--muted); font-size: 12px; }
details.positions table { margin-top: 6px; }

.chart-summary { display: flex; gap: 18px; padding: 12px 14px 0; align-items: baseline; flex-wrap: wrap; }
.chart-summary .big { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.chart { padding: 6px 8px 0 4px; }
.chart svg { display: block; width: 100%; height: auto; }
.chart .gridline { stroke: var(--line); stroke-width: 1; }
.chart .zero { stroke: var(--line-2); stroke-width: 1.2; stroke-dasharray: 4 3; }
.chart .axis { fill: var(--faint); font-size: 10.5px; font-family: var(--sans); }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 2; stroke-linejoin: round; }
.chart .live { fill: none; stroke: var(--accent); stroke-width: 2; stroke-dasharray: 5 4; }
.chart .area { fill: url(#pnl-fill); }
.chart .pt { fill: var(--panel); stroke: var(--accent); stroke-width: 1.5; }
.chart .pt.hedge { stroke: var(--amber); }
.chart .pt.now { fill: var(--accent); }
.chart .hover-line { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 2 3; }
.chart .tip-bg { fill: #0a0e13; stroke: var(--line-2); }
.chart .tip { fill: var(--text); font-size: 11px; font-family: var(--sans); }
.note { color: var(--faint); font-size: 11px; margin: 4px 14px 12px; }

.modal { position: fixed; inset: 0; background: rgba(5, 8, 12, 0.66); display: grid; place-items: center; z-index: 20; }
.modal-card { width: 420px; background: var(--panel); border: 1px solid var(--line-2); border-radius: 10px; padding: 20px 22px;
  box-shadow: 0 20px 60px rgba(0, 0, 0, 0.5); }
.modal-card h3 { font-size: 16px; }
.modal-card p { color: var(--muted); }
.modal-actions { display: flex; justify-content: flex-end; gap: 8px; }
.toasts { position: fixed; right: 20px; bottom: 20px; display: grid; gap: 8px; z-index: 30; }
.toast { background: var(--panel-2); border: 1px solid var(--line-2); border-left: 3px solid var(--accent); border-radius: 6px;
  padding: 9px 14px; max-width: 420px; box-shadow: 0 8px 24px rgba(0, 0, 0, 0.4); }
.toast.bad { border-left-color: var(--red); }
.toast.good { border-left-color: var(--green); }

@media (max-width: 1200px) {
  .row, .row-b { grid-template-columns: minmax(0, 1fr); }
  .stats { grid-template-columns: repeat(2, 1fr); }
}
`;
