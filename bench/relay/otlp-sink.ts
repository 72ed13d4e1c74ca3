/**
 * A fake OTLP/gRPC trace collector for the full-stack gateway: accepts every
 * Export call (an empty ExportTraceServiceResponse = all accepted) and only
 * counts them, so that tracing runs its whole export path at no cost to the
 * measurement beyond the gateway's own.
 */
import * as grpc from "@grpc/grpc-js";

const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

export interface OtlpSink {
  readonly port: number;
  /** Export calls and request bytes received so far. */
  stats(): { exports: number; bytes: number };
  close(): void;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const server = new grpc.Server();
  let exports = 0;
  let bytes = 0;
  const raw = (buffer: Buffer): Buffer => buffer;
  server.addService(
    { Export: { path: EXPORT_PATH, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        exports++;
        bytes += call.request.length;
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, stats: () => ({ exports, bytes }), close: () => server.forceShutdown() };
}
