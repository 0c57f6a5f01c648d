#!/usr/bin/env node
/** The `bgp-sidecar` executable. */
import { processIo, runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), processIo);
// `run` returns only after the daemon stopped; every other command is done too.
process.exitCode = code;
