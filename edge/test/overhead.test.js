// The overhead benchmark (bench/overhead.js) still runs against the worker: a short run, its figures' shape.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { it } from "node:test";

it("measures the POST latency and the first SSE byte, straight and through the worker", () => {
  const output = execFileSync(process.execPath, ["bench/overhead.js", "20"], {
    cwd: new URL("..", import.meta.url),
    encoding: "utf8",
    timeout: 60000,
  });
  const result = JSON.parse(output);
  assert.equal(result.requests, 20);
  for (const side of ["direct", "edge"]) {
    for (const figure of ["postMs", "firstSseByteMs"]) {
      const { p50, p99 } = result[side][figure];
      assert.ok(p50 > 0 && p99 >= p50, `${side} ${figure}: ${p50}, ${p99}`);
    }
  }
  assert.equal(typeof result.addedMs.postP50, "number");
});
