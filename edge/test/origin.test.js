// The origin binding: with ORIGIN set, every origin request goes through it and nowhere else, as it does through
// a Workers VPC service (the cluster's tunnel) or an mTLS certificate binding on Cloudflare.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { edgeBindings, post, startEdge, withOrigin } from "./harness.js";

// A name that resolves nowhere: only the binding can reach the origin behind it, as with a tunnel.
const GATEWAY_HOST = "gateway.mcp-suite.invalid";

describe("origin binding", () => {
  const ctx = withOrigin();
  let bound;
  let unbound;
  before(() => {
    const bindings = edgeBindings(ctx.origin, { ORIGIN_HOST: GATEWAY_HOST });
    // workerd's external HTTP service: a fetcher that delivers every request to one address, whatever its URL
    // names, which is what a VPC service binding does with the tunnel's private service.
    bound = startEdge(bindings, {
      serviceBindings: { ORIGIN: { external: { address: ctx.origin.host, http: {} } } },
    });
    unbound = startEdge(bindings);
  });
  after(async () => {
    await bound.dispose();
    await unbound.dispose();
  });

  it("sends the request through the binding, naming the gateway's host", async () => {
    const response = await post(bound);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const seen = ctx.origin.requests.at(-1);
    assert.equal(seen.url, "/memory/mcp");
    assert.equal(seen.headers.host, GATEWAY_HOST);
    assert.equal(seen.headers.authorization, undefined);
  });

  it("without the binding the same host is not reachable: the binding is the only way there", async () => {
    const before = ctx.origin.requests.length;
    const response = await post(unbound);
    assert.equal(response.status, 502);
    assert.equal((await response.json()).error, "origin_unreachable");
    assert.equal(ctx.origin.requests.length, before);
  });
});
