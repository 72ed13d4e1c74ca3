/**
 * Runs OllamaService calls for the HTTP front doors in-process, through the
 * same middleware chain as the gRPC listener (server/call-chain.ts): the
 * call is logged, counted, authenticated, limited and capped exactly as a
 * gRPC call would be, and the service cannot tell the difference.
 *
 * The door supplies what grpc-js would: the metadata (from the HTTP
 * headers), the peer, and one AbortSignal that fires when the HTTP client
 * goes away. Streaming methods hand back what the service yields: for
 * Generate and Chat, one DirectStream that the door attaches its writer to.
 */
import { composeServerMiddleware, Metadata, type CallContext, type ServerMiddleware } from "nice-grpc-common";
import { OllamaServiceDefinition } from "../../gen/ollama/v1/ollama.js";
import type { DoorContext } from "../middleware/access-log.js";
import type { Terminator } from "../middleware/terminator.js";
import type { GatewayServiceImplementation } from "../service/ollama-service.js";

/** OllamaService method names, as in ts-proto's definition (`chat`, `listModels`...). */
export type MethodName = keyof typeof OllamaServiceDefinition.methods;

/** What a door knows about one HTTP request. */
export interface DoorCall {
  /** Request metadata, built from the HTTP headers (see request-metadata.ts). */
  metadata: Metadata;
  /** The client's address, in grpc-js's form (`ipv4:127.0.0.1:5000`). */
  peer: string;
  /** Aborted when the client disconnects (or the door shuts down). */
  signal: AbortSignal;
  /** The door, for the access log and metrics. */
  door: DoorContext["door"];
  /** Receives the call's trailers (e.g. `grpc-retry-pushback-ms`, which the door turns into Retry-After). */
  trailer: Metadata;
}

type AnyMiddleware = ServerMiddleware<any, any>;
type Handler = (request: unknown, context: any) => unknown;

/** The invoker: one per front door listener. */
export class CallInvoker {
  readonly #service: GatewayServiceImplementation;
  readonly #middleware: AnyMiddleware;

  /** `chain` is ollamaServiceMiddleware(..., "http"); the terminator goes outside it, as on the gRPC server. */
  constructor(service: GatewayServiceImplementation, terminator: Terminator, chain: AnyMiddleware[]) {
    this.#service = service;
    this.#middleware = chain.reduce<AnyMiddleware>((outer, inner) => composeServerMiddleware(outer, inner), terminator.middleware as AnyMiddleware);
  }

  /** Runs a unary method; resolves with its response or rejects with the status error the chain produced. */
  async unary<Res>(method: MethodName, request: unknown, call: DoorCall): Promise<Res> {
    const iterator = this.#run(method, request, call)[Symbol.asyncIterator]();
    const result = await iterator.next();
    if (!result.done) {
      await iterator.return?.(undefined);
      throw new Error(`unary method ${method} yielded a message`);
    }
    return result.value as Res;
  }

  /**
   * Runs a server-streaming method. The caller iterates the result; leaving
   * the loop early (return()) ends the call the way nice-grpc does when a
   * gRPC caller goes away.
   */
  stream<Item>(method: MethodName, request: unknown, call: DoorCall): AsyncIterable<Item> {
    return this.#run(method, request, call) as AsyncIterable<Item>;
  }

  #run(method: MethodName, request: unknown, call: DoorCall): AsyncGenerator<unknown, unknown, undefined> {
    const definition = OllamaServiceDefinition.methods[method];
    const implementation = (this.#service[method] as Handler).bind(this.#service);
    const context: CallContext & DoorContext = {
      door: call.door,
      metadata: call.metadata,
      peer: call.peer,
      header: Metadata(),
      sendHeader: () => undefined,
      trailer: call.trailer,
      signal: call.signal,
    };
    const next = definition.responseStream
      ? async function* streaming(req: unknown, ctx: unknown) {
          yield* implementation(req, ctx) as AsyncIterable<unknown>;
        }
      : async function* unary(req: unknown, ctx: unknown) {
          return await (implementation(req, ctx) as Promise<unknown>);
        };
    return this.#middleware(
      {
        method: {
          path: `/${OllamaServiceDefinition.fullName}/${definition.name}`,
          requestStream: false,
          responseStream: definition.responseStream,
          options: definition.options,
        },
        requestStream: false,
        request,
        responseStream: definition.responseStream,
        next,
      } as any,
      context,
    ) as AsyncGenerator<unknown, unknown, undefined>;
  }
}
