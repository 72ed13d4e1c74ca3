#!/usr/bin/env node
// Entry point of the `ollama-grpc` command: runs the compiled CLI (`make build`).
import { main } from "../dist/src/cli/main.js";

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Commands close everything they open; this only guards against a stray handle keeping the process alive.
setTimeout(() => process.exit(code), 3_000).unref();
