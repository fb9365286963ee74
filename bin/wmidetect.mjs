#!/usr/bin/env node
// The `wmidetect` command: a thin launcher for the compiled CLI package (built by `npm ci` through `prepare`).
import { main } from '@wmi-detect/cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`wmidetect: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
