#!/usr/bin/env node
// tests/browser/start-console: a governed demo installation in a temporary directory, made
// with the real `mamori` CLI the way scripts/demo makes one (keys, the overseer's approvals, a
// sieve run over synthetic traffic, an analysis run, users of every role with passwords from
// files, a registered organisation with its operator user, the KEV catalog and a filed
// computer so that notices exist, an intelligence product provided once to a council member),
// and `mamorid` serving the console from web/dist on a loopback port. Used by
// console.test.mjs; also runnable by hand:
//
//   node tests/browser/start-console.mjs --mamori build/src/mamori/cli/mamori \
//        --mamorid build/src/mamori/server/mamorid/mamorid [--keep]
//
// prints the URL and where the users' password files are, and serves until Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const sourceDir = resolve(import.meta.dirname, '..', '..');
export const roles = ['analyst', 'overseer', 'operator', 'admin'];
export const purpose = 'attack-analysis';
export const organisation = 'org-demo';
export const organisationName = '試験電力株式会社';

// The demo's intelligence product and the provision made of it (console.test.mjs checks both).
// Version 2 revises the title (this prefix) after the provision was made of version 1.
export const product = 'apt-demo';
export const revisedTitlePrefix = '改訂: ';
export const provision = {
  recipient: 'kanto-isac',
  recipientClass: 'council_member',
  legalBasis: '重要電子計算機に対する不正な行為による被害の防止に関する法律',
};

// A T1 product as `mamori intel product put` takes it (intel::product_to_json): labelled parts,
// technical and strategic notes in English and Japanese. Documentation addresses only.
function demoProduct(createdAt) {
  const labels = (commInfo = false) => ({ comm_info: commInfo, shareable: false, secret: false });
  const part = (id, kind, value, extra = {}) => ({
    id, kind, value, labels: labels(), essential: false, generalisable: false, ...extra,
  });
  const note = (audience, language, text) => ({ audience, language, text, labels: labels() });
  return {
    id: product,
    version: 0,
    tier: 'T1',
    title: 'VPN 装置から C2 サーバへのビーコン通信 / Beaconing from VPN gateways to a C2 server',
    author: 'analyst',
    created_at: createdAt,
    parts: [
      part('c2-address', 'indicator', '203.0.113.45',
        { indicator_type: 'ip', labels: labels(true), generalisable: true }),
      part('c2-domain', 'indicator', 'c2.example.net', { indicator_type: 'domain', essential: true }),
      part('technique', 'attack_technique', 'T1071.001'),
      part('cve', 'vulnerability', 'CVE-2024-21762'),
    ],
    notes: [
      note('technical', 'en', 'Indicators of the C2 server and T1071.001 beaconing every 60 s.'),
      note('technical', 'ja', 'C2 サーバの指標と 60 秒ごとの T1071.001 ビーコン通信。'),
      note('strategic', 'en', 'A campaign against VPN gateways of power utilities.'),
      note('strategic', 'ja', '電力事業者の VPN 装置を狙った攻撃活動。'),
    ],
  };
}

const regimes = {
  regimes: [
    {
      id: 'nisc-ci',
      name_ja: '重要インフラの事案報告（試験用）',
      name_en: 'CI incident report (test)',
      first_report_within: '24h',
      final_report_within: '30d',
    },
  ],
};

function config({ staticDir }) {
  return `sensor = "gw-1"
country_db = "${join(sourceDir, 'data', 'iptoasn-country.mmdb')}"
unknown_addresses = "domestic"
categories = ["FF", "FD", "DF"]
ruleset = "capture.rules.toml"
store = "sqlite:records.db"
inspect_bytes = 4096

[governance]
overseer_key = "overseer.pub"
ledger_key = "sensor.key"
approvals = ["approval-ff.json", "approval-fd.json", "approval-df.json"]
retention = "180d"

[privacy]
key_file = "pseudonym.keys"
clear = "infrastructure"

[share]
k = 5
window = "1h"

[[access.purposes]]
id = "${purpose}"
label_ja = "重要電子計算機に対する特定不正行為による被害の防止のための分析"
label_en = "analysis to prevent damage from attacks on important computers"
roles = ["analyst", "overseer"]

[registry]
path = "registry.db"
regimes = "regimes.json"
default_regime = "nisc-ci"
attack_techniques = "${join(sourceDir, 'data', 'attack-enterprise-techniques.csv')}"

[console]
address = "127.0.0.1"
port = 0
static_dir = "${staticDir}"
# Every login counts, per client address: the tests log in a dozen times a minute from
# 127.0.0.1 (the limiter itself is tested in tests/server).
login_attempts_per_minute = 100
`;
}

// GET https://127.0.0.1:port/healthz against the installation's own certificate.
function healthz(port, ca) {
  return new Promise((done) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', ca, servername: 'localhost', timeout: 2000 },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => done(res.statusCode === 200 && text.includes('"ok"')));
      },
    );
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startConsole({
  mamori,
  mamorid,
  staticDir = join(sourceDir, 'web', 'dist'),
  keep = false,
  log = () => {},
}) {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-console-'));
  const at = (name) => join(dir, name);
  const run = (args, label) => {
    log(`mamori ${args.join(' ')}`);
    const result = spawnSync(mamori, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) {
      throw new Error(
        `${label}: mamori ${args[0]} exited ${result.status ?? result.signal}: ${result.stderr}`,
      );
    }
    return result.stdout;
  };
  let server = null;
  const stop = async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const cfg = ['--config', at('mamori.toml')];
    writeFileSync(at('mamori.toml'), config({ staticDir }));
    writeFileSync(at('regimes.json'), JSON.stringify(regimes));

    // Traffic, keys and the overseer's approvals (one per legal basis), as scripts/demo.
    run(['synth', '--out', at('capture.pcap'), '--seed', '7', '--size-mb', '2'], 'synth');
    run(['keys', 'new', '--role', 'overseer', '--out', at('overseer')], 'overseer key');
    run(['keys', 'new', '--role', 'sensor', '--out', at('sensor')], 'sensor key');
    run(['keys', 'pseudonym', '--out', at('pseudonym.keys')], 'pseudonym key');
    const now = new Date();
    const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const notBefore = iso(new Date(now.getTime() - 3600e3));
    const notAfter = iso(new Date(now.getTime() + 30 * 86400e3));
    for (const [name, basis, category] of [
      ['ff', 'foreign-foreign', 'FF'],
      ['fd', 'foreign-domestic', 'FD'],
      ['df', 'domestic-foreign', 'DF'],
    ]) {
      run(['approval', 'request', ...cfg, '--id', `req-console-${name}`, '--basis', basis,
        '--categories', category, '--not-before', notBefore, '--not-after', notAfter,
        '--justification', 'browser test of the console / コンソールの試験',
        '--out', at(`request-${name}.json`)], 'approval request');
      run(['approve', '--key', at('overseer.key'), '--request', at(`request-${name}.json`),
        '--out', at(`approval-${name}.json`), ...cfg], 'approve');
    }
    run(['sieve', ...cfg, '--input', at('capture.pcap'), '--no-progress'], 'sieve');

    // Users of every role, each with a password of its own in a 0600 file.
    const users = {};
    for (const role of roles) {
      const password = randomBytes(18).toString('base64url');
      const file = at(`${role}.password`);
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
      run(['users', 'add', ...cfg, '--name', role, '--role', role, '--password-file', file],
        `users add ${role}`);
      users[role] = { user: role, password, passwordFile: file };
    }
    const as = (role) => ['--user', role, '--password-file', users[role].passwordFile];

    // Findings: an analysis run over the stored records, read for the configured purpose.
    run(['analyze', ...cfg, ...as('analyst'), '--purpose', purpose], 'analyze');

    // The registry: an organisation with the operator as its user, the KEV catalog and one
    // filed computer that it lists, so that the operator has notices.
    writeFileSync(at('organisations.csv'),
      `id,名称,name_en,種別,重要インフラ分野\n${organisation},${organisationName},Test Power,designated-operator,電力\n`);
    run(['registry', 'org', 'put', ...cfg, ...as('admin'), '--file', at('organisations.csv')],
      'registry org put');
    run(['registry', 'org', 'members', ...cfg, ...as('admin'), '--org', organisation,
      '--add', 'operator'], 'registry org members');
    run(['vulns', 'import-kev', ...cfg, ...as('admin'), '--file', join(sourceDir, 'data', 'kev.json')],
      'vulns import-kev');
    writeFileSync(at('computers.csv'),
      `id,organisation_id,category,vendor,product,version,internet_facing\nvpn-1,${organisation},vpn-gateway,Fortinet,FortiOS,7.2.4,yes\n`);
    run(['registry', 'computers', 'import', ...cfg, ...as('operator'), '--org', organisation,
      '--file', at('computers.csv')], 'registry computers import');

    // An incident detected 40 days ago: its final report (確報), due after 30 days, is overdue.
    writeFileSync(at('first-report.json'), JSON.stringify({
      phase: 'first',
      reporter: 'CSIRT 当番',
      organisation_id: organisation,
      detected_at: iso(new Date(now.getTime() - 40 * 86400e3)),
      affected_computers: [],
      known: 'VPN 装置への不審なログインを検知 / suspicious logins on the VPN gateway',
    }));
    run(['incidents', 'report', ...cfg, ...as('operator'), '--org', organisation,
      '--file', at('first-report.json')], 'incidents report');

    // An intelligence product (T1, written by the analyst) provided once, to a council member
    // at T2, then revised, so that the product, two versions and a provision on the ledger
    // exist.
    writeFileSync(at('product.json'), JSON.stringify(demoProduct(iso(now))));
    run(['intel', 'product', 'put', ...cfg, ...as('analyst'), at('product.json')], 'intel product put');
    const provided = JSON.parse(run(['intel', 'provide', product, ...cfg, ...as('analyst'),
      '--recipient-id', provision.recipient, '--recipient-class', provision.recipientClass,
      '--obligation', 'council-rules-2026', '--type', 'tiered', '--legal-basis',
      provision.legalBasis, '--purpose', purpose, '--json'], 'intel provide'));
    // The provision.made entry's sequence number, which the console must show.
    const provisionSeq = provided.ledger_seq;
    // A revision after the provision: the product has two versions, the provision is of the
    // first.
    writeFileSync(at('product-2.json'),
      JSON.stringify({ ...demoProduct(iso(now)), title: `${revisedTitlePrefix}${demoProduct(iso(now)).title}` }));
    run(['intel', 'product', 'put', ...cfg, ...as('analyst'), at('product-2.json')], 'intel product put (revision)');

    // A signed tree head for the overseer to see.
    run(['ledger', 'head', ...cfg, '--out', at('head.json')], 'ledger head');

    // mamorid on an ephemeral port: it prints "mamorid: console at https://ADDRESS:PORT/" once
    // it accepts requests (after making its self-signed certificate, which the health check
    // then trusts). Bounded waits; a server that exits fails at once with its output.
    const output = [];
    server = spawn(mamorid, cfg, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const announced = new Promise((done) => {
      const watch = (chunk) => {
        output.push(String(chunk));
        const port = /console at https:\/\/[^\s]*:(\d+)\//.exec(output.join(''))?.[1];
        if (port) done(Number(port));
      };
      server.stdout.on('data', watch);
      server.stderr.on('data', watch);
      server.once('exit', () => done(null));
    });
    const startup = 30_000;
    const consolePort = await Promise.race([
      announced,
      new Promise((done) => setTimeout(() => done(null), startup).unref()),
    ]);
    const failure = (what) =>
      new Error(`mamorid ${what} (exit ${server.exitCode}): ${output.join('').trim()}`);
    if (!consolePort) throw failure(`announced no console port within ${startup / 1000} s`);
    const ca = readFileSync(at('tls/console.crt'));
    let ready = false;
    for (let attempt = 0; attempt < 50 && !ready && server.exitCode === null; ++attempt) {
      ready = await healthz(consolePort, ca);
      if (!ready) await new Promise((done) => setTimeout(done, 100));
    }
    if (!ready) throw failure(`did not answer /healthz on port ${consolePort}`);
    log(output.join('').trim());
    return {
      url: `https://127.0.0.1:${consolePort}`, dir, users, stop, serverOutput: output, provisionSeq,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// Run by hand: start, print, serve until interrupted.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      mamori: { type: 'string' },
      mamorid: { type: 'string' },
      'static-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (!values.mamori || !values.mamorid) {
    console.error('usage: start-console.mjs --mamori PATH --mamorid PATH [--static-dir DIR] [--keep]');
    process.exit(2);
  }
  const started = await startConsole({
    mamori: resolve(values.mamori),
    mamorid: resolve(values.mamorid),
    staticDir: values['static-dir'] ? resolve(values['static-dir']) : undefined,
    keep: values.keep,
    log: (line) => console.error(line),
  });
  console.log(`console / コンソール: ${started.url}/  (self-signed certificate / 自己署名証明書)`);
  console.log('demo logins / デモ用ログイン (user / password):');
  for (const role of roles) {
    console.log(`  ${started.users[role].user.padEnd(9)} ${started.users[role].password}`);
  }
  console.log(`provision ledger seq / 提供の台帳番号: ${started.provisionSeq}`);
  console.log(`installation: ${started.dir}; Ctrl-C stops the console / Ctrl-C で停止`);
  const finish = async () => {
    await started.stop();
    process.exit(0);
  };
  process.on('SIGINT', finish);
  process.on('SIGTERM', finish);
}
