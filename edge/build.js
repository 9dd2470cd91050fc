// Bundles the worker with the npm modules it imports into dist/worker.js, the one module Cloudflare receives:
// `node build.js` (or `npm run build`, `scripts/edge-build`). esbuild's version is pinned in package-lock.json.
//
// The bundle's first line records a digest of everything it is built from (build.js, package-lock.json, every
// file under src/). The Pulumi program (components/render/edge_worker.py) and the tests compute the same digest
// and refuse a bundle built from other inputs, so a stale bundle is never uploaded or tested.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = new URL("./", import.meta.url);
export const BUNDLE = new URL("dist/worker.js", here);
export const HEADER_PREFIX = "// mcp-suite edge bundle, inputs sha256:";
export const BUILD_COMMAND = "scripts/edge-build";

function sourceFiles(folder = "src") {
  return readdirSync(new URL(`${folder}/`, here), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(`${folder}/${entry.name}`) : [`${folder}/${entry.name}`],
  );
}

// Mirrored by components/render/edge_worker.py `bundle_inputs_digest`: change both together.
export function inputsDigest() {
  const digest = createHash("sha256");
  for (const path of ["build.js", "package-lock.json", ...sourceFiles()].sort()) {
    const content = createHash("sha256").update(readFileSync(new URL(path, here))).digest("hex");
    digest.update(`${path}\0${content}\n`);
  }
  return digest.digest("hex");
}

// The bundle's text, or an Error naming the command that rebuilds it.
export function readBundle() {
  let text;
  try {
    text = readFileSync(BUNDLE, "utf8");
  } catch {
    throw new Error(`edge/dist/worker.js is missing: run ${BUILD_COMMAND}`);
  }
  if (!text.startsWith(`${HEADER_PREFIX}${inputsDigest()}\n`)) {
    throw new Error(`edge/dist/worker.js was built from other sources: run ${BUILD_COMMAND}`);
  }
  return text;
}

export async function build() {
  const esbuild = await import("esbuild");
  const digest = inputsDigest();
  const result = await esbuild.build({
    // Paths in the bundle's comments are relative to edge/, wherever the build is started from.
    absWorkingDir: fileURLToPath(here),
    entryPoints: ["src/worker.js"],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    // The runtime provides these modules; everything else is in the bundle.
    external: ["cloudflare:*"],
    // Readable: the worker's logs and stack traces name our functions. The licenses of bundled code stay in it.
    minify: false,
    legalComments: "inline",
    charset: "utf8",
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  mkdirSync(new URL("dist/", here), { recursive: true });
  const text = `${HEADER_PREFIX}${digest}\n${output.text}`;
  writeFileSync(BUNDLE, text);
  return { bytes: Buffer.byteLength(text), digest };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { bytes, digest } = await build();
  console.log(`edge/dist/worker.js: ${bytes} bytes, inputs sha256:${digest.slice(0, 12)}`);
}
