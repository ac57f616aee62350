#!/usr/bin/env node
// tests/browser/console.test: the web console in a real browser (Debian's Chromium, headless,
// driven by playwright-core) against a real mamorid with demo data (start-console.mjs). Each
// role logs in and sees only its pages; an operator files a 速報 and sees its deadlines, then a
// 続報 and a 確報; a rate-limited login and an ended session are explained to the user; an
// analyst opens a finding and its graph; an overseer verifies the ledger and downloads the
// inspection report; an analyst without a purpose sees no records; an operator sees its filed
// computers; an analyst opens an intelligence product and its provisions; an overseer sees the
// provision with its ledger sequence number. A screenshot of every page goes into the
// artifacts directory. The browser may reach only the console's origin: any other request is
// aborted and fails the test, as does a CSP violation or a script error.
//
//   node tests/browser/console.test.mjs --mamori PATH --mamorid PATH [--artifacts DIR]
//   node tests/browser/console.test.mjs --url URL (--password P | --password-dir DIR)
//        against a console already running: start-console.mjs --keep (DIR/<role>.password) or
//        web/dev/mock-server.mjs (users analyst/overseer/operator/admin sharing P)
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { messages } from '../../web/src/messages.js';
import {
  organisation,
  organisationName,
  product,
  provision,
  purpose,
  revisedTitlePrefix,
  roles,
  sourceDir,
  startConsole,
} from './start-console.mjs';

const { values: options } = parseArgs({
  options: {
    mamori: { type: 'string' },
    mamorid: { type: 'string' },
    artifacts: { type: 'string' },
    url: { type: 'string' },
    password: { type: 'string' },
    'password-dir': { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const artifacts = resolve(options.artifacts ?? join(process.cwd(), 'browser-artifacts'));
const ja = messages.ja;
const timeout = 20_000;

// The navigation each role must see (the RBAC table of the console API), in Japanese.
const expectedNavigation = {
  analyst: ['nav.dashboard', 'nav.records', 'nav.findings', 'nav.incidents', 'nav.computers',
    'nav.products', 'nav.provisions'],
  overseer: ['nav.dashboard', 'nav.provisions', 'nav.oversight'],
  operator: ['nav.incidents', 'nav.notices', 'nav.computers'],
  admin: ['nav.dashboard', 'nav.incidents', 'nav.computers', 'nav.products', 'nav.provisions',
    'nav.oversight'],
};
const paths = {
  'nav.dashboard': '/dashboard',
  'nav.records': '/records',
  'nav.findings': '/findings',
  'nav.incidents': '/incidents',
  'nav.notices': '/notices',
  'nav.computers': '/computers',
  'nav.products': '/products',
  'nav.provisions': '/provisions',
  'nav.oversight': '/oversight',
};

let installation; // {url, users, stop}
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (options.url) {
    const passwordOf = (role) =>
      options['password-dir']
        ? readFileSync(join(options['password-dir'], `${role}.password`), 'utf8').trim()
        : options.password;
    const users = Object.fromEntries(roles.map((role) => [role, { user: role, password: passwordOf(role) }]));
    installation = { url: options.url.replace(/\/$/, ''), users, stop: async () => {} };
  } else {
    assert.ok(options.mamori && options.mamorid, 'give --mamori and --mamorid (or --url)');
    assert.ok(existsSync(join(sourceDir, 'web', 'dist', 'index.html')),
      'web/dist is not built: run `npm run build:web` (scripts/setup does)');
    installation = await startConsole({ mamori: resolve(options.mamori), mamorid: resolve(options.mamorid) });
  }
  browser = await chromium.launch({
    executablePath: options.chromium,
    headless: true,
    // Root in a container has no user namespaces for the sandbox; nothing but loopback is
    // reachable anyway (host names resolve to nothing, other origins are aborted below).
    args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--disable-dev-shm-usage'],
  });
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  await installation?.stop();
});

// A fresh browser context (own cookies and storage) whose page may talk only to the console.
// Returns the page and the list of problems seen (off-origin requests, CSP reports, errors).
async function openPage() {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, // mamorid's self-signed certificate, on loopback
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const problems = [];
  const requests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${installation.url}/`)) {
      requests.push(url.slice(installation.url.length));
      return route.continue();
    }
    problems.push(`request outside the console: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`CSP: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  return { context, page, problems, requests };
}

// Runs `body` with a fresh page; the page is kept as `NAME-failure.png` when the body fails,
// and the problems the page saw must be none.
async function withPage(name, body) {
  const opened = await openPage();
  try {
    await body(opened);
    assert.deepEqual(opened.problems, []);
  } catch (error) {
    await shot(opened.page, `${name}-failure`).catch(() => {});
    throw error;
  } finally {
    await opened.context.close();
  }
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function login(page, role) {
  const { user, password } = installation.users[role];
  await page.goto(`${installation.url}/`);
  await page.getByRole('heading', { name: ja['login.heading'] }).waitFor();
  await page.getByLabel(ja['login.user']).fill(user);
  await page.getByLabel(ja['login.password']).fill(password);
  await page.getByRole('button', { name: ja['login.submit'] }).click();
  await page.getByRole('navigation', { name: ja['nav.label'] }).waitFor();
}

const navigationLinks = (page) =>
  page.getByRole('navigation', { name: ja['nav.label'] }).getByRole('link').allTextContents();

test('both message tables carry the same keys', () => {
  assert.deepEqual(Object.keys(messages.en).sort(), Object.keys(messages.ja).sort());
});

describe('each role', () => {
  for (const role of roles) {
    test(`${role} logs in, sees only its pages, each without an error, and logs out`, async () => {
      await withPage(role, async ({ page }) => {
        await page.goto(`${installation.url}/`);
        await page.getByRole('heading', { name: ja['login.heading'] }).waitFor();
        await shot(page, `login`);
        await login(page, role);
        const expected = expectedNavigation[role].map((key) => ja[key]);
        assert.deepEqual(await navigationLinks(page), expected);
        assert.match(await page.locator('header .who').textContent(), new RegExp(role));
        for (const key of expectedNavigation[role]) {
          await page.getByRole('navigation').getByRole('link', { name: ja[key] }).click();
          await page.waitForURL(`**${paths[key]}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          await page.locator('.loading').first().waitFor({ state: 'detached' });
          if (key === 'nav.dashboard') {
            // The demo's traffic is from 2026-11-01: show the longest period.
            await page.getByLabel(ja['dash.days']).selectOption('90');
            await page.locator('details table tbody tr').nth(89).waitFor({ state: 'attached' });
            assert.equal(await page.locator('details table tbody tr').count(), 90);
          }
          if (key === 'nav.incidents') {
            // The demo's incident (filed by the operator from the CLI) is overdue for everyone
            // who may see it.
            await page.locator('tr[data-incident] .badge.overdue').first().waitFor();
          }
          if (key === 'nav.notices') {
            // The demo's filed FortiOS gateway is in the KEV catalog's notices.
            await page.locator('table.notices tbody tr').first().waitFor();
          }
          if (key === 'nav.computers') {
            // The demo's filed gateway: the operator's own, the government's among all.
            await page.locator('table.computers tbody tr').first().waitFor();
          }
          if (key === 'nav.products') {
            await page.locator(`table.products tr[data-product="${product}"]`).waitFor();
          }
          if (key === 'nav.provisions') {
            await page.locator('table.provisions tbody tr').first().waitFor();
          }
          const alerts = await page.getByRole('alert').allTextContents();
          assert.deepEqual(alerts, [], `${paths[key]} shows an error for ${role}`);
          await shot(page, `${role}-${paths[key].slice(1)}`);
        }
        // A page of another role is refused by the console too, not only by the server.
        const foreign = Object.values(paths).find(
          (path) => !expectedNavigation[role].some((key) => paths[key] === path),
        );
        await page.goto(`${installation.url}${foreign}`);
        await page.getByText(ja['common.forbidden']).waitFor();

        await page.getByRole('button', { name: ja['session.logout'] }).click();
        await page.getByRole('heading', { name: ja['login.heading'] }).waitFor();
        await page.reload();
        await page.getByRole('heading', { name: ja['login.heading'] }).waitFor();
      });
    });
  }

  test('a wrong password is refused with a message', async () => {
    await withPage('wrong-password', async ({ page }) => {
      await page.goto(`${installation.url}/`);
      await page.getByLabel(ja['login.user']).fill('analyst');
      await page.getByLabel(ja['login.password']).fill('not the password');
      await page.getByRole('button', { name: ja['login.submit'] }).click();
      await page.getByRole('alert').filter({ hasText: ja['login.failed'] }).waitFor();
      assert.equal(await page.getByRole('navigation', { name: ja['nav.label'] }).count(), 0);
    });
  });
});

test('the language toggle switches to English and is remembered', async () => {
  await withPage('language', async ({ page }) => {
    await login(page, 'analyst');
    await page.getByRole('button', { name: ja['lang.switch_label'] }).click();
    const en = messages.en;
    await page.getByRole('navigation', { name: en['nav.label'] }).waitFor();
    assert.deepEqual(await page.getByRole('navigation').getByRole('link').allTextContents(),
      expectedNavigation.analyst.map((key) => en[key]));
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.reload();
    await page.getByRole('navigation', { name: en['nav.label'] }).waitFor();
    await shot(page, 'analyst-dashboard-en');
    await page.getByRole('button', { name: en['lang.switch_label'] }).click();
    await page.getByRole('navigation', { name: ja['nav.label'] }).waitFor();
  });
});

test('an operator files a first report (速報), sees its deadlines, then adds a 続報', async () => {
  await withPage('operator-incident', async ({ page }) => {
    await login(page, 'operator');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.incidents'] }).click();
    await page.getByRole('heading', { name: ja['incidents.first_heading'] }).waitFor();

    // Detected an hour ago, Tokyo time (the browser's zone); minutes as the input takes them.
    const detected = new Date(Date.now() - 3600e3);
    detected.setUTCSeconds(0, 0);
    const tokyo = new Date(detected.getTime() + 9 * 3600e3).toISOString().slice(0, 16);
    const form = page.locator('form.incident-form').first();
    const organisation = form.getByLabel(ja['incidents.organisation']);
    if ((await organisation.evaluate((element) => element.tagName)) === 'INPUT') {
      await organisation.fill('org-demo');
    }
    await form.getByLabel(ja['incidents.reporter']).fill('CSIRT 当番');
    await form.getByLabel(ja['incidents.detected_at']).fill(tokyo);
    await form.getByLabel(ja['incidents.known']).fill('VPN 装置への不審なログインを検知');
    await form.getByRole('button', { name: ja['incidents.submit_first'] }).click();

    const filed = page.locator('.filed[role=status]');
    await filed.waitFor();
    const text = await filed.textContent();
    const id = /inc-[\w-]+/.exec(text)?.[0];
    assert.ok(id, `no incident id in "${text}"`);
    const due = await filed.locator('time').evaluateAll((times) =>
      times.map((time) => Date.parse(time.getAttribute('datetime'))));
    assert.ok(due.length >= 1, 'no deadline shown');
    // The regime of the demo (nisc-ci): 確報 30 days after detection; every deadline is after it.
    assert.ok(due.includes(detected.getTime() + 30 * 86400e3),
      `no deadline 30 days after ${detected.toISOString()}: ${due.map((d) => new Date(d).toISOString())}`);
    assert.ok(due.every((time) => time > detected.getTime()));
    await shot(page, 'operator-first-report');

    // The new incident is in the list; a 続報 is added to it.
    const row = page.locator(`tr[data-incident="${id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: ja['incidents.add_report'] }).click();
    const followUp = page.locator('form.followup');
    await followUp.getByLabel(ja['incidents.reporter']).fill('CSIRT 当番');
    await followUp.getByLabel(ja['incidents.known']).fill('影響範囲を調査中');
    await followUp.getByRole('button', { name: ja['incidents.submit_report'] }).click();
    await page
      .locator('p.filed[role=status]')
      .filter({ hasText: ja['incidents.report_filed'].replace('{phase}', ja['phase.interim']).replace(/（.*/, '') })
      .waitFor();
    await row.locator('td').nth(3).filter({ hasText: ja['phase.interim'] }).waitFor();
    await shot(page, 'operator-interim-report');

    // The 確報: choosing it asks for everything a final report needs.
    await row.getByRole('button', { name: ja['incidents.add_report'] }).click();
    const finalReport = page.locator('form.followup');
    await finalReport.getByLabel(ja['incidents.phase']).selectOption('final');
    await finalReport.getByText(ja['incidents.final_hint']).waitFor();
    await finalReport.getByLabel(ja['incidents.reporter']).fill('CSIRT 当番');
    await finalReport.getByLabel(ja['incidents.detected_at']).fill(tokyo);
    await finalReport.getByLabel(ja['incidents.known']).fill('VPN 装置の脆弱性を悪用した侵入');
    await finalReport.getByLabel(ja['incidents.cause']).fill('未修正の VPN 装置');
    await finalReport.getByLabel(ja['incidents.service_impact']).fill('リモート接続を 2 時間停止');
    await finalReport.getByLabel(ja['incidents.techniques']).fill('T1190, T1078');
    await finalReport.getByLabel(ja['incidents.indicators']).fill('ip 203.0.113.7\ndomain vpn-update.example');
    await finalReport.getByLabel(ja['incidents.measures']).fill('修正版を適用し、認証情報を再発行');
    await shot(page, 'operator-final-report-form');
    await finalReport.getByRole('button', { name: ja['incidents.submit_report'] }).click();
    await page
      .locator('p.filed[role=status]')
      .filter({ hasText: ja['incidents.report_filed'].replace('{phase}', ja['phase.final']).replace(/（.*/, '') })
      .waitFor();
    await row.locator('td').nth(3).filter({ hasText: ja['phase.final'] }).waitFor();
    await shot(page, 'operator-final-report');
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
  });
});

test('a rate-limited login says how long to wait', async () => {
  await withPage('login-rate-limited', async ({ page }) => {
    // The server's limiter (429 with Retry-After) is tested through the API; a real one here
    // would lock the other tests' logins out of 127.0.0.1 for a minute. This is its answer.
    await page.route('**/api/session', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
          status: 429,
          headers: { 'Retry-After': '42', 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: 'too many login attempts', code: 'rate_limited' }),
        })
        : route.fallback());
    await page.goto(`${installation.url}/`);
    await page.getByLabel(ja['login.user']).fill('analyst');
    await page.getByLabel(ja['login.password']).fill(installation.users.analyst.password);
    await page.getByRole('button', { name: ja['login.submit'] }).click();
    await page.getByRole('alert').filter({ hasText: ja['login.too_many'].replace('{seconds}', '42') }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: ja['nav.label'] }).count(), 0);
    await shot(page, 'login-rate-limited');
  });
});

test('a session that ends on the server sends the user back to the login with a note', async () => {
  await withPage('session-expired', async ({ page, context }) => {
    await login(page, 'analyst');
    // The session cookie gone (as after its time or a logout elsewhere): the next request is
    // refused with 401 and the console asks for a new login instead of failing the page.
    await context.clearCookies();
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.findings'] }).click();
    await page.getByRole('heading', { name: ja['login.heading'] }).waitFor();
    await page.getByText(ja['session.expired']).waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    await shot(page, 'session-expired');
    await login(page, 'analyst');
  });
});

test('an analyst opens a finding and sees its infrastructure graph', async () => {
  await withPage('analyst-finding', async ({ page }) => {
    await login(page, 'analyst');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.findings'] }).click();
    const rows = page.locator('table.findings tbody tr');
    await rows.first().waitFor();
    await shot(page, 'analyst-findings');
    // A C2 server finding: its graph has the server and the bots that contact it, as a count.
    const c2 = rows.filter({ has: page.locator('td:nth-child(2)', { hasText: /^c2_server$/ }) }).first();
    const link = c2.getByRole('link');
    const id = (await link.textContent()).trim();
    await link.click();
    await page.waitForURL(`**/findings/${id}`);
    await page.getByRole('heading', { name: ja['finding.heading'].replace('{id}', id) }).waitFor();
    const graph = page.locator('figure.graph svg');
    await graph.waitFor();
    const nodes = graph.locator('g.node');
    assert.equal(Number(await graph.getAttribute('data-nodes')), await nodes.count());
    const kinds = await nodes.evaluateAll((all) => all.map((node) => node.dataset.kind));
    assert.ok(kinds.includes('c2') && kinds.includes('bots'), `node kinds ${kinds}`);
    for (const kind of kinds) {
      assert.ok(['c2', 'bots', 'fingerprint', 'indicator'].includes(kind), `node kind ${kind}`);
    }
    // Bots are drawn as a count of pseudonyms, never one by one.
    const bots = await graph.locator('g.node[data-kind=bots] text.kind').first().textContent();
    assert.ok(bots.startsWith(ja['node.bots']), bots);
    assert.match(bots, /\d+ 件$/);
    assert.ok(Number(await graph.getAttribute('data-edges')) >= 1, 'the graph has no edges');
    await shot(page, 'analyst-finding-graph');
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
  });
});

test('an overseer verifies the ledger and downloads the inspection report', async () => {
  await withPage('overseer-oversight', async ({ page }) => {
    await login(page, 'overseer');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.oversight'] }).click();
    await page.getByRole('heading', { name: ja['oversight.head'] }).waitFor();
    const size = page.locator('dd[data-field=size]');
    await size.waitFor();
    assert.match(await size.textContent(), /^[\d,]+$/);

    // An unsafe request without the CSRF token is refused (the console always sends it).
    const bare = await page.evaluate(async () => {
      const response = await fetch('/api/oversight/verify', { method: 'POST' });
      return { status: response.status, body: await response.json() };
    });
    assert.equal(bare.status, 403);
    assert.equal(bare.body.error.code, 'csrf');

    await page.getByRole('button', { name: ja['oversight.verify'] }).click();
    const job = page.locator('.job');
    await job.waitFor();
    await page.locator('.job[data-state=done], .job[data-state=failed]').waitFor({ timeout: 120_000 });
    await shot(page, 'overseer-verified');
    assert.equal(await job.getAttribute('data-state'), 'done');
    assert.equal(await page.locator('#verify-progress').getAttribute('value'), '100');
    assert.ok((await job.locator('dl.result dt').count()) >= 1, 'no verification result shown');
    // I9: the ledger of a fresh installation verifies intact.
    await job.locator('.verdict.ok').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: ja['oversight.report'] }).click(),
    ]);
    const saved = join(artifacts, download.suggestedFilename() || 'inspection-report.html');
    await download.saveAs(saved);
    const report = readFileSync(saved, 'utf8');
    assert.match(report, /<html|<!doctype html/i);
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
  });
});

test("an operator sees its organisation's filed computers", async () => {
  await withPage('operator-computers', async ({ page }) => {
    await login(page, 'operator');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.computers'] }).click();
    await page.getByRole('heading', { level: 1, name: ja['computers.heading'] }).waitFor();
    // Only the operator's own organisation, under its name and id.
    const sections = page.locator('section[data-organisation]');
    await sections.first().waitFor();
    assert.deepEqual(await sections.evaluateAll((all) => all.map((s) => s.dataset.organisation)),
      [organisation]);
    await page.getByRole('heading', {
      level: 2,
      name: ja['computers.org_heading'].replace('{name}', organisationName).replace('{id}', organisation),
    }).waitFor();
    // The gateway filed from the CLI (start-console.mjs: vpn-1, Fortinet FortiOS 7.2.4).
    const row = page.locator('table.computers tbody tr').filter({ hasText: 'vpn-1' });
    assert.equal(await row.count(), 1);
    const cells = await row.locator('th, td').allTextContents();
    assert.match(cells[0], /vpn-1$/);
    assert.equal(cells[1], ja['device.vpn-gateway']);
    assert.equal(cells[2], 'Fortinet FortiOS 7.2.4');
    assert.equal(cells[4], ja['computers.facing']);
    assert.equal(cells[5], ja['computers.managed.operator']);
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
    await shot(page, 'operator-computers-detail');
  });
});

test('an analyst opens a product and sees its notes, parts, versions and provisions', async () => {
  await withPage('analyst-product', async ({ page }) => {
    await login(page, 'analyst');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.products'] }).click();
    const link = page.locator(`table.products tr[data-product="${product}"]`).getByRole('link');
    await link.waitFor();
    await link.click();
    await page.waitForURL(`**/products/${product}`);
    await page.getByRole('heading', { level: 1, name: ja['product.heading'].replace('{id}', product) }).waitFor();
    await page.locator('dd[data-field=tier]').filter({ hasText: ja['tier.T1'] }).waitFor();

    // Japanese notes first (the display language), the English ones after them.
    const languages = () =>
      page.locator('article.product-note').evaluateAll((all) => all.map((a) => a.dataset.language));
    const ordered = await languages();
    assert.ok(ordered.length >= 2 && ordered.includes('en'), `notes ${ordered}`);
    assert.deepEqual(ordered, [...ordered].sort((a, b) => (a === 'ja' ? 0 : 1) - (b === 'ja' ? 0 : 1)));
    assert.equal(ordered[0], 'ja');

    // The parts with their labels: the C2 address is selected communications information.
    await page.locator('table.parts tr[data-part]').first().waitFor();
    assert.ok(await page.locator('table.parts tr[data-part]').count() >= 1);
    // The latest version (2, the revision) is shown; version 1, the one provided, can be opened.
    const title = page.locator('dd[data-field=title]');
    assert.ok((await title.textContent()).startsWith(revisedTitlePrefix));
    assert.equal(await page.locator('table.versions tbody tr').count(), 2);
    assert.equal(await page.locator('table.versions tr[aria-current=true]').getAttribute('data-version'), '2');
    await page.locator('table.versions tr[data-version="1"]')
      .getByRole('button', { name: ja['product.show_version'].replace('{n}', '1') }).click();
    const older = ja['product.older_shown'].replace('{n}', '1').replace('{latest}', '2');
    await page.getByRole('status').filter({ hasText: older }).waitFor();
    await page.locator('table.versions tr[data-version="1"][aria-current=true]').waitFor();
    assert.ok(!(await title.textContent()).startsWith(revisedTitlePrefix));
    await page.locator('dd[data-field=version]').filter({ hasText: ja['product.version_n'].replace('{n}', '1') }).waitFor();
    await shot(page, 'analyst-product-version-1');
    await page.getByRole('button', { name: ja['product.show_latest'] }).click();
    await page.locator('table.versions tr[data-version="2"][aria-current=true]').waitFor();
    assert.equal(await page.getByRole('status').filter({ hasText: older }).count(), 0);

    // The provision made from the CLI: recipient, class, tier and its ledger entry.
    const provisions = page.locator('section[aria-labelledby=product-provisions] table.provisions tbody tr');
    const row = provisions.filter({ hasText: provision.recipient });
    await row.first().waitFor();
    const text = await row.first().textContent();
    assert.ok(text.includes(ja[`recipient.${provision.recipientClass}`]), text);
    assert.ok(text.includes(ja['tier.T2']), text);
    const seq = Number(await row.first().getAttribute('data-seq'));
    assert.ok(Number.isInteger(seq) && seq > 0, `ledger seq ${seq}`);
    if (installation.provisionSeq !== undefined) assert.equal(seq, installation.provisionSeq);
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
    await shot(page, 'analyst-product');

    // In English the English notes come first.
    await page.getByRole('button', { name: ja['lang.switch_label'] }).click();
    await page.getByRole('heading', { level: 1, name: messages.en['product.heading'].replace('{id}', product) })
      .waitFor();
    assert.equal((await languages())[0], 'en');
    await shot(page, 'analyst-product-en');
  });
});

test('an overseer sees the provision with its ledger sequence number', async () => {
  await withPage('overseer-provisions', async ({ page }) => {
    await login(page, 'overseer');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.provisions'] }).click();
    await page.getByRole('heading', { level: 1, name: ja['provisions.heading'] }).waitFor();
    const row = page.locator('table.provisions tbody tr').filter({ hasText: provision.recipient });
    await row.first().waitFor();
    const seq = Number(await row.first().getAttribute('data-seq'));
    assert.ok(Number.isInteger(seq) && seq > 0, `ledger seq ${seq}`);
    assert.equal((await row.first().locator('[data-field=ledger_seq]').textContent()).trim(), String(seq));
    if (installation.provisionSeq !== undefined) assert.equal(seq, installation.provisionSeq);
    const text = await row.first().textContent();
    assert.ok(text.includes(product), text);
    assert.ok(text.includes(provision.legalBasis), text);
    assert.ok(text.includes(purpose), text);
    // The overseer may not open products: no link to one.
    assert.equal(await row.first().getByRole('link').count(), 0);

    await shot(page, 'overseer-provisions-row');

    // Filtered by a recipient that received nothing: the empty state.
    await page.getByLabel(ja['provisions.recipient']).fill('no-such-recipient');
    await page.getByRole('button', { name: ja['provisions.apply'] }).click();
    await page.getByText(ja['provisions.none']).waitFor();
    assert.deepEqual(await page.getByRole('alert').allTextContents(), []);
    await shot(page, 'overseer-provisions-filtered');
  });
});

test('an analyst without a purpose sees no records; a refused purpose shows the refusal', async () => {
  await withPage('analyst-records', async ({ page, requests }) => {
    const recordReads = () => requests.filter((path) => path.startsWith('/api/records'));
    await login(page, 'analyst');
    await page.getByRole('navigation').getByRole('link', { name: ja['nav.records'] }).click();
    const prompt = page.locator('#purpose-prompt');
    await prompt.waitFor();
    assert.equal(await prompt.textContent(), ja['records.purpose_prompt']);
    assert.equal(await page.locator('table.records').count(), 0);
    await shot(page, 'analyst-records-purpose-prompt');

    // Asking without a purpose: the prompt is marked and nothing is read.
    await page.getByRole('button', { name: ja['records.search'] }).click();
    await page.locator('#purpose-prompt.needed').waitFor();
    assert.equal(await page.getByLabel(ja['records.purpose']).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('table.records').count(), 0);
    assert.deepEqual(recordReads(), []);
    await shot(page, 'analyst-records-no-purpose');

    // A purpose outside the configuration (criminal investigation) is refused by the server.
    await page.getByLabel(ja['records.purpose']).selectOption('__other__');
    await page.getByLabel(ja['records.purpose_text']).fill('犯罪捜査');
    await page.getByRole('button', { name: ja['records.search'] }).click();
    const refusal = page.getByRole('alert').filter({ hasText: ja['records.refused'] });
    await refusal.waitFor();
    assert.equal(recordReads().length, 1);
    assert.equal(await page.locator('table.records').count(), 0);
    await shot(page, 'analyst-records-refused');

    // With the configured purpose the records appear.
    await page.getByLabel(ja['records.purpose']).selectOption(purpose);
    await page.getByRole('button', { name: ja['records.search'] }).click();
    await page.locator('table.records tbody tr').first().waitFor();
    assert.ok(recordReads().at(-1).includes(`purpose=${purpose}`));
    assert.equal(await page.getByRole('alert').count(), 0);
    await shot(page, 'analyst-records');
  });
});
