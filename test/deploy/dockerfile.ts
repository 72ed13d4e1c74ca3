/**
 * A reader for the subset of Dockerfile syntax the project's Dockerfile uses:
 * line continuations, comments, build stages (`FROM image AS name`) and the
 * instructions the deploy tests inspect (WORKDIR, COPY, RUN, USER, ENV,
 * EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD). Anything it cannot read throws, so
 * a Dockerfile that outgrows it fails the tests instead of being half-read.
 * Also a .dockerignore matcher (Docker's rules: the last matching pattern
 * wins, `!` re-includes, a pattern matching a directory excludes its files).
 */
import { readFileSync } from "node:fs";

export interface Instruction {
  /** Upper-case keyword, e.g. "COPY". */
  keyword: string;
  /** Everything after the keyword, continuations joined. */
  rest: string;
  line: number;
}

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

export interface CopyInstruction {
  /** `--from` stage name, undefined for the build context. */
  from: string | undefined;
  sources: string[];
  dest: string;
}

export interface Dockerfile {
  stages: Stage[];
  /** The last stage: what `docker build` produces without --target. */
  runtime: Stage;
}

const KEYWORDS = new Set(["FROM", "ARG", "WORKDIR", "COPY", "RUN", "USER", "ENV", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "LABEL", "STOPSIGNAL"]);

/** Parses the Dockerfile at `path`. @throws on an instruction this reader does not know. */
export function readDockerfile(path: string): Dockerfile {
  return parseDockerfile(readFileSync(path, "utf8"));
}

export function parseDockerfile(text: string): Dockerfile {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line)) continue;
    while (line.trimEnd().endsWith("\\")) {
      i += 1;
      const next = lines[i];
      if (next === undefined) throw new Error(`Dockerfile line ${start + 1}: continuation at end of file`);
      line = line.trimEnd().slice(0, -1) + " " + (next.trimStart().startsWith("#") ? "" : next);
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`Dockerfile line ${start + 1}: cannot read ${JSON.stringify(line)}`);
    const keyword = (match[1] as string).toUpperCase();
    if (!KEYWORDS.has(keyword)) throw new Error(`Dockerfile line ${start + 1}: instruction ${keyword} is not understood by test/deploy/dockerfile.ts`);
    const rest = (match[2] as string).trim().replace(/\s+/g, " ");
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (from === null) throw new Error(`Dockerfile line ${start + 1}: cannot read FROM ${rest}`);
      stages.push({ image: from[1] as string, name: from[2] ?? String(stages.length), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword === "ARG") continue; // global build arguments
      throw new Error(`Dockerfile line ${start + 1}: ${keyword} before FROM`);
    }
    stage.instructions.push({ keyword, rest, line: start + 1 });
  }
  const runtime = stages.at(-1);
  if (runtime === undefined) throw new Error("Dockerfile has no FROM");
  return { stages, runtime };
}

/** The instructions of `stage` with `keyword`, in order. */
export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The only instruction of `stage` with `keyword`. @throws when there is none or more than one. */
export function single(stage: Stage, keyword: string): Instruction {
  const found = instructions(stage, keyword);
  if (found.length !== 1) throw new Error(`stage ${stage.name}: expected one ${keyword}, found ${found.length}`);
  return found[0] as Instruction;
}

/** An exec-form (JSON array) argument list; shell form is refused (no signal forwarding through sh -c). */
export function execForm(instruction: Instruction | string): string[] {
  const text = typeof instruction === "string" ? instruction : instruction.rest;
  if (!text.startsWith("[")) throw new Error(`expected exec form (a JSON array), got ${JSON.stringify(text)}`);
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`not an array of strings: ${text}`);
  return parsed as string[];
}

/** COPY's flags, sources and destination (shell form; quoted or JSON forms are not used here). */
export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.rest.split(" ");
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift() as string;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
    else if (!/^--(chown|chmod|link)/.test(flag)) throw new Error(`line ${instruction.line}: COPY flag ${flag} is not understood`);
  }
  if (words.length < 2) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
  return { from, sources: words.slice(0, -1), dest: words.at(-1) as string };
}

/** HEALTHCHECK's options and exec-form command. */
export function parseHealthcheck(instruction: Instruction): { options: Record<string, string>; command: string[] } {
  const match = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/.exec(instruction.rest);
  if (match === null) throw new Error(`line ${instruction.line}: expected HEALTHCHECK [OPTIONS] CMD [...]`);
  const options: Record<string, string> = {};
  for (const option of (match[1] as string).trim().split(/\s+/).filter((o) => o !== "")) {
    const [key, value] = option.slice(2).split("=") as [string, string];
    options[key] = value;
  }
  return { options, command: execForm(match[2] as string) };
}

/** EXPOSE'd port numbers (tcp). */
export function exposedPorts(stage: Stage): number[] {
  return instructions(stage, "EXPOSE").flatMap((i) => i.rest.split(" ").map((p) => Number(p.replace(/\/tcp$/, ""))));
}

/** ENV key=value pairs (the `ENV key value` legacy form is refused). */
export function environment(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructions(stage, "ENV")) {
    for (const pair of instruction.rest.split(" ")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`line ${instruction.line}: use ENV key=value`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

/** The WORKDIR in effect at `index` of `stage` ("/" before any). */
export function workdirAt(stage: Stage, index: number): string {
  let dir = "/";
  for (const instruction of stage.instructions.slice(0, index)) {
    if (instruction.keyword === "WORKDIR") dir = instruction.rest.startsWith("/") ? instruction.rest : `${dir.replace(/\/$/, "")}/${instruction.rest}`;
  }
  return dir;
}

/** A predicate "is this context path excluded by .dockerignore?" (paths relative to the context, "/"-separated). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, regex: globToRegex(pattern) };
    });
  return (path) => {
    const parts = path.replace(/^\.?\/+/, "").split("/");
    let excluded = false;
    for (const rule of rules) {
      // A pattern matching the path or any directory above it applies to the path.
      for (let n = 1; n <= parts.length; n++) {
        if (rule.regex.test(parts.slice(0, n).join("/"))) {
          excluded = !rule.negated;
          break;
        }
      }
    }
    return excluded;
  };
}

function globToRegex(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      out += ".*";
      i += 1;
      if (pattern[i + 1] === "/") i += 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
