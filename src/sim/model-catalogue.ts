/**
 * The simulator's installed models: what `/api/tags` lists, what `/api/show`
 * describes, and what generation requests resolve against.
 */
import { createHash } from "node:crypto";
import { fullModelName, modelKey, parseModelName, shortModelName } from "./model-name.js";

/** A capability as Ollama reports it in `/api/show`. */
export type SimCapability = "completion" | "tools" | "insert" | "vision" | "embedding" | "thinking";

/** A model the simulator serves. Everything but `name` and `capabilities` has a deterministic default. */
export interface SimModel {
  /** Normalized name such as "llama3.2:latest". Requests may omit ":latest" and use any case. */
  name: string;
  capabilities: SimCapability[];
  /** `details.family`; default "llama". */
  family?: string;
  /** `details.parameter_size`; default "3.2B". */
  parameterSize?: string;
  /** `details.quantization_level`; default "Q4_K_M". */
  quantizationLevel?: string;
  /** `details.format`; default "gguf". */
  format?: string;
  /** Bytes on disk and in memory; default derived from the digest. */
  sizeBytes?: number;
  /** Hex sha256 without prefix; default sha256 of the name. */
  digest?: string;
  /** Cold-load time when not resident; default `SimulatorOptions.defaultLoadMs`. */
  loadMs?: number;
  /** `<family>.context_length`; default 4096. */
  contextLength?: number;
  /** Embedding vector length; default 384. */
  embeddingLength?: number;
}

/** The models a simulator serves when `SimulatorOptions.models` is not given. */
export const DEFAULT_SIM_MODELS: SimModel[] = [
  {
    name: "llama3.2:latest",
    capabilities: ["completion", "tools"],
    family: "llama",
    parameterSize: "3.2B",
    quantizationLevel: "Q4_K_M",
    sizeBytes: 2_019_393_189,
    contextLength: 131_072,
    embeddingLength: 3072,
  },
  {
    name: "qwen3:latest",
    capabilities: ["completion", "tools", "thinking"],
    family: "qwen3",
    parameterSize: "8.2B",
    quantizationLevel: "Q4_K_M",
    sizeBytes: 5_225_388_164,
    contextLength: 40_960,
    embeddingLength: 4096,
  },
  {
    name: "llava:latest",
    capabilities: ["completion", "vision"],
    family: "llama",
    parameterSize: "7B",
    quantizationLevel: "Q4_0",
    sizeBytes: 4_733_363_377,
    contextLength: 32_768,
    embeddingLength: 4096,
  },
  {
    name: "qwen2.5-coder:latest",
    capabilities: ["completion", "insert", "tools"],
    family: "qwen2",
    parameterSize: "7.6B",
    quantizationLevel: "Q4_K_M",
    sizeBytes: 4_683_087_332,
    contextLength: 32_768,
    embeddingLength: 3584,
  },
  {
    name: "all-minilm:latest",
    capabilities: ["embedding"],
    family: "bert",
    parameterSize: "23M",
    quantizationLevel: "F16",
    sizeBytes: 45_960_996,
    contextLength: 512,
    embeddingLength: 384,
  },
];

/** A model with every default filled in. */
export interface CatalogueEntry {
  /** Display name, e.g. "llama3.2:latest". */
  readonly name: string;
  /** "registry.ollama.ai/library/llama3.2:latest", used in capability errors. */
  readonly fullName: string;
  readonly capabilities: readonly SimCapability[];
  readonly family: string;
  readonly parameterSize: string;
  readonly quantizationLevel: string;
  readonly format: string;
  readonly sizeBytes: number;
  readonly digest: string;
  readonly loadMs: number | undefined;
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly modifiedAt: Date;
}

/** A plausible model size (1–5 GB) derived from a hex digest, for models without `sizeBytes`. */
export function defaultSizeBytes(digest: string): number {
  return 1_000_000_000 + (Number.parseInt(digest.slice(0, 8), 16) % 4_000_000_000);
}

/** Mutable set of installed models, keyed case-insensitively by full name. */
export class ModelCatalogue {
  #entries = new Map<string, CatalogueEntry>();

  /** @throws RangeError when a model name is invalid. */
  constructor(models: readonly SimModel[], modifiedAt: Date) {
    for (const model of models) this.add(model, modifiedAt);
  }

  /** Looks a name up as a client sent it ("LLama3.2" finds "llama3.2:latest"). */
  find(name: string): CatalogueEntry | undefined {
    const key = modelKey(name);
    return key === undefined ? undefined : this.#entries.get(key);
  }

  /** Installed models, most recently modified first (Ollama's `/api/tags` order). */
  list(): CatalogueEntry[] {
    return [...this.#entries.values()].sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime());
  }

  /** Installs (or replaces) a model. @throws RangeError for an invalid name. */
  add(model: SimModel, modifiedAt: Date): CatalogueEntry {
    const parsed = parseModelName(model.name);
    if (parsed === undefined) throw new RangeError(`invalid simulator model name ${JSON.stringify(model.name)}`);
    const name = shortModelName(parsed);
    const digest = model.digest ?? createHash("sha256").update(name).digest("hex");
    const entry: CatalogueEntry = {
      name,
      fullName: fullModelName(parsed),
      capabilities: [...model.capabilities],
      family: model.family ?? "llama",
      parameterSize: model.parameterSize ?? "3.2B",
      quantizationLevel: model.quantizationLevel ?? "Q4_K_M",
      format: model.format ?? "gguf",
      sizeBytes: model.sizeBytes ?? defaultSizeBytes(digest),
      digest,
      loadMs: model.loadMs,
      contextLength: model.contextLength ?? 4096,
      embeddingLength: model.embeddingLength ?? 384,
      modifiedAt,
    };
    this.#entries.set(fullModelName(parsed).toLowerCase(), entry);
    return entry;
  }

  /** Removes a model; false when it was not installed. */
  remove(name: string): boolean {
    const key = modelKey(name);
    return key !== undefined && this.#entries.delete(key);
  }

  /** Copies `source` to `destination` (same digest, as a manifest copy keeps its layers). */
  copy(source: CatalogueEntry, destination: string, modifiedAt: Date): CatalogueEntry {
    return this.add({ ...source, name: destination, capabilities: [...source.capabilities] }, modifiedAt);
  }
}
