# Writes real torch checkpoints for test/weights, and beside each one the values torch holds:
# NAME.expected.json ({name: {dtype, shape, offset, length}}) and NAME.expected.bin (each
# tensor's elements, row-major, little-endian). Usage: make_checkpoints.py OUT_DIR GROUP...
# where GROUP is tensors, resnet, safety or pickles.
import collections
import json
import os
import pickle
import re
import struct
import sys
import zipfile

import torch

out = sys.argv[1]
groups = set(sys.argv[2:])
torch.manual_seed(0)

DTYPES = {
    torch.float32: "float32", torch.float64: "float64", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.uint8: "uint8", torch.bool: "bool",
}


def raw(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.view(torch.int16)  # numpy has no bfloat16: the bits are what is compared
    return t.numpy().tobytes()


def expect(name, sd):
    index, blobs, offset = {}, [], 0
    for key, t in sd.items():
        b = raw(t)
        index[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "offset": offset, "length": len(b)}
        blobs.append(b)
        offset += len(b)
    with open(os.path.join(out, name + ".expected.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, name + ".expected.bin"), "wb") as f:
        f.write(b"".join(blobs))


def save(name, obj, expected):
    torch.save(obj, os.path.join(out, name + ".pth"))
    expect(name, expected)


def mixed():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    half = torch.randn(3, 5).half()
    bf = torch.randn(4, 4).bfloat16()
    longs = torch.tensor([-(2**62), -1, 0, 2**40, 5, 6], dtype=torch.int64)
    flags = torch.rand(3, 4) > 0.5
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(3, 4)
    sd["f64"] = torch.randn(5, dtype=torch.float64)
    sd["f16"] = torch.randn(2, 3).half()
    sd["bf16"] = torch.randn(2, 3).bfloat16()
    sd["i64"] = longs
    sd["i32"] = torch.tensor([-7, 2**30, 0], dtype=torch.int32)
    sd["u8"] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["empty"] = torch.empty(0)
    sd["empty2d"] = torch.empty(2, 0, dtype=torch.int64)
    sd["scalar"] = torch.tensor(3.25)
    sd["bn.num_batches_tracked"] = torch.tensor(7)
    # Views sharing one storage: saved once, each read through its own offset and strides.
    sd["base"] = base
    sd["base_t"] = base.t()
    sd["row1"] = base[1]
    sd["rows23"] = base[2:4]
    sd["cols"] = base[:, 1:5:2]
    sd["expanded"] = torch.randn(3, 1).expand(3, 4)
    sd["channels_last"] = torch.randn(2, 3, 4, 5).contiguous(memory_format=torch.channels_last)
    sd["f16_t"] = half.t()
    sd["f16_slice"] = half[1:, 2:]
    sd["bf16_t"] = bf.t()
    sd["bf16_diag_stride"] = bf.as_strided((2, 2), (5, 1), 1)
    sd["i64_tail"] = longs[3:]
    sd["bool_t"] = flags.t()
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2))
    return sd


if "tensors" in groups:
    sd = mixed()
    save("plain", sd, sd)

    small = collections.OrderedDict(w=torch.randn(2, 3), b=torch.zeros(2), steps=torch.tensor(4))
    with_extras = collections.OrderedDict(small)
    with_extras["version"] = 3  # not a tensor: left out
    save("nested_model", {"model": with_extras, "iteration": 5, "optimizer": {"lr": 0.1}}, small)
    save("nested_state_dict", {"state_dict": small, "epoch": 3, "arch": "tiny"}, small)
    save("nested_model_state_dict", {"model_state_dict": small, "optimizer_state_dict": {"state": {}}}, small)

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Linear(4, 2))
    wrapped = torch.nn.DataParallel(net).state_dict()
    assert all(k.startswith("module.") for k in wrapped)
    save("dataparallel", wrapped, net.state_dict())

if "resnet" in groups:
    try:
        import torchvision

        sd = torchvision.models.resnet18().state_dict()
        made_by = "torchvision " + torchvision.__version__
    except ImportError:
        # The same names and shapes as torchvision's resnet18, built by hand, with the
        # `_metadata` attribute that Module.state_dict() sets.
        sd = collections.OrderedDict()

        def conv_bn(prefix, conv, bn, cout, cin, k):
            sd[prefix + conv + ".weight"] = torch.randn(cout, cin, k, k)
            for stat, value in (("weight", torch.ones(cout)), ("bias", torch.zeros(cout)), ("running_mean", torch.zeros(cout)), ("running_var", torch.ones(cout))):
                sd[prefix + bn + "." + stat] = value
            sd[prefix + bn + ".num_batches_tracked"] = torch.tensor(0)

        conv_bn("", "conv1", "bn1", 64, 3, 7)
        cin = 64
        for layer, cout in enumerate((64, 128, 256, 512), start=1):
            for block in range(2):
                p = f"layer{layer}.{block}."
                conv_bn(p, "conv1", "bn1", cout, cin if block == 0 else cout, 3)
                conv_bn(p, "conv2", "bn2", cout, cout, 3)
                if block == 0 and layer > 1:
                    conv_bn(p, "downsample.0", "downsample.1", cout, cin, 1)
            cin = cout
        sd["fc.weight"] = torch.randn(1000, 512)
        sd["fc.bias"] = torch.randn(1000)
        sd._metadata = collections.OrderedDict([("", {"version": 1})])
        made_by = "by hand"
    save("resnet18", sd, sd)
    with open(os.path.join(out, "resnet18.source"), "w") as f:
        f.write(made_by)

if "safety" in groups:
    small = collections.OrderedDict(w=torch.arange(4.0))
    torch.save(small, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.jit.script(torch.nn.Linear(2, 2)).save(os.path.join(out, "torchscript.pt"))
    torch.save(small, os.path.join(out, "little.pth"))

    def rezip(source, target, extra=None, replace=None):
        """Copies a checkpoint zip, adding entries (`extra`) or replacing some (`replace`)."""
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zout:
            folder = zin.namelist()[0].split("/")[0]
            for info in zin.infolist():
                name = info.filename[len(folder) + 1:]
                zout.writestr(info, (replace or {}).get(name, zin.read(info)))
            for name, data in (extra or {}).items():
                zout.writestr(folder + "/" + name, data)

    rezip(os.path.join(out, "little.pth"), os.path.join(out, "bigendian.pth"), extra={"byteorder": "big"})

    def unicode(s):
        b = s.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    # Payloads that Python's pickle would run; each would create its marker file.
    marker = lambda name: os.path.join(out, name + ".ran")
    payloads = {
        "os_system": b"\x80\x02cos\nsystem\n" + unicode("touch " + marker("os_system")) + b"\x85R.",
        "builtins_eval": b"\x80\x02cbuiltins\neval\n" + unicode(f"open({marker('builtins_eval')!r}, 'w').close()") + b"\x85R.",
        # getattr(__import__("os"), "system")(...), as Python 2 names them.
        "getattr": b"\x80\x02c__builtin__\ngetattr\nc__builtin__\n__import__\n" + unicode("os") + b"\x85R" + unicode("system") + b"\x86R" + unicode("touch " + marker("getattr")) + b"\x85R.",
        # Protocol 4 names globals from the stack.
        "stack_global": b"\x80\x04\x8c\x02os\x8c\x06system\x93" + unicode("touch " + marker("stack_global")) + b"\x85R.",
    }
    # A real checkpoint whose tensor carries, as its backward hooks, a call to os.system.
    with zipfile.ZipFile(os.path.join(out, "little.pth")) as z:
        pkl = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    # requires_grad False, then OrderedDict() from the memo: the hooks become os.system(...)
    hidden, found = re.subn(rb"\x89h.\)R", lambda _: b"\x89cos\nsystem\n" + unicode("touch " + marker("hidden_in_tensor")) + b"\x85R", pkl, flags=re.DOTALL)
    assert found == 1, pkl
    payloads["hidden_in_tensor"] = hidden
    for name, payload in payloads.items():
        rezip(os.path.join(out, "little.pth"), os.path.join(out, f"evil_{name}.pth"), replace={"data.pkl": payload})
        with open(os.path.join(out, f"evil_{name}.pkl"), "wb") as f:
            f.write(payload)

if "pickles" in groups:
    value = {
        "list": [1, -2, 3.5, None, True, False, -1.25e-300],
        "tuple": (1, (2, 3), ()),
        "ints": [0, 255, 256, 65535, 65536, -1, 2**31 - 1, -(2**31), 2**40, -(2**40), 2**53, 2**70, -(2**70)],
        "text": "héllo ✓",
        "bytes": b"\x00\xff",
        "nested": {"x": [{}], "y": {"z": []}},
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "shared": [[1, 2]] * 2,
    }
    for protocol in (2, 3, 4):
        with open(os.path.join(out, f"values_p{protocol}.pkl"), "wb") as f:
            f.write(pickle.dumps(value, protocol=protocol))
