/**
 * What metering costs: the gateway's CPU per streamed token and its relay
 * throughput with no quotas, with a token budget in the memory store, and
 * with the same budget in Redis (shared store, one reservation round trip
 * per `token_reserve` tokens). Separate processes: simulator (in this
 * process, unpaced), gateway (child), load generator (this process).
 * Prints the median of 3 runs per variant, all variants in one run.
 *
 *   make build && node --import tsx bench/quotas.ts
 */
import { readFileSync } from "node:fs";
import { createChannel, createClient, waitForChannelReady } from "nice-grpc";
import { OllamaServiceDefinition, Role } from "../gen/ollama/v1/ollama.js";
import { startSimulator } from "../src/sim/index.js";
import { startGatewayProcess } from "../test/support/gateway-process.js";
import { redisAvailable, startRedis } from "../test/support/redis-server.js";

const CLK_TCK = 100;
const STREAMS = 20;
const TOKENS = 2_000;
const RUNS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function main(): Promise<void> {
  const sim = await startSimulator({ firstTokenMs: 0, tokensPerSecond: 0, tokens: TOKENS, numParallel: 64, defaultLoadMs: 0 });
  const redis = redisAvailable() ? await startRedis() : undefined;
  const budget = { tokens_per_minute: 1_000_000_000, concurrent_streams: 1_000, request_rate: "1000/s" };
  const variants: Array<[string, Record<string, unknown> | undefined]> = [
    ["no quotas", undefined],
    ["memory store", { per_principal: budget }],
    ...(redis === undefined ? [] : [["redis store", { store: "redis", redis: { url: redis.url }, per_principal: budget }] as [string, Record<string, unknown>]]),
  ];
  console.log(`${STREAMS} concurrent Chat streams x ${TOKENS} tokens, unpaced simulator; median of ${RUNS} runs`);
  console.log("variant          tokens/s   gateway CPU us/token");
  try {
    for (const [name, quotas] of variants) {
      const gateway = await startGatewayProcess({
        listen: "127.0.0.1:0",
        backends: [{ name: "sim", url: sim.url, max_concurrency: 64 }],
        admin: { listen: "" },
        log: { level: "info" },
        ...(quotas === undefined ? {} : { quotas }),
      });
      const channel = createChannel(`127.0.0.1:${gateway.port}`);
      await waitForChannelReady(channel, new Date(Date.now() + 10_000));
      const client = createClient(OllamaServiceDefinition, channel);
      const rates: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const cpuBefore = cpuSeconds(gateway.pid);
        const startedAt = performance.now();
        const counts = await Promise.all(
          Array.from({ length: STREAMS }, async () => {
            let n = 0;
            for await (const _ of client.chat({ model: "llama3.2", messages: [{ role: Role.ROLE_USER, content: "bench" }] })) n++;
            return n;
          }),
        );
        const seconds = (performance.now() - startedAt) / 1000;
        const tokens = counts.reduce((a, b) => a + b, 0);
        rates.push(tokens / seconds);
        cpu.push(((cpuSeconds(gateway.pid) - cpuBefore) * 1e6) / tokens);
      }
      console.log(`${name.padEnd(16)} ${median(rates).toFixed(0).padStart(8)}   ${median(cpu).toFixed(1).padStart(8)}`);
      channel.close();
      await gateway.stop();
    }
  } finally {
    await redis?.stop();
    await sim.close();
  }
}

await main();
