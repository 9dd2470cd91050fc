// An MCP client built with the official TypeScript SDK (revision 2025-11-25 and older): `node
// typescript-client.mjs URL TOKEN` lists the tools, calls `echo` and prints JSON. Run by
// tests/conformance/test_edge_mcp_revisions.py against the worker in workerd.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "mcp-suite-edge-test", version: "1.0.0" });
await client.connect(transport);
const tools = await client.listTools();
const called = await client.callTool({ name: "echo", arguments: { text: "through the edge" } });
const summary = {
  protocol: transport.protocolVersion ?? null,
  session: transport.sessionId !== undefined,
  tools: tools.tools.map((tool) => tool.name).sort(),
  echo: called.content.filter((part) => part.type === "text").map((part) => part.text),
};
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(summary));
