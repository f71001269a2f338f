'use strict';
// Holdfast dashboard: plain DOM, no dependencies. Everything shown comes from /api/ (see /api/openapi.json).

const S = { csrf: null, role: null, user: null, authRequired: false, watching: new Set(), onFinish: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
function add(node, ...kids) { for (const k of kids) if (k !== null && k !== undefined) node.append(k); return node; }
function $(id) { return document.getElementById(id); }

function bytes(n) {
  if (n === null || n === undefined || n < 0) return '–';
  if (n < 1000) return n + ' B';
  const u = ['kB', 'MB', 'GB', 'TB', 'PB']; let v = n, i = -1;
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' + u[i];
}
function age(s) {
  if (s === null || s === undefined) return 'never';
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 172800) return Math.floor(s / 3600) + 'h' + (Math.floor(s % 3600 / 60) ? Math.floor(s % 3600 / 60) + 'm' : '');
  return Math.floor(s / 86400) + 'd' + (Math.floor(s % 86400 / 3600) ? Math.floor(s % 86400 / 3600) + 'h' : '');
}
function dur(ms) { return ms === null || ms === undefined ? '–' : ms < 10000 ? (ms / 1000).toFixed(1) + ' s' : age(Math.round(ms / 1000)); }
function when(t) { return t ? new Date(t).toLocaleString() : '–'; }
function param(name) { return new URLSearchParams(location.search).get(name); }

function message(text, kind) {
  const m = $('message');
  if (!m) return;
  m.textContent = text; m.hidden = !text; m.className = 'message ' + (kind || '');
}

async function api(path, opts) {
  opts = opts || {};
  const headers = { 'Accept': 'application/json' };
  const init = { method: opts.method || 'GET', headers, credentials: 'same-origin' };
  if (init.method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (S.csrf) headers['X-CSRF-Token'] = S.csrf;
    init.body = JSON.stringify(opts.body || {});
  }
  const r = await fetch(path, init);
  if (r.status === 401 && S.authRequired && document.body.dataset.page !== 'login') {
    location.href = '/login.html?next=' + encodeURIComponent(location.pathname + location.search);
    throw new Error('login required');
  }
  const data = r.headers.get('Content-Type') === 'application/json' ? await r.json() : null;
  if (!r.ok) throw new Error((data && data.error) || ('HTTP ' + r.status));
  return data;
}

async function session() {
  const s = await api('/api/session');
  S.authRequired = s.auth_required; S.csrf = s.csrf || null; S.role = s.role || null; S.user = s.user || null;
  if ($('host')) $('host').textContent = s.host;
  document.body.classList.toggle('read-only', S.role !== 'admin');
  const who = $('who');
  if (who && S.authRequired && s.authenticated) {
    clear(who).append(el('span', { class: 'muted', text: S.user + ' (' + S.role + ') ' }),
      el('button', { type: 'button', class: 'link', onclick: async () => { await api('/api/logout', { method: 'POST' }); location.href = '/login.html'; } }, 'Log out'));
  }
  if (S.authRequired && !s.authenticated && document.body.dataset.page !== 'login') {
    location.href = '/login.html?next=' + encodeURIComponent(location.pathname + location.search);
    throw new Error('login required');
  }
  return s;
}

// A small chart of the last runs: bars, the failed ones marked.
function spark(points, key, label, fmt) {
  const NS = 'http://www.w3.org/2000/svg';
  const w = 150, h = 36;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h); svg.setAttribute('class', 'spark'); svg.setAttribute('role', 'img');
  const vals = points.map(p => p[key] || 0);
  const max = Math.max(1, ...vals);
  const bw = w / Math.max(points.length, 10);
  const title = document.createElementNS(NS, 'title');
  title.textContent = label + ' of the last ' + points.length + ' runs' + (points.length ? ', newest ' + fmt(vals[vals.length - 1]) : '');
  svg.append(title);
  points.forEach((p, i) => {
    const bh = Math.max(1, Math.round((vals[i] / max) * (h - 2)));
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', (i * bw + 0.5).toFixed(1)); r.setAttribute('y', String(h - bh));
    r.setAttribute('width', Math.max(1, bw - 1).toFixed(1)); r.setAttribute('height', String(bh));
    r.setAttribute('class', p.status === 'FAILURE' ? 'bar fail' : 'bar');
    svg.append(r);
  });
  return el('figure', { class: 'chart' }, svg, el('figcaption', { text: label }));
}

function badge(state) { return el('span', { class: 'badge ' + state, text: state }); }

function progress(op) {
  return el('div', { class: 'op ' + op.state, 'data-op': op.id },
    el('strong', { text: op.job + ' · ' + op.kind }), ' ', badge(op.state), ' ',
    el('span', { class: 'muted', text: op.origin }),
    el('div', { class: 'progress' },
      el('span', { text: bytes(op.bytes) }), el('span', { text: op.files + ' files' }),
      el('span', { text: bytes(op.rate) + '/s' }), el('span', { text: dur(op.elapsed_ms) })),
    op.message ? el('div', { class: 'muted small', text: op.message }) : null);
}

// Live operations from the server-sent event stream; polling when EventSource is missing.
function watchLive(filterJob, onChange) {
  const render = data => {
    const box = $('live');
    const running = data.running.filter(o => !filterJob || o.job === filterJob);
    clear(box);
    if (!running.length) box.append(el('p', { class: 'muted', text: 'Nothing is running.' }));
    running.forEach(o => box.append(progress(o)));
    for (const f of data.finished) {
      if (S.watching.has(f.id)) { S.watching.delete(f.id); onChange(f); }
    }
  };
  if (window.EventSource) {
    const es = new EventSource('/api/live/stream');
    es.onmessage = ev => render(JSON.parse(ev.data));
  } else {
    setInterval(async () => render(await api('/api/live')), 1000);
  }
}

// ---------------------------------------------------------------- overview

async function overview() {
  const o = await api('/api/overview');
  const jobs = clear($('jobs'));
  if (!o.jobs.length) jobs.append(el('p', { class: 'muted', text: 'No jobs configured.' }));
  for (const j of o.jobs) {
    const stale = j.age_seconds !== null && j.age_seconds > j.max_age_seconds;
    const mirror = j.kind === 'mirror';
    jobs.append(el('article', { class: 'card ' + j.state, 'data-job': j.job, 'data-kind': j.kind },
      el('h3', {}, el('a', { href: '/job.html?job=' + encodeURIComponent(j.job), text: j.job }), ' ', badge(j.state),
        j.kind !== 'archive' ? el('span', { class: 'kind muted', text: ' ' + j.kind }) : null),
      el('dl', {},
        el('dt', { text: mirror ? 'Last good run' : 'Newest backup' }), el('dd', { class: stale ? 'bad' : '', text: age(j.age_seconds) + (mirror ? ' ago' : ' old') + ' (max ' + age(j.max_age_seconds) + ')' }),
        el('dt', { text: mirror ? 'Last copied' : 'Last size' }), el('dd', { text: bytes(j.last_size) }),
        el('dt', { text: 'Last duration' }), el('dd', { text: dur(j.last_duration_ms) }),
        mirror ? el('dt', { text: 'Last run' }) : null, mirror ? el('dd', { text: j.last_run ? j.last_run.toLowerCase() : 'never' }) : null,
        el('dt', { text: 'Next run' }), el('dd', { text: j.next_run ? when(j.next_run) : (j.schedule ? '–' : 'not scheduled') }),
        j.last_error ? el('dt', { text: 'Last error' }) : null, j.last_error ? el('dd', { class: 'bad', text: j.last_error }) : null),
      el('div', { class: 'charts' }, spark(j.recent, 'size', 'size', bytes), spark(j.recent, 'duration_ms', 'duration', dur)),
      mirror ? el('p', { class: 'muted small', text: 'Mirror: runs on its schedule or with holdfast run ' + j.job + '.' })
        : el('p', { class: 'admin-only' }, el('button', { type: 'button', class: 'run-now', 'data-job': j.job, onclick: () => runNow(j.job) }, 'Run now'))));
  }
  const tb = clear($('targets').tBodies[0]);
  for (const t of o.targets) {
    tb.append(el('tr', {}, el('td', { text: t.location }), el('td', {}, t.reachable ? badge('ok') : el('span', { class: 'bad', text: 'no: ' + t.error })),
      el('td', { text: bytes(t.free_bytes) }), el('td', { text: t.backups })));
  }
  const locks = clear($('locks'));
  if (!o.locks.length) locks.append(el('p', { class: 'muted', text: 'No job lock is held.' }));
  for (const l of o.locks) locks.append(el('p', {}, el('strong', { text: l.job }), ' ', l.holder));
  fleet();
}

async function fleet() {
  const f = await api('/api/fleet');
  const box = clear($('fleet-targets'));
  for (const t of f.targets) {
    const rows = t.jobs.map(j => el('tr', {}, el('td', { text: j.host }), el('td', { text: j.job }), el('td', {}, badge(j.state)),
      el('td', { text: age(j.age_seconds) }), el('td', { text: j.backups }), el('td', { text: bytes(j.size) })));
    add(box, el('h3', { text: t.location }), t.error ? el('p', { class: 'bad', text: t.error }) : null,
      el('div', { class: 'scroll' }, el('table', { class: 'fleet' },
        el('thead', {}, el('tr', {}, ...['Host', 'Job', 'State', 'Newest', 'Backups', 'Stored'].map(h => el('th', { text: h })))),
        el('tbody', {}, ...rows))));
  }
}

async function runNow(job) {
  try {
    const op = await api('/api/jobs/' + encodeURIComponent(job) + '/run', { method: 'POST' });
    S.watching.add(op.id);
    message('Started ' + job + '.', 'ok');
  } catch (e) { message(e.message, 'bad'); }
}

// ---------------------------------------------------------------- job page

async function jobPage() {
  const name = param('job');
  document.title = name + ' · Holdfast';
  $('title').textContent = name;
  const d = await api('/api/jobs/' + encodeURIComponent(name));
  const s = d.status;
  const mirror = s.kind === 'mirror';
  document.body.dataset.kind = s.kind;
  for (const id of ['backups-section', 'verify-section', 'retention-section', 'job-actions']) $(id).hidden = mirror;
  $('forget-dry').hidden = s.kind === 'repository';
  add(clear($('summary')), badge(s.state), el('span', { class: 'kind', text: s.kind }),
    el('span', { text: mirror ? 'mirror to ' + s.target + ', last good run ' + age(s.age_seconds) + ' ago (max ' + age(s.max_age_seconds) + ')'
      : 'newest backup ' + age(s.age_seconds) + ' old (max ' + age(s.max_age_seconds) + ')' }),
    el('span', { text: 'last ' + bytes(s.last_size) + ' in ' + dur(s.last_duration_ms) }),
    el('span', { text: s.schedule ? 'schedule "' + s.schedule + '", next ' + when(s.next_run) : 'not scheduled' }),
    s.lock_holder ? el('span', { text: 'lock held: ' + s.lock_holder }) : null);
  clear($('charts')).append(spark(s.recent, 'size', 'size', bytes), spark(s.recent, 'duration_ms', 'duration', dur));
  const tb = clear($('runs').tBodies[0]);
  for (const r of d.runs) {
    const logRow = el('tr', { class: 'log', hidden: true }, el('td', { colspan: 7 }, el('pre', { text: '' })));
    const ms = new Date(r.finished) - new Date(r.started);
    tb.append(el('tr', { 'data-run': r.id }, el('td', { text: when(r.started) }), el('td', {}, badge(r.status.toLowerCase())),
      el('td', { text: dur(ms) }), el('td', { text: bytes(r.size) }), el('td', { text: r.files }),
      el('td', { class: 'mono', text: r.backup || (r.error || '') }),
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: async () => {
        if (!logRow.hidden) { logRow.hidden = true; return; }
        const l = await api('/api/jobs/' + encodeURIComponent(name) + '/runs/' + r.id + '/log');
        logRow.querySelector('pre').textContent = l.lines.join('\n') || '(no log lines)';
        logRow.hidden = false;
      } }, 'log'))), logRow);
  }
  if (!d.runs.length) tb.append(el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No runs recorded.' })));
  if (mirror) return;
  const tg = clear($('targets'));
  for (const t of d.targets) {
    tg.append(el('h3', { text: t.role + ': ' + t.location }));
    if (t.error) tg.append(el('p', { class: 'bad', text: t.error }));
    const rows = t.backups.map(b => el('tr', {}, el('td', { class: 'mono' },
      el('a', { href: '/browse.html?job=' + encodeURIComponent(name) + '&t=' + t.index + '&backup=' + encodeURIComponent(b.id), text: b.id })),
      el('td', { text: when(b.time) }), el('td', { text: b.host || '–' }), el('td', { text: bytes(b.size) }),
      el('td', { text: b.files < 0 ? '–' : b.files }), el('td', { text: b.format === 'repository' ? 'snapshot' : b.encrypted ? 'encrypted' : '' })));
    tg.append(el('div', { class: 'scroll' }, el('table', { class: 'backups' },
      el('thead', {}, el('tr', {}, ...['Backup', 'Time', 'Host', 'Size', 'Files', ''].map(h => el('th', { text: h })))),
      el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 6, class: 'muted', text: 'No backups.' }))])))));
  }
  const v = clear($('verifications'));
  if (!d.verifications.length) v.append(el('p', { class: 'muted', text: 'None since the daemon started.' }));
  for (const op of d.verifications) {
    const r = op.result || {};
    v.append(el('p', { class: 'verify' }, badge(op.state === 'done' ? 'ok' : 'failing'), ' ', when(op.finished), ' ', op.message || '',
      r.problems && r.problems.length ? el('span', { class: 'bad', text: ' — ' + r.problems.map(p => (p.entry ? p.entry + ': ' : '') + p.message).join('; ') }) : null));
  }
  $('retention-policy').textContent = 'Policy: ' + d.retention.policy + '. ' + d.retention.remove + ' backup(s) would be removed by the next forget.';
  planRows($('retention'), d.retention.decisions);
}

function planRows(table, decisions) {
  const tb = clear(table.tBodies[0]);
  for (const p of decisions) {
    tb.append(el('tr', { class: p.keep ? '' : 'remove' }, el('td', { class: 'mono', text: p.backup }), el('td', { text: p.target }),
      el('td', {}, badge(p.keep ? 'keep' : 'remove')), el('td', { text: p.reasons })));
  }
  if (!decisions.length) tb.append(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: 'No retention policy, or no backups: nothing would be removed.' })));
}

function jobActions() {
  const name = param('job');
  const path = '/api/jobs/' + encodeURIComponent(name);
  $('run-now').addEventListener('click', () => runNow(name));
  $('verify-now').addEventListener('click', async () => {
    try {
      const op = await api(path + '/verify', { method: 'POST', body: { level: $('verify-level').value } });
      S.watching.add(op.id); message('Verifying the newest backup of ' + name + '.', 'ok');
    } catch (e) { message(e.message, 'bad'); }
  });
  let confirm = null;
  $('forget-dry').addEventListener('click', async () => {
    try {
      const plan = await api(path + '/forget', { method: 'POST', body: { dry_run: true } });
      confirm = plan.confirm;
      $('forget-summary').textContent = 'Dry run with policy ' + plan.policy + ': ' + plan.remove + ' backup(s) would be removed. Nothing has been removed yet.';
      planRows($('forget-table'), plan.decisions);
      $('forget-apply').disabled = plan.remove === 0;
      $('forget-panel').hidden = false;
    } catch (e) { message(e.message, 'bad'); }
  });
  $('forget-cancel').addEventListener('click', () => { $('forget-panel').hidden = true; confirm = null; });
  $('forget-apply').addEventListener('click', async () => {
    try {
      const r = await api(path + '/forget', { method: 'POST', body: { dry_run: false, confirm } });
      $('forget-panel').hidden = true;
      message('Removed ' + r.removed + ' backup(s).', 'ok');
      jobPage();
    } catch (e) { message(e.message, 'bad'); }
  });
}

// ---------------------------------------------------------------- browse and restore

async function browsePage() {
  const job = param('job'), t = param('t') || '0', backup = param('backup'), path = param('path') || '';
  const base = '/api/jobs/' + encodeURIComponent(job) + '/targets/' + encodeURIComponent(t);
  $('job-link').href = '/job.html?job=' + encodeURIComponent(job);
  $('job-link').textContent = job;
  $('title').textContent = backup;
  const q = p => '?backup=' + encodeURIComponent(backup) + '&path=' + encodeURIComponent(p);
  const here = p => '/browse.html?job=' + encodeURIComponent(job) + '&t=' + encodeURIComponent(t) + '&backup=' + encodeURIComponent(backup) + '&path=' + encodeURIComponent(p);
  const crumbs = clear($('crumbs'));
  crumbs.append(el('a', { href: here(''), text: '/' }));
  let acc = '';
  for (const part of path.split('/').filter(Boolean)) {
    acc = acc ? acc + '/' + part : part;
    crumbs.append(' ', el('a', { href: here(acc), text: part + '/' }));
  }
  if (path) crumbs.append(' ', el('a', { class: 'download admin-only', href: base + '/download' + q(path), text: '⇩ download this directory (.tar.gz)' }));
  const tree = await api(base + '/tree' + q(path));
  const tb = clear($('tree').tBodies[0]);
  for (const n of tree.entries) {
    const isDir = n.type === 'dir';
    tb.append(el('tr', { 'data-path': n.path },
      el('td', { class: 'name ' + n.type }, isDir ? el('a', { href: here(n.path), text: n.name + '/' }) : el('span', { text: n.name + (n.link ? ' → ' + n.link : '') })),
      el('td', { text: isDir ? '' : bytes(n.size) }), el('td', { class: 'mono', text: n.mode || '' }), el('td', { text: when(n.mtime) }),
      el('td', { class: 'admin-only' },
        n.type === 'link' ? null : el('a', { class: 'download', href: base + '/download' + q(n.path), text: isDir ? '.tar.gz' : 'download' }), ' ',
        el('button', { type: 'button', class: 'link pick', onclick: () => { $('restore-path').value = n.path; $('restore-into').focus(); } }, 'restore…'))));
  }
  if (!tree.entries.length) tb.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'Empty.' })));
  $('restore-path').value = path;

  let pending = null;
  const show = (p, req) => {
    pending = Object.assign({}, req, { confirm: p.confirm });
    $('confirm-summary').textContent = p.summary;
    const ct = clear($('confirm-table').tBodies[0]);
    for (const w of p.writes) {
      ct.append(el('tr', { class: w.exists ? 'remove' : '' }, el('td', { class: 'mono', text: w.dest }), el('td', { text: w.type }),
        el('td', { text: w.type === 'file' ? bytes(w.size) : '' }), el('td', { text: w.exists ? 'yes' : '' })));
    }
    if (p.truncated) ct.append(el('tr', {}, el('td', { colspan: 4, class: 'muted', text: '… and more (' + p.files + ' files in all)' })));
    $('confirm').hidden = false;
    $('restore-result').hidden = true;
  };
  $('restore-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const req = { kind: 'files', target: Number(t), backup, path: $('restore-path').value.trim(), into: $('restore-into').value.trim(), overwrite: $('restore-overwrite').checked };
    try { show(await api('/api/jobs/' + encodeURIComponent(job) + '/restore/preview', { method: 'POST', body: req }), req); } catch (e) { message(e.message, 'bad'); }
  });
  $('db-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const req = { kind: 'database', target: Number(t), backup, database: $('db-name').value.trim(), into: $('db-into').value.trim() || null, create: $('db-create').checked, clean: $('db-clean').checked };
    try { show(await api('/api/jobs/' + encodeURIComponent(job) + '/restore/preview', { method: 'POST', body: req }), req); } catch (e) { message(e.message, 'bad'); }
  });
  $('confirm-cancel').addEventListener('click', () => { $('confirm').hidden = true; pending = null; });
  $('confirm-restore').addEventListener('click', async () => {
    const out = $('restore-result');
    try {
      const r = await api('/api/jobs/' + encodeURIComponent(job) + '/restore', { method: 'POST', body: pending });
      const x = r.result;
      out.textContent = x.files !== undefined ? 'Restored ' + x.files + ' file(s), ' + x.directories + ' directories, ' + bytes(x.bytes) + ' from ' + x.backup + '.'
        : 'Restored ' + x.entry + ' into ' + x.into + ' (' + bytes(x.bytes) + ').';
      out.className = 'message ok';
    } catch (e) { out.textContent = e.message; out.className = 'message bad'; }
    out.hidden = false; $('confirm').hidden = true;
  });
}

// ---------------------------------------------------------------- login

function loginPage() {
  $('login-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      const r = await fetch('/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: $('user').value, password: $('password').value }) });
      if (!r.ok) { message('Wrong user or password.', 'bad'); return; }
      const next = param('next');
      location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
    } catch (e) { message(e.message, 'bad'); }
  });
}

// ---------------------------------------------------------------- start

document.addEventListener('DOMContentLoaded', async () => {
  const page = document.body.dataset.page;
  try {
    if (page === 'login') { loginPage(); return; }
    await session();
    if (page === 'overview') {
      await overview();
      setInterval(() => overview().catch(e => message(e.message, 'bad')), 60000); // ages move on
      watchLive(null, f => { message(f.job + ' ' + f.kind + ': ' + f.state + (f.message ? ' (' + f.message + ')' : ''), f.state === 'failed' ? 'bad' : 'ok'); overview(); });
    } else if (page === 'job') {
      jobActions();
      await jobPage();
      setInterval(() => jobPage().catch(e => message(e.message, 'bad')), 60000);
      watchLive(param('job'), f => { message(f.kind + ' ' + f.state + (f.message ? ': ' + f.message : ''), f.state === 'failed' ? 'bad' : 'ok'); jobPage(); });
    } else if (page === 'browse') {
      await browsePage();
    }
    document.body.dataset.ready = 'true';
  } catch (e) {
    if (e.message !== 'login required') message(e.message, 'bad');
  }
});
