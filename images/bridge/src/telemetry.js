// Per-request telemetry under the OpenTelemetry MCP semantic conventions: the `mcp.server.operation.duration`
// histogram, served to Prometheus at the metrics path, and one log line per request with the same names, so a slow
// or failing tool can be found from a dashboard panel and then in the logs.

import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

import { log } from './log.js';

// The semantic conventions' advice for this histogram: tool calls run from milliseconds to minutes.
export const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

// Labels take only names the server defines: a method or tool name a client makes up is counted as `_OTHER` (the
// conventions' value for a name outside the known set), so no client can grow the series without bound.
export const OTHER = '_OTHER';
const METHODS = new Set([
  'completion/complete',
  'initialize',
  'logging/setLevel',
  'ping',
  'prompts/get',
  'prompts/list',
  'resources/list',
  'resources/read',
  'resources/subscribe',
  'resources/templates/list',
  'resources/unsubscribe',
  'server/discover',
  'subscriptions/listen',
  'tools/call',
  'tools/list',
]);

export class Telemetry {
  /** `knownTool(name)` says whether the server offers a tool of that name (its last `tools/list`). */
  constructor({ serviceName, knownTool }) {
    this.knownTool = knownTool;
    // Served by the bridge's own HTTP server on its one port, not on a port of the exporter's.
    this.exporter = new PrometheusExporter({ preventServerStart: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName }),
      readers: [this.exporter],
    });
    this.duration = this.provider.getMeter('mcp-suite-bridge').createHistogram('mcp.server.operation.duration', {
      description: 'Duration of MCP requests the server answered',
      unit: 's',
      advice: { explicitBucketBoundaries: BUCKETS },
    });
  }

  /**
   * Time one request the server answers: `operation` runs it and returns its result. The result's `isError` (a
   * tool that failed) and a thrown error's JSON-RPC code both count as errors, as the conventions' `error.type`.
   */
  async record({ method, params, protocolVersion }, operation) {
    const started = performance.now();
    const attributes = { 'mcp.method.name': METHODS.has(method) ? method : OTHER };
    if (method === 'tools/call') {
      attributes['gen_ai.tool.name'] = this.knownTool(params?.name) ? params.name : OTHER;
    }
    if (protocolVersion !== undefined) {
      attributes['mcp.protocol.version'] = protocolVersion;
    }
    try {
      const result = await operation();
      if (result?.isError === true) {
        attributes['error.type'] = 'tool_error';
      }
      return result;
    } catch (error) {
      attributes['error.type'] = typeof error?.code === 'number' ? String(error.code) : (error?.name ?? 'Error');
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.duration.record(seconds, attributes);
      log(attributes['error.type'] === undefined ? 'info' : 'warn', 'request', { ...attributes, duration_s: round(seconds) });
    }
  }

  /** Answer a scrape. */
  serve(req, res) {
    this.exporter.getMetricsRequestHandler(req, res);
  }

  async close() {
    await this.provider.shutdown();
  }
}

function round(seconds) {
  return Math.round(seconds * 1e6) / 1e6;
}
