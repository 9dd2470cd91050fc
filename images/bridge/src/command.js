// Which program a server command names: the one place that maps a catalog's `stdioCommand` to a process.

import { readFileSync } from 'node:fs';
import path from 'node:path';

const SERVER_DIR = process.env.MCP_SERVER_DIR ?? '/app/server';
const PACKAGE = /^((?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*)@([0-9][0-9A-Za-z.+-]*)$/;

/**
 * The executable and arguments for a server command `<package>@<version> [args...]`: the package's bin, installed
 * in SERVER_DIR at exactly that version (so the catalog cannot name one version while the image holds another),
 * run on this Node.js, because the runtime image has no `/usr/bin/env` for the script's `#!` line.
 */
export function resolveCommand(words, serverDir = SERVER_DIR) {
  const { name, version, args } = parse(words);
  const root = path.join(serverDir, 'node_modules', name);
  const manifest = readManifest(root, `${name} is not installed in ${serverDir}; the image was built for another server`);
  if (manifest.version !== version) {
    throw new Error(`${serverDir} holds ${name}@${manifest.version}, not ${version}; rebuild the image or fix the catalog`);
  }
  return { command: process.execPath, args: [binOf(manifest, root), ...args] };
}

/**
 * The same for a local checkout of the package (the dev stack's hot reload): `sourceDir` holds the package itself,
 * with its dependencies installed. Its version may be ahead of the catalog's, so only the name must match.
 */
export function resolveDevCommand(words, sourceDir) {
  const { name, args } = parse(words);
  const manifest = readManifest(sourceDir, `${sourceDir} has no package.json: mount the server package's own folder`);
  if (manifest.name !== name) {
    throw new Error(`${sourceDir} holds the package ${manifest.name}, not ${name}; mount the source of ${name}`);
  }
  return { command: process.execPath, args: [binOf(manifest, sourceDir), ...args] };
}

function parse(words) {
  const [spec, ...args] = words;
  const match = PACKAGE.exec(spec);
  if (match === null) {
    throw new Error(`'${spec}' is not <package>@<version>, such as @modelcontextprotocol/server-memory@2026.8.31`);
  }
  return { name: match[1], version: match[2], args };
}

function readManifest(root, missing) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  } catch {
    throw new Error(missing);
  }
}

function binOf(manifest, root) {
  const bins = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  if (bins.length !== 1) {
    throw new Error(`${manifest.name} has ${bins.length} commands; the bridge runs packages that have exactly one`);
  }
  return path.join(root, bins[0]);
}
