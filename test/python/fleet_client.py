#!/usr/bin/python3
"""A non-Node caller of every OllamaService RPC, through stubs that protoc
generates from proto/ (Debian's python3-grpcio + protobuf-compiler-grpc).

Usage: fleet_client.py STUB_DIR TARGET COMMAND [COMMAND ...]

Commands run in order on one channel; `all` is the whole read-and-manage
scenario (see ALL). Each RPC prints one JSON object per line with its name in
"rpc"; a failed RPC prints {"rpc", "error": CODE_NAME, "details", "status":
the decoded grpc-status-details-bin} and the script goes on, so expected
errors are assertions for the caller. The exit code is 0 unless the script
itself breaks.

The scenario's names are fixed: models llama3.2 (on every backend) and
all-minilm, backends b1 and b2 for the partial copy, "llama-copy" for
copy/delete, "tinyllama" for the pull and "smollm" for the cancelled pull.

google.rpc's protos are not packaged for Debian's python3 (there is no
python3-googleapis-common-protos), so the three messages needed to read the
status trailer are declared here and decoded with the protobuf runtime.
"""
import json
import math
import sys
import time

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, duration_pb2, json_format, message_factory  # noqa: E402
from ollama.v1 import ollama_pb2, ollama_pb2_grpc  # noqa: E402

MODEL = "llama3.2"
EMBED_MODEL = "all-minilm"
COPY_NAME = "llama-copy"
PULL_NAME = "tinyllama"
CANCELLED_PULL_NAME = "smollm"
LOAD_KEEP_ALIVE_SECONDS = 600
TIMEOUT = 10.0

ALL = [
    "version", "list-models", "show", "show-missing", "embed", "embed-batch",
    "generate", "chat", "invalid", "load", "running", "unload", "running",
    "copy", "delete", "pull",
]


def _rpc_types():
    """google.rpc.Status, ErrorInfo and BadRequest, built in a private pool."""
    fdp = descriptor_pb2.FileDescriptorProto(
        name="fleet_client/google_rpc.proto", package="google.rpc", syntax="proto3",
        dependency=["google/protobuf/any.proto"],
    )
    label, optional = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED, descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
    kinds = descriptor_pb2.FieldDescriptorProto

    def message(name, fields, nested=()):
        proto = fdp.message_type.add(name=name)
        for nested_proto in nested:
            proto.nested_type.add().CopyFrom(nested_proto)
        for number, (field, kind, repeated, type_name) in enumerate(fields, start=1):
            proto.field.add(name=field, number=number, type=kind, label=label if repeated else optional, type_name=type_name)
        return proto

    message("Status", [("code", kinds.TYPE_INT32, False, None), ("message", kinds.TYPE_STRING, False, None),
                       ("details", kinds.TYPE_MESSAGE, True, ".google.protobuf.Any")])
    entry = descriptor_pb2.DescriptorProto(name="MetadataEntry", options=descriptor_pb2.MessageOptions(map_entry=True))
    entry.field.add(name="key", number=1, type=kinds.TYPE_STRING, label=optional)
    entry.field.add(name="value", number=2, type=kinds.TYPE_STRING, label=optional)
    message("ErrorInfo", [("reason", kinds.TYPE_STRING, False, None), ("domain", kinds.TYPE_STRING, False, None),
                          ("metadata", kinds.TYPE_MESSAGE, True, ".google.rpc.ErrorInfo.MetadataEntry")], [entry])
    violation = descriptor_pb2.DescriptorProto(name="FieldViolation")
    violation.field.add(name="field", number=1, type=kinds.TYPE_STRING, label=optional)
    violation.field.add(name="description", number=2, type=kinds.TYPE_STRING, label=optional)
    message("BadRequest", [("field_violations", kinds.TYPE_MESSAGE, True, ".google.rpc.BadRequest.FieldViolation")], [violation])

    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(fdp)
    factory = message_factory.MessageFactory(pool)
    return {name: factory.GetPrototype(pool.FindMessageTypeByName(f"google.rpc.{name}")) for name in ("Status", "ErrorInfo", "BadRequest")}


RPC = _rpc_types()


def decode_status(error):
    """The google.rpc.Status in the trailers, as a dict; None when absent."""
    raw = next((value for key, value in error.trailing_metadata() or () if key == "grpc-status-details-bin"), None)
    if raw is None:
        return None
    status = RPC["Status"].FromString(raw)
    details = []
    for item in status.details:
        kind = item.type_url.rsplit("/", 1)[-1].removeprefix("google.rpc.")
        if kind in RPC:
            details.append({"type": kind, **json_format.MessageToDict(RPC[kind].FromString(item.value), preserving_proto_field_name=True)})
        else:
            details.append({"type": item.type_url})
    return {"code": status.code, "message": status.message, "details": details}


def results(response):
    """BackendResult list as dicts (duration in ms, or None when unset)."""
    return [{
        "backend": r.backend, "ok": r.ok, "code": r.code, "error": r.error,
        "duration_ms": r.duration.ToMilliseconds() if r.HasField("duration") else None,
    } for r in response.results]


def backends(statuses):
    return [{"backend": b.backend, "reachable": b.reachable, "error": b.error} for b in statuses]


def cmd_version(stub):
    response = stub.GetVersion(ollama_pb2.GetVersionRequest(), timeout=TIMEOUT)
    return {"gateway_version": response.gateway_version,
            "backends": [{"backend": b.backend, "version": b.version, "reachable": b.reachable} for b in response.backends]}


def cmd_list_models(stub):
    response = stub.ListModels(ollama_pb2.ListModelsRequest(), timeout=TIMEOUT)
    return {
        "models": [{
            "name": m.name, "digest": m.digest, "size": m.size, "family": m.details.family,
            "digest_mismatch": m.digest_mismatch,
            "locations": [{"backend": l.backend, "digest": l.digest, "size": l.size} for l in m.locations],
        } for m in response.models],
        "backends": backends(response.backends),
    }


def cmd_show(stub, model=MODEL):
    response = stub.ShowModel(ollama_pb2.ShowModelRequest(model=model), timeout=TIMEOUT)
    return {"model": model, "backend": response.backend, "family": response.details.family,
            "capabilities": list(response.capabilities), "template": response.template,
            "model_info": json_format.MessageToDict(response.model_info),
            "has_modified_at": response.HasField("modified_at")}


def cmd_show_missing(stub):
    return cmd_show(stub, "no-such-model")


def embed(stub, inputs, dimensions=None):
    request = ollama_pb2.EmbedRequest(model=EMBED_MODEL, input=inputs)
    if dimensions is not None:
        request.dimensions = dimensions
    response = stub.Embed(request, timeout=TIMEOUT)
    return {
        "inputs": len(inputs), "dimensions_sent": request.HasField("dimensions"), "model": response.model,
        "backend": response.backend, "prompt_eval_count": response.prompt_eval_count,
        "lengths": [len(e.values) for e in response.embeddings],
        "norms": [round(math.sqrt(sum(v * v for v in e.values)), 4) for e in response.embeddings],
        "distinct": len({tuple(e.values) for e in response.embeddings}),
    }


def cmd_embed(stub):
    return embed(stub, ["the quick brown fox"])


def cmd_embed_batch(stub):
    return embed(stub, ["alpha", "beta", "gamma"], dimensions=64)


def stream_summary(call, pieces):
    """Drains a Generate/Chat stream; `pieces` maps a message to its text delta."""
    chunks, text, final, done_count = 0, "", None, 0
    for response in call:
        chunks += 1
        text += pieces(response)
        if response.done:
            done_count += 1
            final = response
    trailers = dict(call.trailing_metadata() or ())
    return {"chunks": chunks, "text_length": len(text), "done_count": done_count, "done_reason": final.done_reason,
            "backend": final.backend, "eval_count": final.usage.eval_count,
            "trailer_eval_count": trailers.get("ollama-eval-count")}


def cmd_generate(stub):
    call = stub.Generate(ollama_pb2.GenerateRequest(model=MODEL, prompt="Say hi"), timeout=TIMEOUT)
    return stream_summary(call, lambda r: r.response)


def cmd_chat(stub):
    request = ollama_pb2.ChatRequest(model=MODEL, messages=[ollama_pb2.Message(role=ollama_pb2.ROLE_USER, content="Hello")])
    return stream_summary(stub.Chat(request, timeout=TIMEOUT), lambda r: r.message.content)


def cmd_invalid(stub):
    """A Generate without a model: INVALID_ARGUMENT before any backend is asked."""
    return stream_summary(stub.Generate(ollama_pb2.GenerateRequest(prompt="no model"), timeout=TIMEOUT), lambda r: r.response)


def cmd_load(stub):
    request = ollama_pb2.LoadModelRequest(model=MODEL, count=2, keep_alive=duration_pb2.Duration(seconds=LOAD_KEEP_ALIVE_SECONDS))
    return {"results": results(stub.LoadModel(request, timeout=TIMEOUT))}


def cmd_running(stub):
    response = stub.ListRunningModels(ollama_pb2.ListRunningModelsRequest(), timeout=TIMEOUT)
    now = time.time()
    return {
        "models": [{
            "name": m.name, "backend": m.backend, "size": m.size, "context_length": m.context_length,
            "expires_in_s": round(m.expires_at.ToNanoseconds() / 1e9 - now), "digest": m.digest,
        } for m in response.models],
        "backends": backends(response.backends),
    }


def cmd_unload(stub):
    return {"results": results(stub.UnloadModel(ollama_pb2.UnloadModelRequest(model=MODEL), timeout=TIMEOUT))}


def cmd_copy(stub):
    request = ollama_pb2.CopyModelRequest(source=MODEL, destination=COPY_NAME, backends=["b1", "b2"])
    return {"results": results(stub.CopyModel(request, timeout=TIMEOUT))}


def cmd_delete(stub):
    return {"results": results(stub.DeleteModel(ollama_pb2.DeleteModelRequest(model=COPY_NAME), timeout=TIMEOUT))}


def cmd_pull(stub):
    call = stub.PullModel(ollama_pb2.PullModelRequest(model=PULL_NAME), timeout=TIMEOUT)
    order, by_backend = [], {}
    for response in call:
        order.append(response.backend)
        summary = by_backend.setdefault(response.backend, {"statuses": [], "done_at": [], "errors": [], "completed_max": 0})
        if response.done:
            summary["done_at"].append(len(summary["statuses"]))
        if response.error:
            summary["errors"].append(response.error)
        summary["statuses"].append(response.status)
        summary["completed_max"] = max(summary["completed_max"], response.completed)
    return {"order": order, "by_backend": by_backend, "trailers": dict(call.trailing_metadata() or ())}


def cmd_pull_cancel(stub):
    """Starts a pull on every backend and cancels it once each has sent its first progress message."""
    fleet = {b.backend for b in stub.GetVersion(ollama_pb2.GetVersionRequest(), timeout=TIMEOUT).backends}
    call = stub.PullModel(ollama_pb2.PullModelRequest(model=CANCELLED_PULL_NAME), timeout=TIMEOUT)
    seen, received = [], 0
    try:
        for response in call:
            received += 1
            if response.backend not in seen:
                seen.append(response.backend)
            if set(seen) == fleet:
                call.cancel()
    except grpc.RpcError as error:
        return {"cancelled": error.code() == grpc.StatusCode.CANCELLED, "code": error.code().name,
                "received": received, "seen": sorted(seen)}
    return {"cancelled": False, "received": received, "seen": sorted(seen)}


COMMANDS = {
    "version": ("GetVersion", cmd_version),
    "list-models": ("ListModels", cmd_list_models),
    "show": ("ShowModel", cmd_show),
    "show-missing": ("ShowModel", cmd_show_missing),
    "embed": ("Embed", cmd_embed),
    "embed-batch": ("Embed", cmd_embed_batch),
    "generate": ("Generate", cmd_generate),
    "chat": ("Chat", cmd_chat),
    "invalid": ("Generate", cmd_invalid),
    "load": ("LoadModel", cmd_load),
    "running": ("ListRunningModels", cmd_running),
    "unload": ("UnloadModel", cmd_unload),
    "copy": ("CopyModel", cmd_copy),
    "delete": ("DeleteModel", cmd_delete),
    "pull": ("PullModel", cmd_pull),
    "pull-cancel": ("PullModel", cmd_pull_cancel),
}


def main() -> int:
    _, _, target, *commands = sys.argv
    names = [name for command in commands for name in (ALL if command == "all" else [command])]
    unknown = [name for name in names if name not in COMMANDS]
    if not names or unknown:
        print(f"unknown or missing commands {unknown}; known: all, {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    with grpc.insecure_channel(target) as channel:
        stub = ollama_pb2_grpc.OllamaServiceStub(channel)
        for name in names:
            rpc, run = COMMANDS[name]
            try:
                line = {"rpc": rpc, "command": name, **run(stub)}
            except grpc.RpcError as error:
                line = {"rpc": rpc, "command": name, "error": error.code().name, "details": error.details(), "status": decode_status(error)}
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
