/**
 * Pays for streamed messages before they are delivered (token budgets). The
 * quotas middleware puts one in the call context of a metered call; the relay
 * asks it before writing each batch, so a stream is cut at the first message
 * its budget cannot cover and never overshoots.
 */
export interface MessageMeter {
  /**
   * Pays for up to `count` messages about to be delivered, in order; returns
   * (synchronously when it can) how many were paid. Fewer than `count` means
   * the budget ran out: the paid ones may still go out, then the call must
   * end with `exhausted()`. The meter has then already aborted the call's
   * upstream request (its signal), so the GPU stops.
   */
  pay(count: number): number | Promise<number>;
  /** The error that ends a call whose budget ran out. */
  exhausted(): unknown;
}

/** Context extension carrying the meter of a metered call. */
export interface MessageMeterContext {
  messageMeter?: MessageMeter;
}
