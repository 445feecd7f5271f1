// Runs the GraphQL-over-HTTP audits of the `graphql-http` package against a running hub
// and prints each result. Exit status 1 when a MUST or a SHOULD fails.
//
//   npm ci && npm run audit -- [URL] [--verbose]
//
// URL (or HUB_AUDIT_URL) defaults to http://127.0.0.1:8080/graphql. The audits ask
// `{ __typename }`, which the hub answers anonymously; to audit as a signed-in caller, set
// HUB_AUDIT_LOGIN=admin:demo (the audit logs in first) or HUB_AUDIT_TOKEN=<token or API
// key>, and the token goes with every request. --verbose prints the failing answers.
import { auditServer } from 'graphql-http';

const args = process.argv.slice(2);
const url = args.find((a) => !a.startsWith('--')) || process.env.HUB_AUDIT_URL || 'http://127.0.0.1:8080/graphql';
const login = process.env.HUB_AUDIT_LOGIN || 'none';
const verbose = args.includes('--verbose') || process.env.HUB_AUDIT_VERBOSE === '1';

async function token() {
  if (process.env.HUB_AUDIT_TOKEN) return process.env.HUB_AUDIT_TOKEN;
  if (login === 'none') return null;
  const [username, ...rest] = login.split(':');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      variables: { u: username, p: rest.join(':') },
    }),
  });
  const body = await res.json().catch(() => null);
  const value = body?.data?.login?.token;
  if (!value) {
    console.error(`login as ${username} at ${url} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
    process.exit(2);
  }
  return value;
}

const bearer = await token();
// The audits take no headers: a fetch that adds the token to every request.
const fetchFn = (input, init = {}) => {
  if (!bearer) return fetch(input, init);
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${bearer}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const failedRequirements = [];
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  const level = result.name.split(' ')[0];
  const mark = result.status === 'ok' ? 'ok   ' : result.status.padEnd(5);
  console.log(`${mark} ${result.id} ${result.name}`);
  if (result.status === 'ok') continue;
  console.log(`        ${result.reason}`);
  if (verbose && result.response) {
    const body = await result.response.text().catch(() => '<body already read>');
    console.log(`        HTTP ${result.response.status} ${result.response.headers.get('content-type')} ${body.slice(0, 300)}`);
  }
  if (level === 'MUST' || level === 'SHOULD') failedRequirements.push(result);
}
console.log(
  `\n${results.length} audits against ${url}${bearer ? ' (signed in)' : ''}: ${counts.ok} ok, ` +
    `${counts.error} MUST failed, ${counts.warn} SHOULD failed, ${counts.notice} MAY not met`,
);
process.exit(failedRequirements.length ? 1 : 0);
