/**
 * Reproduces a Dockerfile's stages as directories, without Docker: each
 * stage gets its own root directory, WORKDIR/COPY are applied to it (context
 * copies honour .dockerignore, `--from` copies read the other stage's root),
 * and the RUN steps that shape the application are run for real:
 *
 *   npm ci --omit=dev ...   `npm ci --omit=dev --prefer-offline --no-audit --no-fund` in the stage
 *   npm ci (with dev deps)  the repository's node_modules, linked (the same lockfile; saves ~30 s)
 *   npm run SCRIPT          run as is
 *   apt-get ...             not run (system packages): the packages are reported, the caller checks them
 *   npm cache clean, rm -rf /var/lib/apt/lists/*   nothing to do outside an image
 *
 * Any other RUN step throws: a Dockerfile that grows a step must teach this
 * file what it means, rather than have the test silently skip it.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { dockerignore, parseCopy, type Dockerfile, type Stage, workdirAt } from "./dockerfile.js";

export interface StageRoot {
  /** Directory standing for the stage's "/". */
  root: string;
  /** The stage's final WORKDIR, inside `root`. */
  workdir: string;
  /** Debian packages the stage's apt-get steps install. */
  aptPackages: string[];
  /** Every RUN step and what was done with it, for failure messages. */
  steps: string[];
}

/** Materialises `target` (and the stages it copies from) under `outDir`. */
export function materialiseStage(dockerfile: Dockerfile, target: Stage, context: string, outDir: string): StageRoot {
  const ignored = dockerignore(existsSync(join(context, ".dockerignore")) ? readFileSync(join(context, ".dockerignore"), "utf8") : "");
  const done = new Map<string, StageRoot>();
  const build = (stage: Stage): StageRoot => {
    const existing = done.get(stage.name);
    if (existing !== undefined) return existing;
    const root = join(outDir, `stage-${stage.name}`);
    const result: StageRoot = { root, workdir: root, aptPackages: [], steps: [] };
    mkdirSync(root, { recursive: true });
    stage.instructions.forEach((instruction, index) => {
      const cwd = inRoot(root, workdirAt(stage, index + 1));
      if (instruction.keyword === "WORKDIR") mkdirSync(cwd, { recursive: true });
      else if (instruction.keyword === "COPY") {
        const copy = parseCopy(instruction);
        const source = copy.from === undefined ? undefined : build(stageNamed(dockerfile, copy.from));
        const dest = inRoot(root, posix.isAbsolute(copy.dest) ? copy.dest : posix.join(workdirAt(stage, index), copy.dest));
        for (const src of copy.sources) {
          const from = source === undefined ? contextPath(context, src, ignored, instruction.line) : inRoot(source.root, posix.resolve("/", src));
          if (!existsSync(from)) throw new Error(`Dockerfile line ${instruction.line}: COPY source ${src} does not exist (${from})`);
          const to = copy.dest.endsWith("/") || copy.sources.length > 1 ? join(dest, posix.basename(src)) : dest;
          mkdirSync(dirname(to), { recursive: true });
          cpSync(from, to, { recursive: true, filter: (path) => source !== undefined || !ignored(relative(context, path).split("\\").join("/")) });
        }
      } else if (instruction.keyword === "RUN") {
        for (const command of instruction.rest.split("&&").map((c) => c.trim())) result.steps.push(run(command, cwd, context, result));
      }
    });
    result.workdir = inRoot(root, workdirAt(stage, stage.instructions.length));
    done.set(stage.name, result);
    return result;
  };
  return build(target);
}

/** `path` (absolute, in the image) inside a stage root. */
export function inRoot(root: string, path: string): string {
  return join(root, ...posix.resolve("/", path).split("/").filter((p) => p !== ""));
}

function stageNamed(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`COPY --from=${name}: no such stage`);
  return stage;
}

function contextPath(context: string, src: string, ignored: (path: string) => boolean, line: number): string {
  const normalized = posix.normalize(src).replace(/^\.\//, "").replace(/\/$/, "");
  if (normalized.startsWith("..") || posix.isAbsolute(normalized)) throw new Error(`Dockerfile line ${line}: COPY source ${src} is outside the context`);
  if (ignored(normalized)) throw new Error(`Dockerfile line ${line}: COPY source ${src} is excluded by .dockerignore`);
  return join(context, normalized);
}

/** Runs a command; a failure throws with everything it printed (tsc reports errors on stdout). */
function exec(program: string, args: string[], cwd: string): void {
  const result = spawnSync(program, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (${result.status ?? result.signal}) in ${cwd}:\n${result.stdout}${result.stderr}`);
}

/** Runs (or accounts for) one command of a RUN step; returns what was done. */
function run(command: string, cwd: string, context: string, stage: StageRoot): string {
  const words = command.split(" ");
  if (words[0] === "apt-get") {
    if (words[1] === "install") stage.aptPackages.push(...words.slice(2).filter((w) => !w.startsWith("-")));
    return `not run (system packages): ${command}`;
  }
  if (command === "rm -rf /var/lib/apt/lists/*" || command === "npm cache clean --force") return `nothing to do outside an image: ${command}`;
  if (words[0] === "npm" && words[1] === "ci") {
    if (words.includes("--omit=dev")) {
      exec("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], cwd);
      return `ran npm ci --omit=dev in ${cwd}`;
    }
    symlinkSync(join(context, "node_modules"), join(cwd, "node_modules"), "dir");
    return `linked the repository's node_modules for: ${command}`;
  }
  if (words[0] === "npm" && words[1] === "run" && words.length === 3) {
    exec("npm", ["run", words[2] as string], cwd);
    return `ran ${command}`;
  }
  throw new Error(`RUN step not understood by test/deploy/image-root.ts: ${command}`);
}
