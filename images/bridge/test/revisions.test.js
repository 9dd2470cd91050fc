// The bridge serves MCP 2026-07-28 (stateless requests, `server/discover`, header checks, `subscriptions/listen`)
// beside the 2025 sessions, in front of a stdio server that speaks neither, and keeps its guarantees for both.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';

import { connect, health, startBridge } from './harness.js';

const MEMORY = '@modelcontextprotocol/server-memory@2026.8.31';
const EVERYTHING = '@modelcontextprotocol/server-everything@2026.8.31';
const MODERN = '2026-07-28';

function everythingBridge(extra = []) {
  return startBridge({ server: 'everything', args: ['--stdio', EVERYTHING, ...extra] });
}

// An everything bridge with a client of each revision, closed and stopped however `use` ends.
async function withBothClients(use) {
  const bridge = await everythingBridge();
  try {
    const modern = await connect(bridge.url, 'modern', 'auto');
    const legacy = await connect(bridge.url, 'legacy', 'legacy');
    await use({ bridge, modern, legacy });
    await Promise.all([modern.close(), legacy.close()]);
  } finally {
    await bridge.stop();
  }
}

// A 2026-07-28 request as the spec's HTTP transport carries it: the revision, client and capabilities in `_meta`,
// and the method (and name) repeated in headers.
function modernPost(url, method, params = {}, headers = {}) {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
  });
}

test('a 2026-07-28 client speaks 2026-07-28 with no session, and a 2025-11-25 client keeps its session', () =>
  withBothClients(async ({ bridge, modern, legacy }) => {
    assert.deepEqual([modern.getNegotiatedProtocolVersion(), legacy.getNegotiatedProtocolVersion()], [MODERN, '2025-11-25']);
    assert.equal(modern.transport.sessionId, undefined, 'no session id under 2026-07-28');
    assert.match(legacy.transport.sessionId, /^[0-9a-f-]{36}$/);
    for (const client of [modern, legacy]) {
      const called = await client.callTool({ name: 'echo', arguments: { message: 'both revisions' } });
      assert.deepEqual(called.content, [{ type: 'text', text: 'Echo: both revisions' }]);
    }
    assert.equal((await health(bridge.url)).body.sessions, 1, 'only the 2025 client holds a session');
  }));

test('server/discover, the cache fields of list results, and the header checks of 2026-07-28', async () => {
  const bridge = await everythingBridge();
  try {
    const discovered = await (await modernPost(bridge.url, 'server/discover')).json();
    assert.ok(discovered.result.supportedVersions.includes(MODERN));
    assert.equal(discovered.result._meta['io.modelcontextprotocol/serverInfo'].name, 'mcp-servers/everything', 'the identity of the stdio server');
    const listed = await (await modernPost(bridge.url, 'tools/list')).json();
    assert.equal(typeof listed.result.ttlMs, 'number');
    assert.ok(['public', 'private'].includes(listed.result.cacheScope), listed.result.cacheScope);
    assert.equal(listed.result.tools.length, 13);
    const mismatch = await modernPost(bridge.url, 'tools/call', { name: 'echo', arguments: { message: 'x' } }, { 'mcp-name': 'get-env' });
    assert.equal(mismatch.status, 400);
    assert.equal((await mismatch.json()).error.code, -32020, 'a header that disagrees with the body is refused');
    const wrongMethod = await modernPost(bridge.url, 'tools/list', {}, { 'mcp-method': 'tools/call' });
    assert.deepEqual([wrongMethod.status, (await wrongMethod.json()).error.code], [400, -32020]);
    assert.equal(mismatch.headers.get('mcp-session-id'), null);
  } finally {
    await bridge.stop();
  }
});

test('a foreign Host or Origin is refused on the MCP path; allowed names, localhost and IP addresses pass', async () => {
  const bridge = await everythingBridge(['--allowed-hosts', 'mcp.example.com,everything']);
  const status = async (headers) => (await modernPost(bridge.url, 'tools/list', {}, headers)).status;
  try {
    // fetch does not let a caller set Host, so the requests go through node:http.
    const { request } = await import('node:http');
    const withHost = (host, origin) =>
      new Promise((resolve, reject) => {
        const req = request(`${bridge.url}/mcp`, { method: 'POST', headers: { host, ...(origin ? { origin } : {}), 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
        req.end('{}');
      });
    assert.equal(await withHost('evil.example.com'), 403);
    assert.equal(await withHost('evil.example.com:8000'), 403);
    assert.equal(await status({ origin: 'http://evil.example.com' }), 403);
    assert.equal(await status({ origin: 'null' }), 403);
    assert.equal(await status({ origin: 'https://mcp.example.com' }), 200);
    assert.equal(await withHost('mcp.example.com', 'http://203.0.113.9'), 403, 'a page on another address');
    assert.equal(await status({ origin: 'http://127.0.0.1:3000' }), 200, 'a page on this machine');
    assert.notEqual(await withHost('mcp.example.com'), 403);
    assert.notEqual(await withHost('everything:8000'), 403);
    assert.notEqual(await withHost('10.244.0.7:8000'), 403);
    assert.notEqual(await withHost('localhost:8000'), 403);
    assert.equal(await status({}), 200);
    // Probes and scrapes address the pod by IP or any name; they are not MCP requests and are not checked.
    const probe = await fetch(`${bridge.url}/healthz`, { headers: { origin: 'http://evil.example.com' } });
    assert.equal(probe.status, 200);
  } finally {
    await bridge.stop();
  }
});

test('no acknowledged write is lost with 2026-07-28 and 2025-11-25 clients writing at once through one server', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bridge-memory-')), 'memory.jsonl');
  const bridge = await startBridge({ server: 'memory', args: ['--stdio', MEMORY, '--serialize'], env: { MEMORY_FILE_PATH: file } });
  try {
    const modes = ['auto', 'auto', 'legacy', 'legacy'];
    const clients = await Promise.all(modes.map((mode, n) => connect(bridge.url, `writer-${n}`, mode)));
    await Promise.all(
      clients.map(async (client, n) => {
        for (let call = 0; call < 25; call += 1) {
          const result = await client.callTool({
            name: 'create_entities',
            arguments: { entities: [{ name: `${modes[n]}${n}-e${call}`, entityType: 'test', observations: [] }] },
          });
          assert.notEqual(result.isError, true);
        }
      }),
    );
    const onDisk = readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"entity"'));
    assert.equal(onDisk.length, 100, 'all 100 acknowledged entities are in the memory file');
    await Promise.all(clients.map((client) => client.close()));
  } finally {
    await bridge.stop();
  }
});

test('a list change of the server reaches a 2026-07-28 listener and a 2025 session; a log message reaches neither', () =>
  withBothClients(async ({ modern, legacy }) => {
    const seen = { modern: [], legacy: [] };
    for (const [who, client] of Object.entries({ modern, legacy })) {
      client.fallbackNotificationHandler = async (notification) => seen[who].push(notification.method);
    }
    const subscription = await modern.listen({ resourcesListChanged: true, toolsListChanged: true, promptsListChanged: true });
    // The everything server registers the gzipped file as a new resource, which changes its resource list.
    const gzipped = await legacy.callTool({
      name: 'gzip-file-as-resource',
      arguments: { name: 'hello.txt.gz', data: 'data:text/plain;base64,aGVsbG8=', outputType: 'resourceLink' },
    });
    assert.notEqual(gzipped.isError, true, JSON.stringify(gzipped));
    await legacy.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    for (let waited = 0; waited < 5000 && (seen.modern.length === 0 || seen.legacy.length === 0); waited += 50) {
      await sleep(50);
    }
    await sleep(300);
    const changes = (methods) => methods.filter((method) => method !== 'notifications/subscriptions/acknowledged');
    assert.deepEqual(changes(seen.modern), ['notifications/resources/list_changed']);
    assert.deepEqual(changes(seen.legacy), ['notifications/resources/list_changed']);
    await subscription.close();
  }));

test('per-tool telemetry: operation durations by method and tool, errors by type, and one log line per request', () =>
  withBothClients(async ({ bridge, modern, legacy }) => {
    await modern.callTool({ name: 'echo', arguments: { message: 'a' } });
    await legacy.callTool({ name: 'echo', arguments: { message: 'b' } });
    await legacy.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    const unknown = await modern.callTool({ name: 'no-such-tool', arguments: {} });
    assert.equal(unknown.isError, true);
    await modern.callTool({ name: 'made-up-tool', arguments: {} });
    await assert.rejects(legacy.getPrompt({ name: 'no-such-prompt' }));
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    const count = (labels) => {
      const line = metrics.split('\n').find((row) => row.startsWith('mcp_server_operation_duration_count{') && labels.every((label) => row.includes(label)));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const echo = ['mcp_method_name="tools/call"', 'gen_ai_tool_name="echo"'];
    assert.equal(count([...echo, `mcp_protocol_version="${MODERN}"`]), 1);
    assert.equal(count([...echo, 'mcp_protocol_version="2025-11-25"']), 1);
    assert.equal(count(['gen_ai_tool_name="get-sum"']), 1);
    const failed = metrics.split('\n').filter((row) => row.startsWith('mcp_server_operation_duration_count{') && row.includes('error_type='));
    assert.equal(failed.length, 2, metrics);
    const noEndpoint = await everythingBridge(['--no-metrics-endpoint']);
    try {
      assert.equal((await fetch(`${noEndpoint.url}/metrics`)).status, 404, 'where every path is public');
    } finally {
      await noEndpoint.stop();
    }
    // Names a client makes up are counted together, so no client can grow the series without bound.
    assert.equal(count(['gen_ai_tool_name="_OTHER"', 'error_type="tool_error"']), 2, metrics);
    assert.ok(!metrics.includes('no-such-tool') && !metrics.includes('made-up-tool'), metrics);
    assert.ok(count(['mcp_method_name="prompts/get"', 'error_type="-32602"']) === 1, metrics);
    assert.ok(metrics.includes('mcp_server_operation_duration_bucket{'), 'a histogram, for latency quantiles');
    const requests = bridge.lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request');
    const echoed = requests.filter((line) => line['gen_ai.tool.name'] === 'echo');
    assert.equal(echoed.length, 2);
    assert.equal(echoed[0]['mcp.method.name'], 'tools/call');
    assert.equal(typeof echoed[0].duration_s, 'number');
    assert.ok(!JSON.stringify(requests).includes('"message"'), 'tool arguments are not logged');
  }));

test('an open subscriptions/listen stream does not hold up a stop', async () => {
  const bridge = await everythingBridge();
  const modern = await connect(bridge.url, 'modern', 'auto');
  await modern.listen({ toolsListChanged: true });
  const started = Date.now();
  await bridge.stop();
  assert.equal(bridge.child.exitCode, 0);
  assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
});

test('--max-sessions also bounds the open subscriptions/listen streams of 2026-07-28 clients', async () => {
  const bridge = await everythingBridge(['--max-sessions', '1']);
  try {
    const first = await connect(bridge.url, 'first', 'auto');
    const second = await connect(bridge.url, 'second', 'auto');
    const open = await first.listen({ toolsListChanged: true });
    await assert.rejects(second.listen({ toolsListChanged: true }), /Subscription limit reached/);
    await open.close();
    let again;
    for (let attempt = 0; attempt < 20 && again === undefined; attempt += 1) {
      again = await second.listen({ toolsListChanged: true }).catch(() => sleep(100).then(() => undefined));
    }
    assert.ok(again !== undefined, 'a stream can open again once the first has closed');
    await again.close();
    await Promise.all([first.close(), second.close()]);
  } finally {
    await bridge.stop();
  }
});
