#!/usr/bin/python3
"""A non-Node caller: streams Chat through the gateway with stubs generated
from proto/ by protoc (Debian's python3-grpcio + protobuf-compiler-grpc).

Usage: chat_client.py STUB_DIR TARGET MODEL PROMPT [TIMEOUT_SECONDS]

Prints one JSON object per line: {"content": ...} / {"thinking": ...} for each
delta, then {"done": true, ...} with usage and trailing metadata, or
{"error": CODE_NAME, "details": ...} if the RPC failed (exit code 1).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from ollama.v1 import ollama_pb2, ollama_pb2_grpc  # noqa: E402


def main() -> int:
    _, _, target, model, prompt, *rest = sys.argv
    timeout = float(rest[0]) if rest else None
    with grpc.insecure_channel(target) as channel:
        stub = ollama_pb2_grpc.OllamaServiceStub(channel)
        request = ollama_pb2.ChatRequest(
            model=model,
            messages=[ollama_pb2.Message(role=ollama_pb2.ROLE_USER, content=prompt)],
            options=ollama_pb2.ModelOptions(temperature=0.2, num_predict=1000),
        )
        call = stub.Chat(request, timeout=timeout)
        try:
            for response in call:
                if response.message.thinking:
                    print(json.dumps({"thinking": response.message.thinking}), flush=True)
                if response.message.content:
                    print(json.dumps({"content": response.message.content}), flush=True)
                if response.done:
                    trailers = {key: value for key, value in call.trailing_metadata() or ()}
                    print(json.dumps({
                        "done": True,
                        "done_reason": response.done_reason,
                        "backend": response.backend,
                        "eval_count": response.usage.eval_count,
                        "has_optional_temperature": request.options.HasField("temperature"),
                        "trailer_eval_count": trailers.get("ollama-eval-count"),
                    }), flush=True)
        except grpc.RpcError as error:
            print(json.dumps({"error": error.code().name, "details": error.details()}), flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
