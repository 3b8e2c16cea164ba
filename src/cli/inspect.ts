// `vp-studio inspect MODEL.onnx`: JSON description of a backbone — family, input/output, penultimate features,
// ViT token and block structure, parameter count, the ops that have no gradient rule, and one line per thing that
// loading did to the file (pinned size, re-batching, opset upgrade, fp16 upcast, dequantization, features).
import { getRule } from '../autodiff/registry.ts';
import { analyze } from '../engine/analyze.ts';
import { decodeModel } from '../onnx/codec.ts';
import { prepareGraph } from '../onnx/load.ts';
import { readBackbone } from './model.ts';

export function inspectModel(bytes: Uint8Array, loading: string[] = []): Record<string, unknown> {
  const raw = decodeModel(bytes);
  const input = raw.inputs[0], output = raw.outputs[0];
  const declared = { input: input && { name: input.name, shape: input.shape, dtype: input.dtype }, output: output && { name: output.name, shape: output.shape, dtype: output.dtype } };
  const fixed = typeof input?.shape?.[0] === 'number' ? (input.shape[0] as number) : 1;
  const g = prepareGraph(raw, { batch: fixed });
  const a = analyze(g);
  const ops = [...new Set(g.nodes.map((n) => n.opType))].sort();
  return {
    loading,
    family: a.family,
    opset: g.opset,
    input: declared.input,
    output: declared.output,
    numClasses: a.numClasses,
    features: a.features && { name: a.features.name, shape: a.features.shape, width: a.featureWidth, ...(a.featureSource ? { source: a.featureSource } : {}), ...(a.featureNote ? { note: a.featureNote } : {}) },
    head: a.headNode && { op: a.headNode.opType, name: a.headNode.name },
    vit: a.vit && {
      tokens: a.vit.tokens.name,
      sequenceLength: a.vit.numPatches + a.vit.prefix,
      prefixTokens: a.vit.prefix,
      numPatches: a.vit.numPatches,
      width: a.vit.width,
      depth: a.vit.blocks.length,
      blockInputs: a.vit.blocks.map((b) => b.name),
      finalStream: a.vit.last.name,
    },
    parameters: a.params,
    ops,
    opsWithoutGradient: ops.filter((o) => !getRule(o)),
  };
}

export async function inspectCommand(path: string, o: { inputSize?: string } = {}): Promise<void> {
  const b = await readBackbone(path, o);
  console.log(JSON.stringify({ file: b.path, ...inspectModel(b.bytes, b.notes), ...(b.meta.labels ? { sourceClasses: b.meta.labels.length } : {}), ...(b.meta.mean ? { mean: b.meta.mean, std: b.meta.std } : {}) }, null, 2));
}
