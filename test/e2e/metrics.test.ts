/**
 * GET /metrics in the Prometheus text format after a known sequence of requests (counts
 * exact), and who may read it: open on a public registry, behind METRICS_TOKEN, only on
 * the --metrics-address listener, not served on a registry whose reads need a token, and
 * not at all with --no-metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { http, enc, startTestServer, type TestServer } from '../helpers/http.js';
import { buildPackage } from '../helpers/package-fixture.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (others ignored); undefined when absent. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

const TOKEN = 'metrics-token-0123456789abcdef';

describe('/metrics on a public registry', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ flags: { publishRateLimit: 'off' } });
  });
  after(() => server?.dispose());

  it('counts a known sequence of requests exactly', async () => {
    const post = (body: Buffer) => server.get('/v1/packages', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    const archive = await buildPackage({ name: 'acme/one', version: '1.0.0' });
    assert.equal((await post(archive)).status, 200);
    assert.equal((await post(archive)).status, 409);
    assert.equal((await post(Buffer.from('not a tarball'))).status, 400);
    for (let i = 0; i < 2; i++) assert.equal((await server.get(`/v1/packages/${enc('acme/one')}`)).status, 200);
    assert.equal((await server.get(`/v1/packages/${enc('acme/nope')}`)).status, 404);
    let archiveBytes = 0;
    for (let i = 0; i < 3; i++) {
      const answer = await server.get(`/v1/packages/${enc('acme/one')}/1.0.0/luau/archive`);
      assert.equal(answer.status, 200);
      archiveBytes += answer.raw.length;
    }
    assert.equal((await server.get(`/v1/packages/${enc('acme/nobody')}/1.0.0/luau/archive`)).status, 404);
    assert.equal((await server.get('/no/such/route')).status, 404);
    assert.equal((await server.get(`/v1/packages/${enc('acme/one')}/1.0.0/luau/yank`, { method: 'PUT' })).status, 200);
    assert.equal((await server.get(`/v1/packages/${enc('acme/one')}/deprecate`, { method: 'PUT', body: '' })).status, 400);
    await sleep(50);

    const answer = await server.get('/metrics');
    assert.equal(answer.status, 200, answer.text);
    assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(answer.text);
    const requests = (route: string, method: string, status: string) => value(m, 'pesde_registry_http_requests_total', { route, method, status });
    assert.equal(requests('/v1/packages', 'POST', '200'), 1);
    assert.equal(requests('/v1/packages', 'POST', '409'), 1);
    assert.equal(requests('/v1/packages', 'POST', '400'), 1);
    assert.equal(requests('/v1/packages/{name}', 'GET', '200'), 2);
    assert.equal(requests('/v1/packages/{name}', 'GET', '404'), 1);
    assert.equal(requests('/v1/packages/{name}/{version}/{target}/archive', 'GET', '200'), 3);
    assert.equal(requests('/v1/packages/{name}/{version}/{target}/archive', 'GET', '404'), 1);
    assert.equal(requests('unmatched', 'GET', '404'), 1);
    assert.equal(requests('/v1/packages/{name}/{version}/{target}/yank', 'PUT', '200'), 1);
    assert.equal(requests('/v1/packages/{name}/deprecate', 'PUT', '400'), 1);
    const total = m.filter((s) => s.name === 'pesde_registry_http_requests_total').reduce((n, s) => n + s.value, 0);
    assert.equal(total, 13, 'the scrape itself is not counted');
    assert.equal(value(m, 'pesde_registry_http_request_duration_seconds_count', { route: '/v1/packages/{name}', method: 'GET' }), 3);
    assert.equal(value(m, 'pesde_registry_http_requests_in_flight'), 0);
    const sent = value(m, 'pesde_registry_http_response_bytes_total', { route: '/v1/packages/{name}/{version}/{target}/archive' })!;
    assert.ok(sent > archiveBytes && sent < archiveBytes + 4 * 1024, `${sent} bytes sent for ${archiveBytes} bytes of archive bodies`);

    const writes = (operation: string, result: string) => value(m, 'pesde_registry_writes_total', { operation, result });
    assert.equal(writes('publish', 'ok'), 1);
    assert.equal(writes('publish', 'conflict'), 1);
    assert.equal(writes('publish', 'invalid'), 1);
    assert.equal(writes('yank', 'ok'), 1);
    assert.equal(writes('deprecate', 'invalid'), 1);
    assert.equal(value(m, 'pesde_registry_push_attempts_count'), 2);
    assert.equal(value(m, 'pesde_registry_push_attempts_sum'), 2);
    assert.deepEqual(m.filter((s) => s.name === 'pesde_registry_archive_downloads_total').map((s) => [s.labels.package, s.value]), [['acme/one', 3]]);

    assert.equal(value(m, 'pesde_registry_index_packages'), 1);
    assert.equal(value(m, 'pesde_registry_index_versions'), 1);
    assert.equal(value(m, 'pesde_registry_index_refresh_duration_seconds_count', { result: 'ok' }), 2, 'one refresh after each write that landed');
    const refreshed = value(m, 'pesde_registry_index_last_refresh_timestamp_seconds')!;
    assert.ok(Math.abs(refreshed - Date.now() / 1000) < 60, String(refreshed));
    const age = value(m, 'pesde_registry_index_commit_age_seconds')!;
    assert.ok(age >= 0 && age < 60, String(age));
    assert.ok(value(m, 'pesde_registry_package_cache_hits_total')! + value(m, 'pesde_registry_package_cache_misses_total')! > 0);
    assert.ok(value(m, 'pesde_registry_package_cache_bytes')! > 0);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      assert.ok(m.some((s) => s.name === name), `${name} is exported`);
    }

    const again = parseMetrics((await server.get('/metrics')).text);
    assert.equal(value(again, 'pesde_registry_http_requests_total', { route: '/v1/packages/{name}', method: 'GET', status: '200' }), 2, 'scrapes change no request count');
    assert.equal((await server.get('/metrics', { method: 'POST', body: '' })).status, 405);
  });
});

describe('/metrics access', () => {
  const servers: TestServer[] = [];
  const start = async (opts: Parameters<typeof startTestServer>[0]) => {
    const server = await startTestServer(opts);
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const server of servers) await server.dispose();
  });

  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    const server = await start({ env: { METRICS_TOKEN: TOKEN } });
    const none = await server.get('/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.doesNotMatch(none.text, /pesde_registry|metrics-token/);
    assert.equal((await server.get('/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status, 401);
    assert.equal((await server.get('/metrics', { headers: { authorization: TOKEN } })).status, 401);
    const ok = await server.get('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^pesde_registry_index_packages 0$/m);
    assert.ok(server.banner.includes('metrics: /metrics on this port (bearer token METRICS_TOKEN)'), server.banner.join('\n'));
    assert.ok(!server.banner.join('\n').includes(TOKEN));
  });

  it('serves /metrics only on the --metrics-address listener', async () => {
    const server = await start({ flags: { metricsAddress: '127.0.0.1:0' } });
    assert.ok(server.metricsUrl !== null && server.metricsUrl !== server.url);
    assert.equal((await server.get('/metrics')).status, 404);
    const ok = await http(server.metricsUrl, '/metrics');
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^# TYPE pesde_registry_http_requests_total counter$/m);
    assert.equal((await http(server.metricsUrl, '/v1/packages/acme%2Fone')).status, 404, 'the listener serves nothing else');
    assert.equal((await server.get('/health')).status, 200);
  });

  it('wants the token on the --metrics-address listener too when both are set', async () => {
    const server = await start({ flags: { metricsAddress: '127.0.0.1:0' }, env: { METRICS_TOKEN: TOKEN } });
    assert.equal((await http(server.metricsUrl!, '/metrics')).status, 401);
    assert.equal((await http(server.metricsUrl!, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  });

  it('does not serve /metrics on a registry whose reads need a token, unless told how', async () => {
    const server = await start({ env: { ACCESS_TOKEN: 'a-shared-token', READ_NEEDS_AUTH: '1' } });
    for (const headers of [{}, { authorization: 'Bearer a-shared-token' }] as Array<Record<string, string>>) {
      const answer = await server.get('/metrics', { headers });
      assert.equal(answer.status, 404, answer.text);
      assert.doesNotMatch(answer.text, /pesde_registry/);
    }
    assert.ok(server.banner.some((line) => line.startsWith('metrics: not served, as reads need a token')), server.banner.join('\n'));
  });

  it('has no /metrics with --no-metrics', async () => {
    const server = await start({ flags: { metrics: false } });
    assert.equal((await server.get('/metrics')).status, 404);
    assert.ok(server.banner.includes('metrics: off'));
  });

  it('refuses a short token and a bad address before starting', async () => {
    await assert.rejects(start({ env: { METRICS_TOKEN: 'short' } }), /METRICS_TOKEN is too short/);
    await assert.rejects(start({ flags: { metricsAddress: 'nowhere' } }), /--metrics-address: "nowhere" is not <host>:<port>/);
  });
});
