import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';

import { parseOptions } from '../src/options.js';
import { concernsEveryClient } from '../src/relay.js';
import { BRIDGE, SERVERS, connect, health, startBridge } from './harness.js';

const MEMORY = '@modelcontextprotocol/server-memory@2026.8.31';
const EVERYTHING = '@modelcontextprotocol/server-everything@2026.8.31';

function memoryBridge(extra = []) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bridge-memory-')), 'memory.jsonl');
  const started = startBridge({
    server: 'memory',
    args: ['--stdio', MEMORY, '--serialize', ...extra],
    env: { MEMORY_FILE_PATH: file },
  });
  return { file, started };
}

function childrenOf(pid) {
  const found = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return found.stdout.split('\n').filter((line) => line.trim() !== '');
}

test('every acknowledged write of 4 concurrent sessions survives, through one server process', async () => {
  const { file, started } = memoryBridge();
  const bridge = await started;
  try {
    const clients = await Promise.all([0, 1, 2, 3].map((n) => connect(bridge.url, `writer-${n}`)));
    assert.equal(childrenOf(bridge.child.pid).length, 1, 'one server process whatever the number of sessions');
    await Promise.all(
      clients.map(async (client, n) => {
        for (let call = 0; call < 25; call += 1) {
          const result = await client.callTool({
            name: 'create_entities',
            arguments: { entities: [{ name: `s${n}-e${call}`, entityType: 'test', observations: [] }] },
          });
          assert.notEqual(result.isError, true);
        }
      }),
    );
    const graph = await clients[0].callTool({ name: 'read_graph', arguments: {} });
    const entities = JSON.parse(graph.content[0].text).entities;
    assert.equal(entities.length, 100);
    const onDisk = readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"entity"'));
    assert.equal(onDisk.length, 100, 'all 100 entities are in the memory file');
    await Promise.all(clients.map((client) => client.close()));
  } finally {
    await bridge.stop();
  }
});

test('sessions abandoned without DELETE are reaped after the session timeout', async () => {
  const { started } = memoryBridge(['--session-timeout-seconds', '1']);
  const bridge = await started;
  try {
    const abandoned = await Promise.all([0, 1, 2, 3, 4].map(() => connect(bridge.url)));
    assert.equal((await health(bridge.url)).body.sessions, 5);
    const id = abandoned[0].transport.sessionId;
    // Closing the transport drops the connections without the DELETE that ends a session: what a client that
    // crashes or loses its network does.
    await Promise.all(abandoned.map((client) => client.close()));
    await sleep(1800);
    const after = (await health(bridge.url)).body;
    assert.deepEqual([after.sessions, after.reaped], [0, 5]);
    const stale = await fetch(`${bridge.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(stale.status, 404, 'a reaped session is not found, so the client starts a new one');
  } finally {
    await bridge.stop();
  }
});

test('a session that keeps calling is not reaped', async () => {
  const { started } = memoryBridge(['--session-timeout-seconds', '1']);
  const bridge = await started;
  try {
    const client = await connect(bridge.url);
    for (let round = 0; round < 6; round += 1) {
      await sleep(400);
      await client.listTools();
    }
    assert.equal((await health(bridge.url)).body.reaped, 0);
  } finally {
    await bridge.stop();
  }
});

test('stateless mode answers requests that carry no session', async () => {
  const bridge = await startBridge({
    server: 'sequential-thinking',
    args: ['--stdio', '@modelcontextprotocol/server-sequential-thinking@2026.8.31', '--sessions', 'stateless'],
  });
  try {
    const client = await connect(bridge.url);
    assert.equal(client.transport.sessionId, undefined);
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ['sequentialthinking'],
    );
    assert.equal(childrenOf(bridge.child.pid).length, 1);
  } finally {
    await bridge.stop();
  }
});

test('requests the bridge cannot take are refused with the reason', async () => {
  const { started } = memoryBridge(['--max-body-bytes', '1024']);
  const bridge = await started;
  try {
    const post = (body, headers = {}) =>
      fetch(`${bridge.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body,
      });
    const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), {
      'mcp-session-id': 'not-a-session',
    });
    assert.equal(unknown.status, 404);
    const noSession = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    assert.equal(noSession.status, 400);
    const large = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'x'.repeat(2048) } }));
    assert.equal(large.status, 413);
    const notJson = await post('{');
    assert.equal(notJson.status, 400);
    assert.equal((await notJson.json()).error.code, -32700);
    assert.equal((await fetch(`${bridge.url}/other`)).status, 404);
  } finally {
    await bridge.stop();
  }
});

test('SIGTERM stops the bridge and its server cleanly', async () => {
  const { started } = memoryBridge();
  const bridge = await started;
  const [serverPid] = childrenOf(bridge.child.pid);
  await bridge.stop();
  assert.equal(bridge.child.exitCode, 0);
  assert.equal(spawnSync('kill', ['-0', serverPid.trim()]).status, 1, 'the server process is gone');
});

test('a wrong flag stops the bridge with a message that names it', () => {
  const run = (...args) =>
    spawnSync(process.execPath, [BRIDGE, ...args], {
      encoding: 'utf8',
      env: { ...process.env, MCP_SERVER_DIR: path.join(SERVERS, 'memory') },
    });
  const badPort = run('--stdio', MEMORY, '--port', '80000');
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /--port: expected a whole number from 1 to 65535, got '80000'/);
  const shell = run('--stdio', 'npx -y x && rm -rf /', '--port', '8000');
  assert.equal(shell.status, 2);
  assert.match(shell.stderr, /uses shell syntax/);
  const unknown = run('--stdio', MEMORY, '--port', '8000', '--stateful');
  assert.match(unknown.stderr, /unknown flag '--stateful'/);
  const bare = run('--stdio', 'mcp-server-memory', '--port', '8000');
  assert.equal(bare.status, 1);
  assert.match(bare.stdout, /'mcp-server-memory' is not <package>@<version>/);
  const otherVersion = run('--stdio', '@modelcontextprotocol/server-memory@2026.7.4', '--port', '8000');
  assert.match(otherVersion.stdout, /holds @modelcontextprotocol\/server-memory@2026.8.31, not 2026.7.4/);
  const otherServer = run('--stdio', '@modelcontextprotocol/server-everything@2026.8.31', '--port', '8000');
  assert.match(otherServer.stdout, /server-everything is not installed in .*memory/);
});

test('with --dev-source the server runs from a checkout and restarts when a file changes', async () => {
  const installed = path.join(SERVERS, 'sequential-thinking', 'node_modules');
  const checkout = mkdtempSync(path.join(tmpdir(), 'bridge-dev-source-'));
  cpSync(path.join(installed, '@modelcontextprotocol', 'server-sequential-thinking'), checkout, { recursive: true });
  symlinkSync(installed, path.join(checkout, 'node_modules'));
  const bridge = await startBridge({
    server: 'sequential-thinking',
    args: ['--stdio', '@modelcontextprotocol/server-sequential-thinking@2026.8.31', '--dev-source', checkout],
  });
  try {
    const describe = async () => {
      const client = await connect(bridge.url);
      const [tool] = (await client.listTools()).tools;
      await client.close();
      return tool.description;
    };
    const before = await describe();
    const entry = path.join(checkout, 'dist', 'index.js');
    const source = readFileSync(entry, 'utf8');
    const first = before.split('\n')[0].trim();
    assert.ok(source.includes(first), 'the tool description is in the entry file');
    writeFileSync(entry, source.replace(first, 'Edited locally: reloaded.'));
    let after = before;
    for (let attempt = 0; attempt < 50 && after === before; attempt += 1) {
      await sleep(200);
      after = await describe().catch(() => before);
    }
    assert.match(after, /^Edited locally: reloaded\./);
    assert.ok(bridge.lines.some((line) => line.includes('source changed; restarting the server')));
  } finally {
    await bridge.stop();
  }
});

test('--dev-source refuses a checkout of another package', () => {
  const other = path.join(SERVERS, 'memory', 'node_modules', '@modelcontextprotocol', 'server-memory');
  const run = spawnSync(
    process.execPath,
    [BRIDGE, '--stdio', '@modelcontextprotocol/server-sequential-thinking@2026.8.31', '--port', '8000', '--dev-source', other],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 1);
  assert.match(run.stdout, /holds the package @modelcontextprotocol\/server-memory, not @modelcontextprotocol\/server-sequential-thinking/);
});

test('sessions beyond --max-sessions are refused with 503 until one ends', async () => {
  const { started } = memoryBridge(['--max-sessions', '2']);
  const bridge = await started;
  try {
    const first = await connect(bridge.url);
    await connect(bridge.url);
    await assert.rejects(connect(bridge.url), /503|Server busy/);
    await first.transport.terminateSession();
    const again = await connect(bridge.url);
    assert.equal((await again.listTools()).tools.length, 9);
  } finally {
    await bridge.stop();
  }
});

test('only list changes of the shared server reach every session; its other notifications reach none', () => {
  for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed']) {
    assert.ok(concernsEveryClient(method), method);
  }
  for (const method of ['notifications/message', 'notifications/resources/updated', 'notifications/progress']) {
    assert.ok(!concernsEveryClient(method), method);
  }
});

// A tool call that takes `seconds`: server-everything's long-running operation, in one step.
function slowCall(client, seconds) {
  return client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: seconds, steps: 1 } });
}

/** The bridge's exit code and when it came. */
async function exited(child) {
  const [code] = await once(child, 'exit');
  return { code, at: Date.now() };
}

async function logged(bridge, msg) {
  for (let waited = 0; !bridge.lines.some((line) => JSON.parse(line).msg === msg); waited += 20) {
    assert.ok(waited < 5000, `the bridge logs '${msg}'`);
    await sleep(20);
  }
}

// A stop that hangs fails its test instead of the whole run.
const BOUNDED = { timeout: 15_000 };

/** One request on a connection of its own, which the client would keep alive; rejects with ECONNREFUSED and such. */
function request(url, path, { method = 'GET', headers = {}, body } = {}) {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        agent.destroy();
        resolve({ status: res.statusCode, connection: res.headers.connection, body: text });
      });
    });
    req.on('error', (error) => {
      agent.destroy();
      reject(error);
    });
    req.end(body);
  });
}

/**
 * `body(bridge, client, exit)` with a bridge in front of server-everything that drains for `drainSeconds`, an SDK
 * session open on it (with the GET stream the client keeps for notifications, which must not hold a stop) and the
 * bridge's coming exit; both are ended after it.
 */
async function withSession(drainSeconds, body) {
  const bridge = await startBridge({ server: 'everything', args: ['--stdio', EVERYTHING], drainSeconds });
  const client = await connect(bridge.url);
  try {
    await body(bridge, client, exited(bridge.child));
  } finally {
    await client.close();
    await bridge.stop();
  }
}

const INITIALIZE = {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  }),
};

test('a call in flight at SIGTERM gets its result; after the drain the port is closed and the bridge exits 0', BOUNDED, () =>
  withSession(1, async (bridge, client, exit) => {
    // Longer than the drain: the call outlives the listening socket.
    const call = slowCall(client, 2.5);
    await sleep(300);
    bridge.child.kill('SIGTERM');
    await sleep(1500);
    assert.equal(bridge.child.exitCode, null, 'the bridge waits for the call');
    await assert.rejects(request(bridge.url, '/healthz'), { code: 'ECONNREFUSED' });
    const result = await call;
    const answered = Date.now();
    assert.match(result.content[0].text, /^Long running operation completed/);
    const { code, at } = await exit;
    assert.equal(code, 0);
    assert.ok(at - answered < 1000, `exited ${at - answered} ms after the last answer`);
  }));

test('while draining the bridge answers new connections with Connection: close and its health check fails', BOUNDED, () =>
  withSession(2, async (bridge, client, exit) => {
    assert.equal((await request(bridge.url, '/healthz')).connection, 'keep-alive', 'kept alive before the signal');
    const signalled = Date.now();
    bridge.child.kill('SIGTERM');
    await logged(bridge, 'draining');
    const probe = await request(bridge.url, '/healthz');
    assert.deepEqual([probe.status, JSON.parse(probe.body).status, probe.connection], [503, 'draining', 'close']);
    const initialize = await request(bridge.url, '/mcp', INITIALIZE);
    assert.deepEqual([initialize.status, initialize.connection], [200, 'close']);
    assert.match(initialize.body, /"serverInfo"/);
    assert.ok((await slowCall(client, 0.1)).content[0].text.startsWith('Long running operation completed'));
    const { code, at } = await exit;
    assert.equal(code, 0);
    assert.ok(at - signalled >= 2000 && at - signalled < 3500, `exited ${at - signalled} ms after SIGTERM`);
  }));

test('with --drain-seconds 0 the bridge stops listening at once and still answers the call in flight', BOUNDED, () =>
  withSession(0, async (bridge, client, exit) => {
    const call = slowCall(client, 1.5);
    await sleep(300);
    bridge.child.kill('SIGTERM');
    await sleep(200);
    await assert.rejects(request(bridge.url, '/healthz'), { code: 'ECONNREFUSED' });
    assert.match((await call).content[0].text, /^Long running operation completed/);
    assert.equal((await exit).code, 0);
  }));

test('a second signal during the drain exits at once', BOUNDED, async () => {
  const bridge = await startBridge({ server: 'everything', args: ['--stdio', EVERYTHING], drainSeconds: 5 });
  const exit = exited(bridge.child);
  bridge.child.kill('SIGTERM');
  await logged(bridge, 'draining');
  const signalled = Date.now();
  bridge.child.kill('SIGINT');
  const { code, at } = await exit;
  assert.equal(code, 130, '128 + SIGINT, as a shell reports an interrupted command');
  assert.ok(at - signalled < 1000, `exited ${at - signalled} ms after the second signal`);
});

test('--drain-seconds takes 0 to 300, 5 when not given', () => {
  const base = ['--stdio', MEMORY, '--port', '8000'];
  assert.equal(parseOptions(base).drainSeconds, 5);
  assert.equal(parseOptions([...base, '--drain-seconds', '0']).drainSeconds, 0);
  assert.equal(parseOptions([...base, '--drain-seconds', '300']).drainSeconds, 300);
  for (const bad of ['301', '-1', '2.5', 'soon']) {
    const run = spawnSync(process.execPath, [BRIDGE, ...base, '--drain-seconds', bad], { encoding: 'utf8' });
    assert.equal(run.status, 2, bad);
    assert.match(run.stderr, new RegExp(`--drain-seconds: expected a whole number from 0 to 300, got '${bad}'`));
  }
});
