#!/usr/bin/env node
// Launcher for the built CLI (built by `npm ci` through the `prepare` script).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'cavra.cjs');
if (!fs.existsSync(entry)) {
  process.stderr.write('cavra: the CLI is not built yet. Run "npm run build" (npm ci does this for you).\n');
  process.exit(1);
}
require(entry);
