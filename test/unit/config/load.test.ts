import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { ConfigError, DEFAULTS, validateConfig } from "../../../src/config/schema.js";

const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-config-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a YAML file into the test's temp directory and returns its path. */
function yamlFile(text: string): string {
  files += 1;
  const path = join(dir, `config-${files}.yaml`);
  writeFileSync(path, text);
  return path;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const NO_ENV = {};

describe("loadConfig", () => {
  it("returns the validated defaults with no flags, no env and no file", () => {
    expect(loadConfig({}, NO_ENV)).toStrictEqual(validateConfig(structuredClone(DEFAULTS) as unknown as Record<string, unknown>));
  });

  it("does not modify DEFAULTS", () => {
    const before = JSON.stringify(DEFAULTS);
    loadConfig({ listen: "127.0.0.1:1", backends: ["http://h:1"] }, { OLLAMA_GRPC_LOG_LEVEL: "debug" });
    expect(JSON.stringify(DEFAULTS)).toBe(before);
  });

  // Precedence, highest first: flags > env > file > defaults, applied per setting.
  it("applies flags over env over file over defaults, setting by setting", () => {
    const file = yamlFile(`
listen: "127.0.0.1:1000"
backends:
  - { name: file, url: "http://file:1" }
log: { level: debug }
streams:
  drain_timeout: 10s
  max_stream_duration: 1m
upstream:
  connections: 8
`);
    const env = {
      OLLAMA_GRPC_CONFIG: file,
      OLLAMA_GRPC_LISTEN: "127.0.0.1:2000",
      OLLAMA_GRPC_LOG_LEVEL: "warn",
      OLLAMA_GRPC_MAX_STREAM_DURATION: "2m",
    };
    const config = loadConfig({ listen: "127.0.0.1:3000", maxStreamDuration: "3m" }, env);
    expect(config.listen).toBe("127.0.0.1:3000"); // flag > env > file
    expect(config.streams.maxStreamDurationMs).toBe(180_000); // flag > env > file
    expect(config.log.level).toBe("warn"); // env > file
    expect(config.streams.drainTimeoutMs).toBe(10_000); // file > default
    expect(config.backends.map(({ name, url }) => ({ name, url }))).toEqual([{ name: "file", url: "http://file:1" }]); // file > default
    expect(config.upstream.connections).toBe(8); // file > default
    expect(config.upstream.connectTimeoutMs).toBe(5_000); // default, next to a file value in the same section
    expect(config.streams.maxDeadlineMs).toBe(86_400_000); // default
  });

  const precedence = [
    { name: "file only", file: "log: { level: debug }", env: {}, flags: {}, level: "debug" },
    { name: "env over file", file: "log: { level: debug }", env: { OLLAMA_GRPC_LOG_LEVEL: "error" }, flags: {}, level: "error" },
    { name: "flag over env", file: "log: { level: debug }", env: { OLLAMA_GRPC_LOG_LEVEL: "error" }, flags: { logLevel: "trace" }, level: "trace" },
    { name: "flag over file", file: "log: { level: debug }", env: {}, flags: { logLevel: "silent" }, level: "silent" },
    { name: "defaults when nothing is set", file: "", env: {}, flags: {}, level: "info" },
  ];

  it.each(precedence)("log.level: $name -> $level", ({ file, env, flags, level }) => {
    const path = yamlFile(file);
    expect(loadConfig({ ...flags, config: path }, env).log.level).toBe(level);
  });

  it("reads the file named by --config before the one in OLLAMA_GRPC_CONFIG", () => {
    const fromFlag = yamlFile('listen: "127.0.0.1:1111"');
    const fromEnv = yamlFile('listen: "127.0.0.1:2222"');
    expect(loadConfig({ config: fromFlag }, { OLLAMA_GRPC_CONFIG: fromEnv }).listen).toBe("127.0.0.1:1111");
    expect(loadConfig({}, { OLLAMA_GRPC_CONFIG: fromEnv }).listen).toBe("127.0.0.1:2222");
  });

  it('parses OLLAMA_GRPC_BACKENDS "a=http://h:1,http://h:2"', () => {
    expect(loadConfig({}, { OLLAMA_GRPC_BACKENDS: "a=http://h:1,http://h:2" }).backends.map(({ name, url }) => ({ name, url }))).toEqual([
      { name: "a", url: "http://h:1" },
      { name: "h:2", url: "http://h:2" },
    ]);
  });

  const backendLists = [
    { name: "spaces and empty items", value: " a=http://h:1 , ,http://h:2,", expected: [{ name: "a", url: "http://h:1" }, { name: "h:2", url: "http://h:2" }] },
    // The query is dropped: a backend is an origin.
    { name: "empty value keeps the defaults", value: "", expected: [{ name: "local", url: "http://127.0.0.1:11434" }] },
  ];

  it.each(backendLists)("OLLAMA_GRPC_BACKENDS with $name", ({ value, expected }) => {
    expect(loadConfig({}, { OLLAMA_GRPC_BACKENDS: value }).backends.map(({ name, url }) => ({ name, url }))).toEqual(expected);
  });

  it("does not take '=' inside a URL for a name separator (the query then makes the URL invalid)", () => {
    expect(configError(() => loadConfig({}, { OLLAMA_GRPC_BACKENDS: "http://h:1/?x=1" })).problems[0]).toMatch(/^backends\[0\]\.url: /);
  });

  it("replaces the file's backend list with the --backend flags", () => {
    const file = yamlFile("backends: [{ url: 'http://a:1' }, { url: 'http://b:1' }]");
    expect(loadConfig({ config: file, backends: ["x=http://x:1"] }, NO_ENV).backends.map(({ name, url }) => ({ name, url }))).toEqual([{ name: "x", url: "http://x:1" }]);
  });

  it("treats an empty YAML file as no settings", () => {
    expect(loadConfig({ config: yamlFile("# nothing here\n") }, NO_ENV).listen).toBe("0.0.0.0:50051");
  });

  const badValues = [
    { name: "listen flag", flags: { listen: "nope" }, env: {}, field: "listen" },
    { name: "log level env", flags: {}, env: { OLLAMA_GRPC_LOG_LEVEL: "loud" }, field: "log.level" },
    { name: "drain timeout env", flags: {}, env: { OLLAMA_GRPC_DRAIN_TIMEOUT: "5 minutes" }, field: "streams.drain_timeout" },
    { name: "max stream duration flag", flags: { maxStreamDuration: "forever" }, env: {}, field: "streams.max_stream_duration" },
    { name: "backend flag", flags: { backends: ["ftp://x"] }, env: {}, field: "backends[0].url" },
  ];

  it.each(badValues)("names the field for a bad $name", ({ flags, env, field }) => {
    const { problems } = configError(() => loadConfig(flags, env));
    expect(problems.some((p) => p.startsWith(`${field}: `))).toBe(true);
  });

  it("reports problems from the file, env and flags together", () => {
    const file = yamlFile("upstrem: { connections: 1 }\nstreams: { max_stream_durration: 1m }\nlimits: { max_message_bytes: 1MiB, max_image_bytes: 2MiB }\n");
    const { problems, message } = configError(() => loadConfig({ config: file, listen: "nope" }, { OLLAMA_GRPC_LOG_LEVEL: "loud" }));
    const fields = problems.map((p) => p.slice(0, p.indexOf(": ")));
    expect(fields).toEqual(["upstrem", "streams.max_stream_durration", "listen", "log.level", "limits.max_image_bytes"]);
    for (const problem of problems) expect(message).toContain(problem);
  });

  it("names a missing config file", () => {
    const path = join(dir, "does-not-exist.yaml");
    const { problems } = configError(() => loadConfig({ config: path }, NO_ENV));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
  });

  it("names a file that is not valid YAML", () => {
    const path = yamlFile("listen: [unclosed\n  - {");
    const { problems } = configError(() => loadConfig({ config: path }, NO_ENV));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toContain("not valid YAML");
  });

  it("names a file whose top level is not a mapping", () => {
    const path = yamlFile("- listen\n- backends\n");
    const { problems } = configError(() => loadConfig({ config: path }, NO_ENV));
    expect(problems[0]).toContain(path);
    expect(problems[0]).toContain("mapping");
  });
});
