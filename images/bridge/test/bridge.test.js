import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'node:test';

import { concernsEverySession } from '../src/sessions.js';
import { BRIDGE, SERVERS, connect, health, startBridge } from './harness.js';

const MEMORY = '@modelcontextprotocol/server-memory@2026.8.31';

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
    assert.ok(concernsEverySession(method), method);
  }
  for (const method of ['notifications/message', 'notifications/resources/updated', 'notifications/progress']) {
    assert.ok(!concernsEverySession(method), method);
  }
});
