#!/usr/bin/env node
// The CLI is compiled to dist/ and bundled by `npm run build` (run by `prepare` on install).
import { main } from '../dist/pesde-registry.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`pesde-registry: internal error: ${error?.stack ?? error}`);
    console.error('This is a bug; please report it with the command you ran.');
    process.exitCode = 70;
  },
);
