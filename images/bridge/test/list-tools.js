// Print a server's tools, [{name, description}] sorted by name, asked over streamable HTTP with the official SDK:
//   node list-tools.js <mcp url>

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const client = new Client({ name: 'list-tools', version: '1' });
const transport = new StreamableHTTPClientTransport(new URL(process.argv[2]));
await client.connect(transport);
const tools = [];
let cursor;
do {
  const page = await client.listTools(cursor === undefined ? {} : { cursor });
  tools.push(...page.tools.map((tool) => ({ name: tool.name, description: (tool.description ?? '').trim() })));
  cursor = page.nextCursor;
} while (cursor !== undefined);
await transport.terminateSession().catch(() => undefined);
await client.close();
tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
process.stdout.write(`${JSON.stringify(tools)}\n`);
