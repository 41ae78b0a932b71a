#!/usr/bin/env python3
"""Small, valid seed files for the weight-file fuzz targets (fuzz/corpus/<target>/), written
without torch: a `torch.save`-style zip pickle, a safetensors checkpoint and config texts. The
real fixtures are too large to fuzz quickly; these have the same structure at a few hundred bytes.
"""
import io
import json
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fake_torch():
    """Just enough of `torch` for pickle to name the reference's globals."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    class FloatStorage:
        pass

    class BFloat16Storage:
        pass

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    FloatStorage.__module__ = BFloat16Storage.__module__ = "torch"
    FloatStorage.__qualname__, BFloat16Storage.__qualname__ = "FloatStorage", "BFloat16Storage"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch.FloatStorage, torch.BFloat16Storage, torch._utils = FloatStorage, BFloat16Storage, utils
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    return torch, utils


class Storage:
    def __init__(self, key, kind, numel):
        self.key, self.kind, self.numel = key, kind, numel


class Tensor:
    def __init__(self, storage, shape, rebuild):
        self.storage, self.shape, self.rebuild = storage, shape, rebuild

    def __reduce__(self):
        stride, acc = [], 1
        for d in reversed(self.shape):
            stride.insert(0, acc)
            acc *= d
        return (self.rebuild, (self.storage, 0, tuple(self.shape), tuple(stride), False, OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.kind, obj.key, "cpu", obj.numel)
        return None


def torch_zip(tensors):
    """tensors: {name: (shape, kind, raw bytes)} -> bytes of a zip like torch.save writes."""
    torch, utils = fake_torch()
    state, blobs = OrderedDict(), {}
    for i, (name, (shape, kind, raw)) in enumerate(tensors.items()):
        numel = 1
        for d in shape:
            numel *= d
        storage = Storage(str(i), getattr(torch, kind), numel)
        state[name] = Tensor(storage, shape, utils._rebuild_tensor_v2)
        blobs[str(i)] = raw
    pkl = io.BytesIO()
    Pickler(pkl, protocol=2).dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl.getvalue())
        z.writestr("archive/byteorder", "little")
        for key, raw in blobs.items():
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (shape, dtype, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack(f"<{len(v)}f", *v)


def write(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    small = {
        "_orig_mod.model.inner.embed_tokens.embedding_weight": ([3, 2], "FloatStorage", f32(1, 2, 3, 4, 5, 6)),
        "_orig_mod.model.inner.q_head.bias": ([2], "FloatStorage", f32(0, -5)),
        "_orig_mod.model.inner.H_init": ([2], "BFloat16Storage", b"\x80\x3f\x00\x40"),
    }
    write("checkpoint_pytorch", "small.pt", torch_zip(small))
    st = {k: (s, "BF16" if kind.startswith("BFloat16") else "F32", raw) for k, (s, kind, raw) in small.items()}
    write("checkpoint_safetensors", "small.safetensors", safetensors(st))
    write("checkpoint_pytorch", "small.safetensors", safetensors(st))
    config = {
        "H_cycles": 2, "H_layers": 0, "L_cycles": 2, "L_layers": 2, "expansion": 4, "halt_max_steps": 16,
        "hidden_size": 16, "mlp_t": False, "no_ACT_continue": True, "num_heads": 2, "num_puzzle_identifiers": 1,
        "pos_encodings": "rope", "puzzle_emb_len": 1, "puzzle_emb_ndim": 16, "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0, "seq_len": 81, "vocab_size": 11,
    }
    write("checkpoint_config", "config.json", b"\x00" + json.dumps(config).encode())
    yaml = "arch:\n  H_cycles: 2\n  L_cycles: 2\n  L_layers: 2\n  hidden_size: 16\n  num_heads: 2\n  expansion: 4\n" \
           "  pos_encodings: rope\n  puzzle_emb_ndim: ${.hidden_size}\n  mlp_t: false\n  halt_max_steps: 16\n"
    write("checkpoint_config", "all_config.yaml", b"\x81" + yaml.encode())
    web_header = {"format": "trm-web", "format_version": "1", "config": config, "storage": "f32", "metadata": {"source": "seed"}}
    write("web_model", "tiny.safetensors", safetensors(st, {"trm-web": json.dumps(web_header)}))
    # puzzle_text: the first byte picks the task (byte % 3: Sudoku, maze, ARC) and the canvas.
    sudoku = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
    write("puzzle_text", "sudoku.txt", b"\x00" + sudoku.encode())
    write("puzzle_text", "sudoku-boxed.txt", b"\x00" + "\n".join(f"{r[:3]} | {r[3:6]} | {r[6:]}" for r in
                                                                 (sudoku[i:i + 9] for i in range(0, 81, 9))).encode())
    write("puzzle_text", "maze.txt", b"\x01" + b"S #\n  #\n# G\n")
    write("puzzle_text", "maze-small-canvas.txt", b"\x9a" + b"S o\n#o#\n  G\n")
    write("puzzle_text", "arc.txt", b"\x02" + b"0 1 2\n3 4 5\n")
    write("puzzle_text", "arc-task.json", b"\x02" + b'{"train":[{"input":[[1]],"output":[[2]]}],"test":[{"input":[[9,1]]}]}')


if __name__ == "__main__":
    main()
