#!/usr/bin/python3
"""Writes tests/fixtures/onnx-attributes.json: for every default-domain ONNX op, the attributes its schema
declares in any opset from 7 (the oldest the project loads) to the installed onnx's newest (Debian's onnx 1.12:
opset 17), from onnx.defs. The test of
src/onnx/attributes.ts checks that every attribute of every op in the project's table is listed there as
honoured or restricted — no spec attribute of an op we fold or differentiate is forgotten.

    /usr/bin/python3 scripts/onnx_attribute_schema.py
"""
import json
import os

import onnx
from onnx import defs

out = {}
names = {s.name for s in defs.get_all_schemas_with_history() if s.domain in ("", "ai.onnx")}
for name in names:
    for version in range(7, defs.onnx_opset_version() + 1):
        try:
            schema = defs.get_schema(name, version, "")
        except Exception:  # the op does not exist yet at this opset
            continue
        if schema.deprecated:
            continue
        out.setdefault(name, set()).update(schema.attributes.keys())
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx-attributes.json")
with open(path, "w") as f:
    json.dump({"onnx": onnx.__version__, "ops": {k: sorted(v) for k, v in sorted(out.items())}}, f, indent=1)
    f.write("\n")
