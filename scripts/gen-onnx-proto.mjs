// Regenerates src/onnx/onnx.proto.json (the protobufjs reflection descriptor) from scripts/onnx.proto
// (copied from the onnx Python package, Apache-2.0). Run: node scripts/gen-onnx-proto.mjs
import protobuf from 'protobufjs';
import { writeFileSync } from 'node:fs';
const root = protobuf.loadSync(new URL('./onnx.proto', import.meta.url).pathname);
writeFileSync(new URL('../src/onnx/onnx.proto.json', import.meta.url), JSON.stringify(root.toJSON(), null, 1) + '\n');
