/**
 * Several messages of one server stream, handed down the handler chain as
 * one item. Why: every item a streaming handler yields passes about ten
 * async-generator layers (the relay, its attempts, nice-grpc, each
 * middleware), each costing 100-200 ns and a few promises. When one socket
 * read brings many tokens they travel the chain once, as a batch, and the
 * server's batch-writing interceptor (server/batch-interceptor.ts) writes
 * them as separate gRPC messages: the wire is unchanged, one message per
 * token.
 *
 * Contract: a batch is never empty and holds messages in stream order.
 * Middleware that looks at messages (quotas) must treat a batch as its
 * messages; middleware that only passes items on needs nothing.
 */
export class MessageBatch<T> {
  constructor(readonly messages: readonly T[]) {}

  /** The messages of an item a streaming handler yielded: a batch's, or the item itself. */
  static messagesOf<T>(item: T | MessageBatch<T>): readonly T[] {
    return item instanceof MessageBatch ? item.messages : [item];
  }
}
