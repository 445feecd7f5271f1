// Customer Hub beside PostGraphile 4 on one seeded PostgreSQL database, over HTTP.
//
// Started by run.sh (which builds, creates and seeds the database). This script:
//  1. starts both servers with their database connections through a counting proxy
//     (a PostgreSQL wire-protocol pass-through that counts the statements each server
//     sends), checks on a sample that both return the same data, and counts statements
//     per request for each workload;
//  2. restarts both servers connected directly to PostgreSQL and runs interleaved rounds
//     (hub, peer, hub, peer, ...) of each workload with the same load generator and
//     concurrency, reading each server's CPU time from /proc/<pid>/stat around every round;
//  3. prints requests/s, p50/p99, statements/request, CPU ms per 1,000 requests, and the
//     hub/peer ratios.
//
// The hub runs with HUB_ENV=production and authentication on: every request carries a
// bearer token of the demo `admin` account. PostGraphile runs as the database owner with
// no authentication (the way it is usually put beside such a comparison).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pg = require('pg');
const here = path.dirname(fileURLToPath(import.meta.url));

const env = (name, fallback) => process.env[name] ?? fallback;
const num = (name, fallback) => Number(env(name, fallback));
const cfg = {
  hubBin: env('PEER_HUB_BIN', path.resolve(here, '../../target/release/customer-hub')),
  pgHost: env('PEER_PG_HOST', '127.0.0.1'),
  pgPort: num('PEER_PG_PORT', 5432),
  pgUser: env('PEER_PG_USER', 'postgres'),
  db: env('PEER_DB', 'hub_peer'),
  concurrency: num('PEER_CONCURRENCY', 16),
  rounds: num('PEER_ROUNDS', 3),
  roundRequests: num('PEER_ROUND_REQUESTS', 3000),
  roundSeconds: num('PEER_ROUND_SECONDS', 10),
  warmup: num('PEER_WARMUP', 300),
  countRequests: num('PEER_COUNT_REQUESTS', 200),
  sample: num('PEER_SAMPLE', 20),
  pool: num('PEER_POOL', 10),
};
const dbUrl = (port) => `postgres://${cfg.pgUser}@${cfg.pgHost}:${port}/${cfg.db}`;
const CLK_TCK = 100; // Linux USER_HZ

// ---------------------------------------------------------------- queries

const HUB_360 = `query($p: String!) { customerByPhone(phone: $p) { id name kind idNumber address birthday lifecycleStage tags
  phones { number primary }
  stores { status firstContactOn store { code name } manager { displayName } }
  vehicles { vin plate brand model modelYear ownershipHistory { role from to } }
  leads { grade status intendedModel budget }
  deliveries { deliveredOn price payment }
  repairOrders { kind openedAt mileage amount store { code } }
  insurancePolicies { insurer startsOn endsOn premium }
  partsOrders { amount orderedOn } } }`;

// The same rows through PostGraphile's generated schema: the holder of the phone (as the
// hub picks it: a PHONE contact point with that normalized number, primary first, lowest
// customer id) and the customer's relations, inferred from the foreign keys.
const PEER_360 = `query($p: String!) { allContactPoints(condition: {kind: "PHONE", normalized: $p}, orderBy: [IS_PRIMARY_DESC, CUSTOMER_ID_ASC], first: 1) { nodes { customerByCustomerId {
  id name kind idNumber address birthday lifecycleStage
  customerTagsByCustomerId { nodes { tag } }
  contactPointsByCustomerId(condition: {kind: "PHONE"}) { nodes { value isPrimary } }
  customerStoresByCustomerId { nodes { status firstContactOn storeByStoreId { code name } staffByManagerId { displayName } } }
  vehicleOwnershipsByCustomerId(condition: {toDate: null}) { nodes { vehicleByVehicleId { vin plate brand model modelYear
    vehicleOwnershipsByVehicleId(orderBy: [FROM_DATE_ASC, ID_ASC]) { nodes { role fromDate toDate } } } } }
  leadsByCustomerId(orderBy: [CREATED_AT_ASC, ID_ASC]) { nodes { grade status intendedModel budgetCents } }
  deliveriesByCustomerId(orderBy: [DELIVERED_ON_ASC, ID_ASC]) { nodes { deliveredOn priceCents payment } }
  repairOrdersByCustomerId(orderBy: [OPENED_AT_ASC, ID_ASC]) { nodes { kind openedAt mileage amountCents storeByStoreId { code } } }
  insurancePoliciesByCustomerId(orderBy: [STARTS_ON_ASC, ID_ASC]) { nodes { insurer startsOn endsOn premiumCents } }
  partsOrdersByCustomerId(orderBy: [ORDERED_ON_ASC, ID_ASC]) { nodes { amountCents orderedOn } } } } } }`;

const HUB_PAGE = `query($a: String) { customers(first: 50, after: $a) { edges { node { id name vehicles { vin plate brand model } } } pageInfo { endCursor } } }`;
const PEER_PAGE = `query($a: Cursor) { allCustomers(first: 50, after: $a, orderBy: ID_ASC, condition: {mergedInto: null}) { nodes { id name
  vehicleOwnershipsByCustomerId(condition: {toDate: null}) { nodes { vehicleByVehicleId { vin plate brand model } } } } pageInfo { endCursor } } }`;

const b64url = (s) => Buffer.from(s).toString('base64url');
const b64 = (s) => Buffer.from(s).toString('base64');
// The hub's keyset cursor after customer `id` (as benches/customer360.rs builds it).
const hubCursor = (id) => b64url(JSON.stringify({ s: 'id', v: { Int: id }, i: id }));
// PostGraphile 4's cursor for orderBy ID_ASC after customer `id`.
const peerCursor = (id) => b64(JSON.stringify(['id_asc', [id]]));

// ---------------------------------------------------------------- statement-counting proxy

// Counts what a server sends to PostgreSQL: every Execute (extended protocol) and every
// statement of a simple Query. Statements that only control the transaction or settings
// (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, SET, set_config) are also counted apart.
function startProxy() {
  const counts = { statements: 0, control: 0, log: null };
  const isControl = (sql) => /^\s*(begin|commit|rollback|savepoint|release|start transaction|set\s|select\s+set_config|reset)/i.test(sql);
  const server = net.createServer((client) => {
    const upstream = net.connect(cfg.pgPort, cfg.pgHost);
    let buf = Buffer.alloc(0);
    let started = false;
    const statements = new Map(); // prepared statement name -> text
    const portals = new Map(); // portal name -> statement text
    const cstr = (b, at) => { const end = b.indexOf(0, at); return [b.toString('utf8', at, end), end + 1]; };
    const count = (sql) => { counts.statements++; if (isControl(sql)) counts.control++; counts.log?.push(sql.replace(/\s+/g, ' ').trim()); };
    client.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          if (code === 80877103 || code === 80877104) { // SSLRequest / GSSENCRequest: plain only
            client.write('N');
          } else {
            upstream.write(buf.subarray(0, len));
            started = true;
          }
          buf = buf.subarray(len);
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, len + 1);
        if (type === 'Q') {
          const [sql] = cstr(body, 0);
          for (const part of sql.split(';')) if (part.trim()) count(part);
        } else if (type === 'P') {
          const [name, at] = cstr(body, 0);
          const [sql] = cstr(body, at);
          statements.set(name, sql);
        } else if (type === 'B') {
          const [portal, at] = cstr(body, 0);
          const [stmt] = cstr(body, at);
          portals.set(portal, statements.get(stmt) ?? '');
        } else if (type === 'E') {
          const [portal] = cstr(body, 0);
          count(portals.get(portal) ?? '');
        }
        upstream.write(buf.subarray(0, len + 1));
        buf = buf.subarray(len + 1);
      }
    });
    upstream.pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close); upstream.on('error', close);
    client.on('close', close); upstream.on('close', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, counts })));
}

// ---------------------------------------------------------------- HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.concurrency });
function post(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}
async function gql(server, query, variables) {
  const r = await post(server.url, { query, variables }, server.headers);
  const json = JSON.parse(r.text);
  if (r.status !== 200 || json.errors) throw new Error(`${server.name}: HTTP ${r.status} ${r.text.slice(0, 500)}`);
  return json.data;
}

const freePort = () => new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- servers

const children = new Set();
function launch(name, cmd, args, extraEnv) {
  const child = spawn(cmd, args, { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.on('exit', (code, signal) => { children.delete(child); if (!child.stopping) console.error(`${name} exited (${code ?? signal}):\n${stderr}`); });
  children.add(child);
  child.tail = () => stderr;
  return child;
}
async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.stopping = true;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([gone, sleep(5000)]);
  if (child.exitCode === null) { child.kill('SIGKILL'); await gone; }
}
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function waitReady(server, probe) {
  const until = Date.now() + 120_000;
  for (;;) {
    try { if (await probe()) return; } catch { /* not yet */ }
    if (server.child.exitCode !== null) throw new Error(`${server.name} did not start:\n${server.child.tail()}`);
    if (Date.now() > until) throw new Error(`${server.name} not ready after 120 s:\n${server.child.tail()}`);
    await sleep(250);
  }
}

async function startHub(dbPort) {
  const port = await freePort();
  const child = launch('hub', cfg.hubBin, ['serve'], {
    HUB_DATABASE_URL: dbUrl(dbPort),
    HUB_LISTEN: `127.0.0.1:${port}`,
    HUB_ENV: 'production',
    HUB_JWT_SECRET: 'peer-bench-secret-peer-bench-secret-0123456789',
    HUB_DB_MAX_CONNECTIONS: String(cfg.pool),
    ...(process.env.PEER_HUB_LOG ? { HUB_LOG: process.env.PEER_HUB_LOG } : {}),
  });
  const server = { name: 'Customer Hub', child, url: `http://127.0.0.1:${port}/graphql`, headers: {} };
  await waitReady(server, async () => (await new Promise((resolve, reject) => http.get(`http://127.0.0.1:${port}/readyz`, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', reject))));
  const login = await gql(server, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: 'admin', p: 'demo' });
  server.headers = { authorization: `Bearer ${login.login.token}` };
  return server;
}

async function startPeer(dbPort) {
  const port = await freePort();
  const cli = require.resolve('postgraphile/cli.js');
  const child = launch('postgraphile', process.execPath, [cli, '-c', dbUrl(dbPort), '--schema', 'public', '--host', '127.0.0.1', '--port', String(port),
    '--disable-graphiql', '--disable-query-log', '--max-pool-size', String(cfg.pool)], { NODE_ENV: 'production' });
  const server = { name: 'PostGraphile 4', child, url: `http://127.0.0.1:${port}/graphql`, headers: {} };
  await waitReady(server, async () => (await gql(server, '{ __typename }', {})).__typename === 'Query');
  return server;
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
}
function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------- workloads

const db = new pg.Client({ connectionString: dbUrl(cfg.pgPort) });
await db.connect();
const phones = (await db.query(`SELECT value, normalized FROM contact_point WHERE kind = 'PHONE' AND is_primary ORDER BY id`)).rows.filter((_, i) => i % 97 === 0);
const maxCustomer = Number((await db.query('SELECT max(id) AS n FROM customer')).rows[0].n);
const customers = Number((await db.query('SELECT count(*) AS n FROM customer')).rows[0].n);
await db.end();
const pageAfter = (i) => (i * 7919) % Math.max(maxCustomer - 60, 1);

const workloads = [
  {
    name: 'customerByPhone, full 360',
    hub: (i) => ({ query: HUB_360, variables: { p: phones[i % phones.length].value } }),
    peer: (i) => ({ query: PEER_360, variables: { p: phones[i % phones.length].normalized } }),
    // What both must agree on: the customer's name and the number of each kind of child row.
    hubShape: (d) => { const c = d.customerByPhone; return c && {
      name: c.name, tags: c.tags.length, phones: c.phones.length, stores: c.stores.map((s) => `${s.store.code}:${s.status}:${s.manager?.displayName ?? ''}`).sort(),
      vehicles: c.vehicles.map((v) => `${v.vin}:${v.ownershipHistory.length}`).sort(), leads: c.leads.length, deliveries: c.deliveries.length,
      repairOrders: c.repairOrders.length, policies: c.insurancePolicies.length, partsOrders: c.partsOrders.length }; },
    peerShape: (d) => { const c = d.allContactPoints.nodes[0]?.customerByCustomerId; return c && {
      name: c.name, tags: c.customerTagsByCustomerId.nodes.length, phones: c.contactPointsByCustomerId.nodes.length,
      stores: c.customerStoresByCustomerId.nodes.map((s) => `${s.storeByStoreId.code}:${s.status}:${s.staffByManagerId?.displayName ?? ''}`).sort(),
      vehicles: c.vehicleOwnershipsByCustomerId.nodes.map((o) => `${o.vehicleByVehicleId.vin}:${o.vehicleByVehicleId.vehicleOwnershipsByVehicleId.nodes.length}`).sort(),
      leads: c.leadsByCustomerId.nodes.length, deliveries: c.deliveriesByCustomerId.nodes.length, repairOrders: c.repairOrdersByCustomerId.nodes.length,
      policies: c.insurancePoliciesByCustomerId.nodes.length, partsOrders: c.partsOrdersByCustomerId.nodes.length }; },
  },
  {
    name: '50 customers with vehicles',
    hub: (i) => ({ query: HUB_PAGE, variables: { a: hubCursor(pageAfter(i)) } }),
    peer: (i) => ({ query: PEER_PAGE, variables: { a: peerCursor(pageAfter(i)) } }),
    hubShape: (d) => d.customers.edges.map((e) => `${e.node.name}:${e.node.vehicles.map((v) => v.vin).sort().join(',')}`),
    peerShape: (d) => d.allCustomers.nodes.map((c) => `${c.name}:${c.vehicleOwnershipsByCustomerId.nodes.map((o) => o.vehicleByVehicleId.vin).sort().join(',')}`),
  },
];

// A fixed number of requests (or until the time bound), `concurrency` in flight.
async function load(server, make, requests, seconds) {
  const latencies = [];
  let next = 0, failures = 0, firstFailure = '';
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: cfg.concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= requests || performance.now() > deadline) return;
      const t = performance.now();
      const r = await post(server.url, make(i), server.headers);
      latencies.push(performance.now() - t);
      if (r.status !== 200 || r.text.startsWith('{"errors"') || r.text.includes('"errors":[')) { failures++; firstFailure ||= r.text.slice(0, 300); }
    }
  }));
  return { latencies, elapsed: (performance.now() - started) / 1000, failures, firstFailure };
}

// ---------------------------------------------------------------- 1. check and statement counts

console.log(`database ${cfg.db}: ${customers} customers; ${phones.length} sample phones; concurrency ${cfg.concurrency}; pools of ${cfg.pool} connections`);
const results = new Map(); // `${workload}|${server}` -> figures
const key = (w, s) => `${w.name}|${s}`;
{
  const hubProxy = await startProxy();
  const peerProxy = await startProxy();
  const [hub, peer] = [await startHub(hubProxy.port), await startPeer(peerProxy.port)];
  console.log('\nsame data? (sample through both servers)');
  for (const w of workloads) {
    const n = Math.min(cfg.sample, w === workloads[0] ? phones.length : cfg.sample);
    let same = 0; const diffs = [];
    let rows = 0;
    for (let i = 0; i < n; i++) {
      const a = w.hubShape(await gql(hub, w.hub(i).query, w.hub(i).variables));
      const b = w.peerShape(await gql(peer, w.peer(i).query, w.peer(i).variables));
      rows += Array.isArray(a) ? a.length : 1;
      if (JSON.stringify(a) === JSON.stringify(b)) same++; else diffs.push({ i, hub: a, peer: b });
    }
    console.log(`  ${w.name}: ${same}/${n} requests identical (${rows} customers compared: names and child rows)`);
    for (const d of diffs.slice(0, 3)) console.log(`    differs at ${d.i}:\n      hub  ${JSON.stringify(d.hub)}\n      peer ${JSON.stringify(d.peer)}`);
    if (diffs.length) process.exitCode = 1;
  }
  for (const w of workloads) {
    for (const [server, proxy, make] of [[hub, hubProxy, w.hub], [peer, peerProxy, w.peer]]) {
      await load(server, make, 50, 30);
      const before = { ...proxy.counts };
      const r = await load(server, make, cfg.countRequests, 60);
      const n = r.latencies.length;
      results.set(key(w, server.name), {
        statements: (proxy.counts.statements - before.statements) / n,
        control: (proxy.counts.control - before.control) / n,
      });
    }
  }
  if (process.env.PEER_SHOW_SQL === '1') {
    // The statements of one request of each workload, as each server sends them.
    for (const w of workloads) {
      for (const [server, proxy, make] of [[hub, hubProxy, w.hub], [peer, peerProxy, w.peer]]) {
        proxy.counts.log = [];
        await post(server.url, make(1), server.headers);
        console.log(`\n-- ${w.name}, ${server.name}: ${proxy.counts.log.length} statements`);
        for (const sql of proxy.counts.log) console.log(`   ${sql.length > 400 ? sql.slice(0, 400) + ' …' : sql}`);
        proxy.counts.log = null;
      }
    }
  }
  await stop(hub.child); await stop(peer.child);
  hubProxy.server.close(); peerProxy.server.close();
}

// ---------------------------------------------------------------- 2. interleaved rounds, direct connections

const hub = await startHub(cfg.pgPort);
const peer = await startPeer(cfg.pgPort);
console.log(`\ninterleaved rounds: ${cfg.rounds} per server and workload, each ${cfg.roundRequests} requests or ${cfg.roundSeconds} s, ${cfg.concurrency} concurrent`);
for (const w of workloads) {
  for (const [server, make] of [[hub, w.hub], [peer, w.peer]]) await load(server, make, cfg.warmup, 30);
  for (let round = 0; round < cfg.rounds; round++) {
    // Alternate which goes first, so neither always follows the other.
    const order = round % 2 === 0 ? [[hub, w.hub], [peer, w.peer]] : [[peer, w.peer], [hub, w.hub]];
    for (const [server, make] of order) {
      const cpu0 = cpuTicks(server.child.pid);
      const r = await load(server, make, cfg.roundRequests, cfg.roundSeconds);
      const cpu = (cpuTicks(server.child.pid) - cpu0) / CLK_TCK;
      const f = results.get(key(w, server.name));
      f.latencies = (f.latencies ?? []).concat(r.latencies);
      f.elapsed = (f.elapsed ?? 0) + r.elapsed;
      f.cpu = (f.cpu ?? 0) + cpu;
      f.failures = (f.failures ?? 0) + r.failures;
      if (r.failures) console.log(`  ${server.name}: ${r.failures} failed requests, e.g. ${r.firstFailure}`);
      console.log(`  ${w.name.padEnd(27)} round ${round + 1} ${server.name.padEnd(15)} ${(r.latencies.length / r.elapsed).toFixed(0).padStart(6)} req/s`);
    }
  }
}
const memory = { [hub.name]: peakRssMb(hub.child.pid), [peer.name]: peakRssMb(peer.child.pid) };
await stop(hub.child); await stop(peer.child);

// ---------------------------------------------------------------- 3. report

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`\n${customers} customers, ${cfg.concurrency} concurrent clients over loopback HTTP, ${cfg.rounds} interleaved rounds each.`);
console.log('Customer Hub: HUB_ENV=production, authentication ON (bearer token of `admin` on every request).');
console.log('PostGraphile 4: no authentication, connected as the database superuser.\n');
console.log('| workload | server | req/s | p50 ms | p99 ms | statements/request | CPU ms per 1,000 requests |');
console.log('|---|---|---|---|---|---|---|');
const summary = {};
for (const w of workloads) {
  for (const name of [hub.name, peer.name]) {
    const f = results.get(key(w, name));
    const sorted = f.latencies.sort((a, b) => a - b);
    const s = { rps: sorted.length / f.elapsed, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), stmts: f.statements, control: f.control, cpu: (f.cpu * 1000) / sorted.length * 1000, failures: f.failures };
    summary[key(w, name)] = s;
    const label = name === hub.name ? `${name} (auth on)` : name;
    console.log(`| ${w.name} | ${label} | ${fmt(s.rps)} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.stmts, 1)} (${fmt(s.control, 1)} BEGIN/COMMIT/SET) | ${fmt(s.cpu)} |${s.failures ? ` ${s.failures} failed` : ''}`);
  }
}
console.log('\nhub / PostGraphile 4 (req/s: above 1 is the hub faster; p50, p99, statements, CPU: below 1 is the hub cheaper)\n');
console.log('| workload | req/s | p50 | p99 | statements/request | CPU per request |');
console.log('|---|---|---|---|---|---|');
for (const w of workloads) {
  const a = summary[key(w, hub.name)], b = summary[key(w, peer.name)];
  console.log(`| ${w.name} | ${fmt(a.rps / b.rps, 2)} | ${fmt(a.p50 / b.p50, 2)} | ${fmt(a.p99 / b.p99, 2)} | ${fmt(a.stmts / b.stmts, 2)} | ${fmt(a.cpu / b.cpu, 2)} |`);
}
console.log(`\npeak resident memory: Customer Hub ${fmt(memory[hub.name])} MB, PostGraphile 4 ${fmt(memory[peer.name])} MB`);
agent.destroy();
process.exit(process.exitCode ?? 0);
