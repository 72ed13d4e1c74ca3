/**
 * The relay benchmark's processes: spawned pinned to a core (taskset) with
 * the file-descriptor soft limit raised to the hard limit, registered so that
 * every one of them is stopped on exit, error or signal; and CPU / memory
 * sampling from /proc (utime + stime of every process, VmRSS, per-core busy
 * time, and "foreign" CPU: busy time no harness process accounts for).
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = 100;

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly core: number | undefined;
  readonly child: ChildProcess;
  /** Every pid whose CPU counts for this process (nginx: the master and its workers). */
  pids(): number[];
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const registry = new Set<Proc>();

/** A child outlives the orchestrator by at most a few seconds, and lives at most this long. */
const CHILD_TTL_S = 3 * 3600;

/** Whether `taskset` can pin processes here (otherwise nothing is pinned, and the report says so). */
export const canPin = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

export interface SpawnOptions {
  readonly core?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** stdio as for child_process.spawn; 'ipc' in it opens the IPC channel (Node children). */
  readonly stdio?: StdioOptions;
  /** Count the process's children too (nginx workers). */
  readonly withChildren?: boolean;
}

/**
 * Starts `command args` via `bash -c 'ulimit -n <hard>; exec taskset -c CORE …'`:
 * both execs keep the pid, so `pid` is the program's own.
 */
export function spawnPinned(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Proc {
  const pin = canPin && options.core !== undefined ? `taskset -c ${options.core} ` : "";
  const script = `ulimit -Sn "$(ulimit -Hn)" 2>/dev/null; exec ${pin}"$@"`;
  const child = spawn("bash", ["-c", script, "bash", command, ...args], {
    env: options.env ?? process.env,
    stdio: options.stdio ?? ["ignore", "inherit", "inherit"],
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  const pid = child.pid;
  watchdog(pid, options.withChildren === true);
  let stopping: Promise<void> | undefined;
  const proc: Proc = {
    name,
    pid,
    core: canPin ? options.core : undefined,
    child,
    pids: () => (options.withChildren === true ? [pid, ...childPids(pid)] : [pid]),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop(graceMs = 3_000) {
      stopping ??= new Promise<void>((resolve) => {
        if (proc.exited()) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }).finally(() => registry.delete(proc));
      return stopping;
    },
  };
  registry.add(proc);
  child.once("exit", () => {
    if (stopping === undefined) registry.delete(proc);
  });
  return proc;
}

/** Stops every process still registered (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAll(graceMs = 3_000): Promise<void> {
  await Promise.all([...registry].map((p) => p.stop(graceMs)));
}

/** Last resort on process exit: SIGKILL whatever is left (synchronous). */
export function killAllNow(): void {
  for (const p of registry) if (!p.exited()) p.child.kill("SIGKILL");
}

/**
 * Self-destruct for children that cannot watch their parent themselves (the
 * gateway, nginx): a sleeping shell that SIGKILLs `pid` (and its children)
 * once the orchestrator is gone (even after a SIGKILL) or after CHILD_TTL_S.
 */
function watchdog(pid: number, withChildren: boolean): void {
  const kill = withChildren ? `pkill -KILL -P ${pid}; kill -KILL ${pid}` : `kill -KILL ${pid}`;
  const script = `while [ $SECONDS -lt ${CHILD_TTL_S} ] && kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 2; done; kill -0 ${pid} 2>/dev/null && { ${kill}; } 2>/dev/null; exit 0`;
  const dog = spawn("bash", ["-c", script], { stdio: "ignore", detached: true });
  dog.unref();
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU time of `pid`, in seconds (0 once it has gone): the scheduler's run time
 * of each of its threads (/proc/PID/task/TID/schedstat, in ns), so that short
 * windows and low rates are not at the mercy of 10 ms ticks; utime + stime
 * from /proc/PID/stat where schedstat is not available.
 */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread has just exited.
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    return 0;
  }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** VmRSS of `pid` in bytes (0 once it has gone). */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Busy and total ticks per core, from /proc/stat. */
function coreTicks(): Array<{ busy: number; total: number }> {
  const cores: Array<{ busy: number; total: number }> = [];
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (match === null) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]!.trim().split(/\s+/).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    cores.push({ busy, total: busy + idle! + iowait! });
  }
  return cores;
}

/** A point-in-time reading of every process's CPU and of the cores (foreign CPU compares the two). */
export interface Snapshot {
  readonly at: number;
  readonly cpu: ReadonlyMap<string, number>;
  readonly cores: ReadonlyArray<{ busy: number; total: number }>;
}

export function snapshot(procs: readonly Proc[]): Snapshot {
  const cpu = new Map<string, number>();
  for (const p of procs) cpu.set(p.name, p.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0));
  cpu.set("orchestrator", cpuSeconds(process.pid));
  return { at: performance.now(), cpu, cores: coreTicks() };
}

/** CPU use between two snapshots, in percent of one core. */
export interface Usage {
  readonly seconds: number;
  /** Per process name (plus "orchestrator"). */
  readonly cpuPct: Record<string, number>;
  readonly coreBusyPct: number[];
  /** Busy time on all cores that no harness process accounts for. */
  readonly foreignPct: number;
}

export function usage(a: Snapshot, b: Snapshot): Usage {
  const seconds = (b.at - a.at) / 1000;
  const cpuPct: Record<string, number> = {};
  let ours = 0;
  for (const [name, after] of b.cpu) {
    const used = Math.max(0, after - (a.cpu.get(name) ?? after));
    cpuPct[name] = (100 * used) / seconds;
    ours += used;
  }
  const coreBusyPct = b.cores.map((core, i) => {
    const before = a.cores[i];
    if (before === undefined || core.total === before.total) return 0;
    return (100 * (core.busy - before.busy)) / (core.total - before.total);
  });
  const busySeconds = b.cores.reduce((sum, core, i) => sum + Math.max(0, core.busy - (a.cores[i]?.busy ?? core.busy)), 0) / CLK_TCK;
  return { seconds, cpuPct, coreBusyPct, foreignPct: Math.max(0, (100 * (busySeconds - ours)) / seconds) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until foreign CPU stays below `thresholdPct` of a core over `sampleMs`,
 * at most `maxWaitMs`. Returns the last reading and how long it waited.
 */
export async function gate(procs: readonly Proc[], thresholdPct: number, sampleMs: number, maxWaitMs: number): Promise<{ foreignPct: number; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    const a = snapshot(procs);
    await sleep(sampleMs);
    const foreignPct = usage(a, snapshot(procs)).foreignPct;
    const waitedMs = performance.now() - started;
    if (foreignPct < thresholdPct || waitedMs >= maxWaitMs) return { foreignPct, waitedMs };
  }
}
