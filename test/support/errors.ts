/** Helpers to inspect gRPC errors with google.rpc details. */
import { ClientError, Status } from "nice-grpc";
import { RichClientError, type ErrorInfo } from "nice-grpc-error-details";
import { expect } from "vitest";

/** Asserts `error` is a ClientError with `code`, and returns its details list (empty when none). */
export function expectStatus(error: unknown, code: Status): Array<{ $type: string }> {
  expect(error, "a ClientError").toBeInstanceOf(ClientError);
  const clientError = error as ClientError;
  expect(Status[clientError.code], clientError.details).toBe(Status[code]);
  return error instanceof RichClientError ? (error.extra as Array<{ $type: string }>) : [];
}

/** The ErrorInfo detail of an error, or fails. */
export function errorInfoOf(error: unknown): ErrorInfo {
  const info = (error instanceof RichClientError ? error.extra : []).find((d) => d.$type === "google.rpc.ErrorInfo");
  expect(info, "an ErrorInfo detail").toBeDefined();
  return info as ErrorInfo;
}
