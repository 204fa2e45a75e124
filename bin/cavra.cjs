#!/usr/bin/env node
// Launcher for the built CLI (built by `npm ci` through the `prepare` script).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const dist = path.join(__dirname, '..', 'dist', 'cli');
const argv = process.argv.slice(2);
// `cavra hook claude-code` runs on every tool call: load only its small bundle. It must never
// exit 1 (Claude Code would let the call through), so even a missing build exits 2.
if (argv.length === 2 && argv[0] === 'hook' && argv[1] === 'claude-code') {
  const hook = path.join(dist, 'hook-claude-code.cjs');
  if (!fs.existsSync(hook)) {
    process.stderr.write('CAVRA denied this tool call: the CAVRA hook is not built (run "npm run build").\n');
    process.exit(2);
  }
  try {
    require(hook);
  } catch (error) {
    process.stderr.write(`CAVRA denied this tool call: the CAVRA hook failed to load (${error && error.message})\n`);
    process.exit(2);
  }
} else if (argv[0] === 'exec' || (argv[0] === 'git' && argv[1] === 'pre-push')) {
  // Judged commands and pushes: the small adapter bundle (a failure exits non-zero, which
  // blocks the push and does not run the command).
  require(path.join(dist, fs.existsSync(path.join(dist, 'adapters.cjs')) ? 'adapters.cjs' : 'cavra.cjs'));
} else {
  const entry = path.join(dist, 'cavra.cjs');
  if (!fs.existsSync(entry)) {
    process.stderr.write('cavra: the CLI is not built yet. Run "npm run build" (npm ci does this for you).\n');
    process.exit(1);
  }
  require(entry);
}
