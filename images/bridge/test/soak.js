// Soak a stateful service through its MCP endpoint, with the official SDK client, as tests/images drives it:
//   node soak.js <mcp url> <memory|filesystem> <writers> <calls per writer> <abandoned sessions>
// Opens the abandoned sessions (then drops their connections without DELETE), runs the writers concurrently,
// prints {"phase":"loaded",...} and waits for a line on stdin (the caller samples the container meanwhile),
// then reads back what was acknowledged and prints {"phase":"done","acknowledged","found","lost"}.

import { createInterface } from 'node:readline';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [url, kind, writers, calls, abandoned] = process.argv.slice(2);
const SOAK_DIR = `${process.env.SOAK_ROOT ?? '/data/files'}/soak`;

async function session(name) {
  const client = new Client({ name, version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

const WRITES = {
  memory: {
    write: (client, key) =>
      client.callTool({ name: 'create_entities', arguments: { entities: [{ name: key, entityType: 'soak', observations: [key] }] } }),
    async stored(client) {
      const graph = await client.callTool({ name: 'read_graph', arguments: {} });
      return new Set(JSON.parse(graph.content[0].text).entities.map((entity) => entity.name));
    },
  },
  filesystem: {
    async prepare(client) {
      await client.callTool({ name: 'create_directory', arguments: { path: SOAK_DIR } });
    },
    write: (client, key) =>
      client.callTool({ name: 'write_file', arguments: { path: `${SOAK_DIR}/${key}.txt`, content: key } }),
    async stored(client) {
      const listing = await client.callTool({ name: 'list_directory', arguments: { path: SOAK_DIR } });
      const names = listing.content[0].text.split('\n').map((line) => line.replace(/^\[FILE\] /, '').replace(/\.txt$/, ''));
      return new Set(names);
    },
  },
};

async function main() {
  const writes = WRITES[kind];
  if (writes === undefined) {
    throw new Error(`unknown kind '${kind}': memory or filesystem`);
  }
  const setup = await session('soak-setup');
  await writes.prepare?.(setup.client);
  const dropped = await Promise.all(Array.from({ length: Number(abandoned) }, (_, n) => session(`abandoned-${n}`)));
  // Closing the transport drops the connections without the DELETE that ends a session.
  await Promise.all(dropped.map(({ transport }) => transport.close()));
  const acknowledged = [];
  const failed = [];
  const started = Date.now();
  const open = await Promise.all(Array.from({ length: Number(writers) }, (_, n) => session(`writer-${n}`)));
  await Promise.all(
    open.map(async ({ client }, n) => {
      for (let call = 0; call < Number(calls); call += 1) {
        const key = `w${n}-c${call}`;
        const result = await writes.write(client, key);
        (result.isError ? failed : acknowledged).push(key);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ phase: 'loaded', acknowledged: acknowledged.length, failed: failed.length, seconds })}\n`);
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
  const stored = await writes.stored(setup.client);
  const lost = acknowledged.filter((key) => !stored.has(key));
  for (const { transport } of [...open, setup]) {
    await transport.terminateSession();
  }
  process.stdout.write(`${JSON.stringify({ phase: 'done', acknowledged: acknowledged.length, found: acknowledged.length - lost.length, lost: lost.length })}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`soak: ${error.stack ?? error}\n`);
  process.exit(1);
});
