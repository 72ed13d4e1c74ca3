/**
 * Quick smoke measurement of the bridge (not the benchmark harness, which is
 * its own work item): separate processes for the simulator and the gateway,
 * this process as the load generator. Prints medians of 3 runs.
 *
 *   make build && node --import tsx bench/quick.ts
 *
 * 1. TTFT at concurrency 1: direct HTTP to the simulator vs through the gateway.
 * 2. Relay throughput with an unpaced simulator (1 and 20 streams), and the
 *    gateway's CPU per token from /proc/PID/stat.
 * 3. Cancel latency: client abort -> the simulator sees the request aborted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createChannel, createClient, waitForChannelReady } from "nice-grpc";
import { OllamaServiceDefinition, Role } from "../gen/ollama/v1/ollama.js";
import { packageFile } from "../src/common/package-files.js";
import { unusedPort } from "../test/support/ports.js";

const CLK_TCK = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

function startProcess(args: string[], ready: RegExp): Promise<ChildProcess> {
  // Resolves once a line matches `ready`; bounded by the caller's overall timeout.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [packageFile("bin/ollama-grpc.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function main(): Promise<void> {
  const simPort = await unusedPort();
  const gwPort = await unusedPort();
  const sim = await startProcess(["sim", "--listen", `127.0.0.1:${simPort}`, "--first-token-ms", "20", "--tokens-per-second", "0", "--tokens", "2000", "--num-parallel", "64", "--load-ms", "0"], /listening/);
  const gw = spawn(process.execPath, [packageFile("bin/ollama-grpc.js"), "serve", "--listen", `127.0.0.1:${gwPort}`, "--backend", `sim=http://127.0.0.1:${simPort}`, "--log-level", "warn"], { stdio: "inherit" });
  const channel = createChannel(`127.0.0.1:${gwPort}`);
  await waitForChannelReady(channel, new Date(Date.now() + 10_000));
  const client = createClient(OllamaServiceDefinition, channel);
  const simUrl = `http://127.0.0.1:${simPort}`;
  const chat = (n: number) => ({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "bench" }], options: { numPredict: n } });

  // 1. TTFT
  const ttft: Record<string, number[][]> = { direct: [], gateway: [] };
  for (let run = 0; run < 3; run++) {
    const direct: number[] = [];
    const viaGw: number[] = [];
    for (let i = 0; i < 100; i++) {
      let t = performance.now();
      const res = await fetch(`${simUrl}/api/chat`, {
        method: "POST",
        body: JSON.stringify({ model: "llama3.2", messages: [{ role: "user", content: "bench" }], options: { num_predict: 2 } }),
      });
      if (res.status !== 200) throw new Error(`direct request failed: ${res.status}`);
      const reader = res.body!.getReader();
      await reader.read();
      direct.push(performance.now() - t);
      while (!(await reader.read()).done);
      t = performance.now();
      let first = true;
      for await (const _ of client.chat(chat(2))) {
        if (first) viaGw.push(performance.now() - t);
        first = false;
      }
    }
    ttft.direct!.push(direct);
    ttft.gateway!.push(viaGw);
  }
  const p = (runs: number[][], q: number) => median(runs.map((r) => pct(r, q)));
  console.log(`TTFT conc 1 (simulated first token 20 ms), median of 3 runs x 100:`);
  console.log(`  direct  p50 ${p(ttft.direct!, 50).toFixed(2)} ms  p99 ${p(ttft.direct!, 99).toFixed(2)} ms`);
  console.log(`  gateway p50 ${p(ttft.gateway!, 50).toFixed(2)} ms  p99 ${p(ttft.gateway!, 99).toFixed(2)} ms`);

  // 2. Throughput
  for (const streams of [1, 20]) {
    const rates: number[] = [];
    const cpuPerToken: number[] = [];
    for (let run = 0; run < 3; run++) {
      const cpu0 = cpuSeconds(gw.pid!);
      const t0 = performance.now();
      const counts = await Promise.all(
        Array.from({ length: streams }, async () => {
          let n = 0;
          for await (const _ of client.chat(chat(2000))) n++;
          return n;
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const tokens = counts.reduce((a, b) => a + b, 0);
      rates.push(tokens / seconds);
      cpuPerToken.push(((cpuSeconds(gw.pid!) - cpu0) * 1e6) / tokens);
    }
    console.log(`relay ${streams} stream(s) x 2000 tokens: ${(median(rates) / 1000).toFixed(1)}k tok/s (min ${(Math.min(...rates) / 1000).toFixed(1)}k, max ${(Math.max(...rates) / 1000).toFixed(1)}k), gateway CPU ${median(cpuPerToken).toFixed(1)} us/token`);
  }

  // 3. Cancel latency against a second, paced simulator (50 tok/s, like a real model), read from its
  //    counters (bounded poll, 1 ms steps), so the number is an upper bound.
  const pacedPort = await unusedPort();
  const pacedGwPort = await unusedPort();
  const paced = await startProcess(["sim", "--listen", `127.0.0.1:${pacedPort}`, "--tokens-per-second", "50", "--tokens", "100000", "--num-parallel", "8"], /listening/);
  const pacedGw = spawn(process.execPath, [packageFile("bin/ollama-grpc.js"), "serve", "--listen", `127.0.0.1:${pacedGwPort}`, "--backend", `sim=http://127.0.0.1:${pacedPort}`, "--log-level", "warn"], { stdio: "inherit" });
  const pacedChannel = createChannel(`127.0.0.1:${pacedGwPort}`);
  await waitForChannelReady(pacedChannel, new Date(Date.now() + 10_000));
  const pacedClient = createClient(OllamaServiceDefinition, pacedChannel);
  const pacedUrl = `http://127.0.0.1:${pacedPort}`;
  const latencies: number[] = [];
  for (let i = 0; i < 30; i++) {
    const before = ((await (await fetch(`${pacedUrl}/sim/stats`)).json()) as { abortedByClient: number }).abortedByClient;
    const controller = new AbortController();
    const call = (async () => {
      for await (const _ of pacedClient.chat({ ...chat(0), options: {} }, { signal: controller.signal })) {
        controller.abort();
      }
    })().catch(() => undefined);
    await call;
    const t = performance.now();
    for (let k = 0; k < 1000; k++) {
      const s = (await (await fetch(`${pacedUrl}/sim/stats`)).json()) as { abortedByClient: number; active: number };
      if (s.abortedByClient > before && s.active === 0) break;
      await new Promise((r) => setTimeout(r, 1));
    }
    latencies.push(performance.now() - t);
  }
  console.log(`cancel -> simulator sees abort (upper bound, incl. polling): p50 ${pct(latencies, 50).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms (n=30)`);
  channel.close();
  pacedChannel.close();
  for (const child of [gw, sim, pacedGw, paced]) child.kill("SIGTERM");
}

await main();
