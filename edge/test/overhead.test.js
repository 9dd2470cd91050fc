// The overhead benchmarks (bench/overhead.js, bench/oauth-overhead.js) still run against the worker: a short run
// each, its figures' shape.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { it } from "node:test";

// A short run of one benchmark: its JSON figures.
function run(bench) {
  const output = execFileSync(process.execPath, [bench, "20"], {
    cwd: new URL("..", import.meta.url),
    encoding: "utf8",
    timeout: 60000,
  });
  return JSON.parse(output);
}

const ordered = ({ p50, p99 }) => p50 > 0 && p99 >= p50;

it("measures the POST latency and the first SSE byte, straight and through the worker", () => {
  const result = run("bench/overhead.js");
  assert.equal(result.requests, 20);
  for (const side of ["direct", "edge"]) {
    for (const figure of ["postMs", "firstSseByteMs"]) {
      assert.ok(ordered(result[side][figure]), `${side} ${figure}: ${JSON.stringify(result[side][figure])}`);
    }
  }
  assert.equal(typeof result.addedMs.postP50, "number");
});

it("measures a tools/call with a static token and with an access token of the edge's authorization server", () => {
  const result = run("bench/oauth-overhead.js");
  assert.equal(result.requests, 20);
  for (const side of ["static", "oauth"]) {
    assert.ok(ordered(result[side].postMs), `${side}: ${JSON.stringify(result[side].postMs)}`);
  }
  assert.equal(typeof result.addedMs.postP50, "number");
});
