#!/usr/bin/env node
// web/dev/mock-server: a stand-in for mamorid's console API (docs/console-api.md) with made-up
// data, for working on the console without a C++ build: `npm run console:mock`, then open the
// printed URL (users analyst, overseer, operator, admin; password "mock-password"). It serves
// web/dist with the same security headers as mamorid (CSP without inline script or style),
// so that a CSP violation shows here too. Plain HTTP on loopback; not a test of the server.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '..', 'dist');
const port = Number(process.env.PORT ?? 5180);
const password = 'mock-password';
const roles = { analyst: 'analyst', overseer: 'overseer', operator: 'operator', admin: 'admin' };
const rbac = {
  'GET /api/dashboard': ['analyst', 'overseer', 'admin'],
  'GET /api/purposes': ['analyst', 'admin'],
  'GET /api/records': ['analyst'],
  'GET /api/findings': ['analyst'],
  'GET /api/incidents': ['operator', 'analyst', 'admin'],
  'POST /api/incidents': ['operator'],
  'GET /api/notices': ['operator'],
  'GET /api/computers': ['operator', 'analyst', 'admin'],
  'GET /api/products': ['analyst', 'admin'],
  'GET /api/products/{id}': ['analyst', 'admin'],
  'GET /api/provisions': ['analyst', 'overseer', 'admin'],
  'GET /api/oversight/head': ['overseer', 'admin'],
  'POST /api/oversight/verify': ['overseer'],
  'GET /api/oversight/report': ['overseer'],
};
const sessions = new Map(); // cookie value → {user, role, csrf_token, expires_at}
const jobs = new Map();
const detected = Date.now() - 40 * 86400e3; // the demo's incident: its 確報 is overdue
const incidents = [
  {
    id: 'inc-2026-0001',
    organisation: 'org-demo',
    opened_at: new Date(detected).toISOString(),
    phase: 'first',
    deadlines: {
      first: new Date(detected + 86400e3).toISOString(),
      final: new Date(detected + 30 * 86400e3).toISOString(),
    },
    overdue: true,
    summary: 'VPN 装置への不審なログインを検知',
  },
];

// The registry: the operator's organisation (the operator user is its member) and another.
const organisations = [
  { id: 'org-demo', name: '試験電力株式会社', name_en: 'Test Power', ci_sectors: ['electricity'] },
  { id: 'org-rail', name: '試験鉄道株式会社', name_en: 'Test Railway', ci_sectors: ['railway'] },
];
const computers = [
  {
    id: 'org-demo/vpn-1', organisation_id: 'org-demo', category: 'vpn-gateway', vendor: 'Fortinet',
    product: 'FortiOS', version: '7.2.4', cpe: '', internet_facing: true, managed_by: 'operator',
    contractor: '', note: '',
  },
  {
    id: 'org-rail/fw-1', organisation_id: 'org-rail', category: 'firewall', vendor: 'Palo Alto Networks',
    product: 'PAN-OS', version: '10.2.9', cpe: 'cpe:2.3:o:paloaltonetworks:pan-os:10.2.9:*:*:*:*:*:*:*',
    internet_facing: true, managed_by: 'contractor', contractor: '試験システム保守株式会社',
    note: '夜間は委託先が監視',
  },
];
const memberOf = { operator: ['org-demo'] };

// Intelligence: one product in two versions, provided once (to a council member, at T2).
const labels = (comm_info = false, secret = false) => ({ comm_info, shareable: false, secret, providers: [] });
const productVersions = [
  { version: 1, title: 'VPN 装置から C2 サーバへのビーコン通信', author: 'analyst', created_at: '2026-11-02T01:00:00Z' },
  { version: 2, title: 'VPN 装置から C2 サーバへのビーコン通信 / Beaconing from VPN gateways', author: 'analyst', created_at: '2026-11-03T01:00:00Z' },
];
const product = {
  id: 'apt-demo', version: 2, tier: 'T1', ...productVersions[1],
  parts: [
    { id: 'c2-address', kind: 'indicator', indicator_type: 'ip', value: '203.0.113.45', labels: labels(true), essential: false, generalisable: true },
    { id: 'c2-domain', kind: 'indicator', indicator_type: 'domain', value: 'c2.example.net', labels: labels(), essential: true, generalisable: false },
    { id: 'technique', kind: 'attack_technique', value: 'T1071.001', labels: labels(), essential: false, generalisable: false },
    { id: 'cve', kind: 'vulnerability', value: 'CVE-2024-21762', labels: labels(false, true), essential: false, generalisable: false, vendor: 'fortinet', embargo_until: '2026-12-31T00:00:00.000000Z' },
  ],
  notes: [
    { audience: 'technical', language: 'en', text: 'Indicators of the C2 server and T1071.001 beaconing every 60 s.', labels: labels() },
    { audience: 'technical', language: 'ja', text: 'C2 サーバの指標と 60 秒ごとの T1071.001 ビーコン通信。', labels: labels() },
    { audience: 'strategic', language: 'en', text: 'A campaign against VPN gateways of power utilities.', labels: labels() },
    { audience: 'strategic', language: 'ja', text: '電力事業者の VPN 装置を狙った攻撃活動。', labels: labels() },
  ],
};
const provisions = [
  {
    ledger_seq: 14, at: '2026-11-03T02:00:00Z', recipient_id: 'kanto-isac', recipient_class: 'council_member',
    recipient_class_ja: '協議会の構成員', product_id: 'apt-demo', product_version: 2, type: 'tiered', tier: 'T2',
    legal_basis: '重要電子計算機に対する不正な行為による被害の防止に関する法律', purpose: 'attack-analysis',
    provided_by: 'analyst',
  },
];

const headers = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

function send(res, status, body, extra = {}) {
  const json = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Cache-Control': 'no-store',
    ...(json ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    ...extra,
  });
  res.end(json);
}
const fail = (res, status, code, message, message_ja, field) =>
  send(res, status, { error: { code, message, message_ja, ...(field ? { field } : {}) } });

function day(offset) {
  const d = new Date(Date.now() - offset * 86400000);
  return d.toISOString().slice(0, 10);
}

function dashboard(days) {
  return {
    days: Array.from({ length: days }, (_, i) => ({
      date: day(days - 1 - i),
      FF: (i * 7) % 23,
      FD: (i * 5) % 17,
      DF: (i * 3) % 11,
    })),
    by_rule: [
      { rule: 'c2-beacon-tls', records: 412 },
      { rule: 'exploit-ivanti', records: 57 },
    ],
    records_total: 469,
    runs: [
      {
        id: 1,
        sensor: 'gw-1',
        input: 'demo.pcap',
        started_at: new Date(Date.now() - 3600e3).toISOString(),
        ended_at: new Date().toISOString(),
        summary: { packets: 120000, records: 469 },
      },
    ],
  };
}

const record = (id) => ({
  id,
  record: {
    v: 1,
    sensor: 'gw-1',
    category: ['FF', 'FD', 'DF'][id % 3],
    first_seen: new Date(Date.now() - id * 60e3).toISOString(),
    proto: 'tcp',
    src: { ip: `p1:10.${id}.0.1`, port: 40000 + id, country: 'JP' },
    dst: { ip: '198.51.100.7', port: 443, country: 'NL' },
    bytes: { fwd: 1200 + id, rev: 5300 },
    matches: [{ rule: 'c2-beacon-tls', kind: 'ip' }],
  },
});

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function api(req, res, url, session, cookie) {
  const route = /^\/api\/products\/[^/]+$/.test(url.pathname)
    ? `${req.method} /api/products/{id}`
    : `${req.method} ${url.pathname.replace(/\/(f-\w+|inc-[\w-]+|job-\w+)(\/.*)?$/, '')}`;
  if (url.pathname === '/api/session') {
    if (req.method === 'POST') {
      const { user, password: given } = await body(req);
      if (!roles[user] || given !== password) {
        return fail(res, 401, 'unauthenticated', 'wrong user or password', '利用者名またはパスワードが違います');
      }
      const cookie = randomBytes(32).toString('base64url');
      const created = {
        user,
        role: roles[user],
        csrf_token: randomBytes(16).toString('hex'),
        expires_at: new Date(Date.now() + 8 * 3600e3).toISOString(),
      };
      sessions.set(cookie, created);
      return send(res, 200, created, {
        'Set-Cookie': `mamori_session=${cookie}; Path=/; HttpOnly; SameSite=Strict`,
      });
    }
    if (!session) return fail(res, 401, 'unauthenticated', 'not logged in', 'ログインしていません');
    if (req.method === 'GET') return send(res, 200, session);
  }
  if (!session) return fail(res, 401, 'unauthenticated', 'not logged in', 'ログインしていません');
  if (req.method !== 'GET' && req.headers['x-csrf-token'] !== session.csrf_token) {
    return fail(res, 403, 'csrf', 'missing or wrong X-CSRF-Token', 'CSRF トークンがありません');
  }
  if (url.pathname === '/api/session' && req.method === 'DELETE') {
    sessions.delete(cookie);
    return send(res, 204);
  }
  const allowed = rbac[route];
  if (allowed && !allowed.includes(session.role)) {
    return fail(res, 403, 'forbidden', 'your role may not do this', 'この操作の権限がありません');
  }
  if (/^\/api\/incidents\/[\w-]+\/reports$/.test(url.pathname) && req.method === 'POST') {
    const incident = incidents.find((i) => i.id === url.pathname.split('/')[3]);
    if (!incident) return fail(res, 404, 'not_found', 'no such incident', 'インシデントがありません');
    incident.phase = (await body(req)).phase;
    return send(res, 201, { incident });
  }
  switch (route) {
    case 'GET /api/dashboard':
      return send(res, 200, dashboard(Number(url.searchParams.get('days') ?? 14)));
    case 'GET /api/purposes':
      return send(res, 200, { purposes: ['attack-analysis'] });
    case 'GET /api/records': {
      const purpose = url.searchParams.get('purpose');
      if (!purpose) {
        return fail(res, 400, 'purpose_required', 'state a purpose', '利用目的を明示してください', 'purpose');
      }
      if (purpose !== 'attack-analysis') {
        return fail(res, 403, 'purpose_refused',
          `purpose '${purpose}' is not an allowed purpose; the refusal is recorded`,
          `目的「${purpose}」は認められていません（拒否は台帳に記録されました）`, 'purpose');
      }
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const rows = Array.from({ length: Math.min(limit, 120 - after) }, (_, i) => record(after + i + 1));
      return send(res, 200, { records: rows, next_after: after + rows.length < 120 ? after + rows.length : null });
    }
    case 'GET /api/findings':
      if (url.pathname === '/api/findings') {
        return send(res, 200, {
          findings: [
            { id: 'f-0001', detector: 'c2_server', score: 0.93, first_seen: '2026-11-01T00:10:00Z', last_seen: '2026-11-01T05:00:00Z', summary: '198.51.100.7: 42 bots beacon every 60 s' },
          ],
        });
      }
      return send(res, 200, {
        finding: { id: 'f-0001', kind: 'c2_server', subject: '198.51.100.7', score: 0.93, confidence: 0.8, evidence_total: 420, first_seen: '2026-11-01T00:10:00Z', last_seen: '2026-11-01T05:00:00Z' },
        graph: {
          nodes: [
            { id: 'c2:198.51.100.7', kind: 'c2', label: '198.51.100.7' },
            { id: 'bots:1', kind: 'bots', label: 'domestic bots', count: 42 },
            { id: 'fp:ja3', kind: 'fingerprint', label: 'ja3 e7d705a3286e19ea42f587b344ee6865' },
          ],
          edges: [
            { from: 'bots:1', to: 'c2:198.51.100.7', label: 'beacon 60 s' },
            { from: 'c2:198.51.100.7', to: 'fp:ja3', label: 'tls' },
          ],
        },
      });
    case 'GET /api/incidents':
      return send(res, 200, { incidents });
    case 'POST /api/incidents': {
      const report = await body(req);
      if (!report.known) return fail(res, 400, 'invalid_report', 'first report (速報): missing required fields: known', '速報: 必須項目がありません: known', 'known');
      const detected = new Date(report.detected_at);
      const deadlines = {
        first: new Date(detected.getTime() + 86400e3).toISOString(),
        final: new Date(detected.getTime() + 30 * 86400e3).toISOString(),
      };
      const incident = {
        id: `inc-2026-${String(incidents.length + 1).padStart(4, '0')}`,
        organisation: report.organisation_id,
        opened_at: new Date().toISOString(),
        phase: 'first',
        deadlines,
        overdue: false,
        summary: report.known,
      };
      incidents.push(incident);
      return send(res, 201, { incident, deadlines });
    }
    case 'GET /api/notices':
      return send(res, 200, {
        notices: [{
          organisation_id: 'org-demo',
          notices: [{
            computer_id: 'org-demo/vpn-1', vulnerability_id: 'CVE-2024-21762',
            vulnerability_name: 'Fortinet FortiOS Out-of-Bound Write Vulnerability',
            vendor: 'Fortinet', product: 'FortiOS', computer_version: '7.2.4', embargoed: false,
            required_action: 'Apply mitigations per vendor instructions.', due_date: '2024-02-16',
            reasons: [{ code: 'internet-facing', en: 'Internet-facing', ja: 'インターネットに露出' }],
          }],
        }],
        warnings: [],
      });
    case 'GET /api/computers': {
      const visible = (id) => session.role !== 'operator' || (memberOf[session.user] ?? []).includes(id);
      return send(res, 200, {
        organisations: organisations.filter((o) => visible(o.id)),
        computers: computers.filter((c) => visible(c.organisation_id)),
      });
    }
    case 'GET /api/products':
      return send(res, 200, {
        products: [{ id: product.id, version: product.version, title: product.title, author: product.author, created_at: product.created_at }],
      });
    case 'GET /api/products/{id}': {
      const id = decodeURIComponent(url.pathname.split('/').pop());
      if (id !== product.id) return fail(res, 404, 'not_found', 'no such product', '成果物がありません');
      if (!url.searchParams.has('version')) return send(res, 200, { product, versions: productVersions, provisions });
      const version = productVersions.find((v) => String(v.version) === url.searchParams.get('version'));
      if (!version) return fail(res, 404, 'not_found', 'no such version', '該当する版がありません');
      return send(res, 200, { product: { ...product, ...version }, versions: productVersions, provisions });
    }
    case 'GET /api/provisions': {
      const productId = url.searchParams.get('product');
      const recipient = url.searchParams.get('recipient');
      return send(res, 200, {
        provisions: provisions.filter(
          (p) => (!productId || p.product_id === productId) && (!recipient || p.recipient_id === recipient),
        ),
      });
    }
    case 'GET /api/oversight/head':
      return send(res, 200, { size: 1234, root: 'ab'.repeat(32), signed_at: new Date().toISOString(), signature: 'cd'.repeat(64), public_key: 'ef'.repeat(32) });
    case 'POST /api/oversight/verify': {
      const id = `job-${randomBytes(4).toString('hex')}`;
      jobs.set(id, { started: Date.now(), owner: session.user });
      return send(res, 202, { job: id });
    }
    case 'GET /api/jobs': {
      const job = jobs.get(url.pathname.split('/').pop());
      if (!job || job.owner !== session.user) return fail(res, 404, 'not_found', 'no such job', 'ジョブがありません');
      const progress = Math.min(1, (Date.now() - job.started) / 2000);
      return send(res, 200, progress < 1
        ? { state: 'running', progress }
        : { state: 'done', progress: 1, result: { intact: true, leaves: 1234, heads_checked: 3, problems: [] } });
    }
    case 'GET /api/oversight/report':
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Disposition': 'attachment; filename="inspection-report.html"' });
      return res.end('<!doctype html><title>検査報告</title><h1>検査報告 (mock)</h1>');
  }
  return fail(res, 404, 'not_found', 'no such route', 'そのような API はありません');
}

async function staticFile(res, pathname) {
  const relative = normalize(pathname).replace(/^\/+/, '');
  let file = join(dist, relative);
  if (!file.startsWith(dist) || relative.split('/').some((p) => p.startsWith('.')) || !extname(file)) {
    file = join(dist, 'index.html');
  }
  try {
    const data = await readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
    res.end(data);
  } catch {
    const data = await readFile(join(dist, 'index.html'));
    res.writeHead(200, { ...headers, 'Content-Type': types['.html'] });
    res.end(data);
  }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const cookie = /mamori_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  const session = (cookie && sessions.get(cookie)) || null;
  try {
    if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
    if (url.pathname.startsWith('/api/')) return await api(req, res, url, session, cookie);
    return await staticFile(res, url.pathname);
  } catch (error) {
    return fail(res, 500, 'internal', String(error.message), '内部エラー');
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`mock console at http://127.0.0.1:${server.address().port}/ (password ${password})`);
});
