/**
 * Loads everything under deploy/ for the consistency checks: every YAML
 * file (multi-document) parsed, the Kubernetes and Istio objects by kind and
 * name, the Envoy bootstrap, the Dockerfile, and the gateway configuration
 * held by the ConfigMap run through the gateway's own loader
 * (src/config/load.ts: defaults + file + validation), so the deployed file
 * is exactly what `serve --config` would accept.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { packageRoot } from "../../src/common/package-files.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { readDockerfile, type Dockerfile } from "./dockerfile.js";

/** A parsed YAML document: free-form; the checks assert its shape. */
export type Doc = Record<string, any>;

/** One Kubernetes (or Istio) object and the file it came from. */
export interface Manifest {
  file: string;
  doc: Doc;
}

export interface DeployBundle {
  /** Objects with apiVersion and kind, from deploy/kubernetes and deploy/istio. */
  objects: Manifest[];
  /** deploy/envoy/envoy.yaml. */
  envoy: Doc;
  dockerfile: Dockerfile;
}

const ROOT = packageRoot();
const DEPLOY = join(ROOT, "deploy");

/** Every .yaml/.yml file under deploy/, relative to the repository root. */
export function deployYamlFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : /\.ya?ml$/.test(entry.name) ? [relative(ROOT, join(dir, entry.name))] : [],
    );
  return walk(DEPLOY).sort();
}

/** The documents of one YAML file. @throws on a syntax error (with the file name). */
export function parseYamlFile(file: string): Doc[] {
  const documents = parseAllDocuments(readFileSync(join(ROOT, file), "utf8"));
  const list = Array.isArray(documents) ? documents : [documents];
  return list.map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
    return document.toJS() as Doc;
  }).filter((doc) => doc !== null);
}

export function loadDeployBundle(): DeployBundle {
  const objects: Manifest[] = [];
  for (const file of deployYamlFiles()) {
    if (!file.startsWith("deploy/kubernetes/") && !file.startsWith("deploy/istio/")) continue;
    for (const doc of parseYamlFile(file)) objects.push({ file, doc });
  }
  const [envoy] = parseYamlFile("deploy/envoy/envoy.yaml");
  return { objects, envoy: envoy as Doc, dockerfile: readDockerfile(join(ROOT, "Dockerfile")) };
}

/** The only object of `kind` (and `name`, when given). @throws naming what was found instead. */
export function one(bundle: DeployBundle, kind: string, name?: string): Doc {
  const found = all(bundle, kind).filter((doc) => name === undefined || doc.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name === undefined ? "" : ` ${name}`}, found ${found.length}`);
  return found[0] as Doc;
}

export function all(bundle: DeployBundle, kind: string): Doc[] {
  return bundle.objects.filter((m) => m.doc.kind === kind).map((m) => m.doc);
}

/** The gateway configuration in the ConfigMap `name`, key config.yaml, through the gateway's loader. */
export function gatewayConfig(bundle: DeployBundle, configMapName: string): Config {
  const text = one(bundle, "ConfigMap", configMapName).data?.["config.yaml"];
  if (typeof text !== "string") throw new Error(`ConfigMap ${configMapName} has no data."config.yaml"`);
  const dir = mkdtempSync(join(tmpdir(), "ollama-grpc-deploy-"));
  try {
    const file = join(dir, "config.yaml");
    writeFileSync(file, text);
    return loadConfig({ config: file }, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The port of a HOST:PORT listen address. */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(":") + 1));
}

/** Seconds of a Kubernetes/Istio/Envoy duration ("660s", "10m", "1h", "0s"). */
export function seconds(text: unknown): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(text));
  if (match === null) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}
