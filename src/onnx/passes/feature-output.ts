// Pass: turn a feature extractor (no classifier: HF ViTModel / DINOv2 / ResNetModel exports with outputs
// `last_hidden_state` and `pooler_output`) into a graph with ONE output, the feature vector [N, D] a linear probe
// trains on. For token outputs [N, T, D] it is the CLS token of `last_hidden_state` (after the final norm) —
// what ViTForImageClassification's classifier and the LoR-VP/VPT papers' linear heads read, and equal to DINOv2's
// pooler_output —; for a pooled CNN output [N, C, 1, 1] it is that output flattened; a 2-D output is used as is.
// Two refinements: a `pooler_output` that is the CLS token after a LayerNorm the token output has not had (HF CLIP:
// last_hidden_state precedes post_layernorm) is read instead — the features CLIP's linear probes use (I_f, "before
// the linear projection to the embedding space", CLIP paper §A.3); and an EMBEDDING model — an output made by a
// projection with no bias (open_clip's `ln_post(x[:,0]) @ proj`, HF CLIP's image_embeds) — has no classes: its
// embedding dimensions are not class scores, so it is a feature extractor whose features are the projection's input.
// Detection: two or more outputs one of which is named last_hidden_state or pooler_output, a first output of
// rank 3 (a token sequence) or rank 4, or an output made by a bias-less projection. Records `vp.features` in the model metadata (what was chosen).
// Invariants after: g.outputs is [features] with features [N, D]; other outputs are dropped (dead nodes are left
// for dead-code removal); classifiers (one [N, K] output) are untouched; `vp.features.ref` records which output of the
// file the features are (and which token of it), so that the load check can compare them with the file's own.
// Returns what it chose, or undefined.
import type { Graph, Value } from '../ir.ts';
import { fromNumbers } from '../tensor.ts';

export const FEATURES_KEY = 'vp.features';
/** JSON {output, token?}: the file's output (and token along axis 1) that the features equal. */
export const FEATURES_REF_KEY = 'vp.features.ref';

/** An output made by a projection with no bias (MatMul by a constant, or Gemm without C): an embedding. */
function embeddingProjection(g: Graph): { out: Value; input: Value } | undefined {
  for (const o of g.outputs) {
    const n = o.producer;
    if (!n || o.shape?.length !== 2 || !n.inputs[1]?.constant) continue;
    if (n.opType === 'MatMul' || (n.opType === 'Gemm' && !n.hasInput(2))) return { out: o, input: n.input(0) };
  }
  return undefined;
}

/** How `v` is computed from `from`: through a LayerNormalization ('norm'), else a mean ('mean', a decomposed norm
 * or a mean-pool), and never a Tanh (BERT-style poolers: tanh(dense(CLS)), which no image classifier reads). */
function pooledFrom(v: Value, from: Value): 'norm' | 'mean' | undefined {
  let norm = false, mean = false, reached = false;
  const seen = new Set<Value>(), stack = [v];
  while (stack.length && seen.size < 64) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x === from) { reached = true; continue; }
    const n = x.producer;
    if (!n) continue;
    if (n.opType === 'Tanh') return undefined;
    // a LayerNormalization, fused or decomposed (x − ReduceMean(x))
    if (n.opType === 'LayerNormalization' || (n.opType === 'Sub' && n.inputs[1]?.producer?.opType === 'ReduceMean' && n.inputs[1].producer.inputs[0] === n.inputs[0])) norm = true;
    if (n.opType === 'ReduceMean') mean = true;
    for (const i of n.inputs) if (i && !i.constant) stack.push(i);
  }
  return !reached ? undefined : norm ? 'norm' : mean ? 'mean' : undefined;
}

export function isFeatureExtractor(g: Graph): boolean {
  if (g.metadata[FEATURES_KEY]) return true;
  if (embeddingProjection(g)) return true;
  const names = g.outputs.map((o) => o.name);
  if (g.outputs.length >= 2 && names.some((n) => /last_hidden_state|pooler_output/.test(n))) return true;
  const r = g.outputs[0]?.shape?.length;
  return r === 3 || r === 4;
}

export function featureOutput(g: Graph): string | undefined {
  if (g.metadata[FEATURES_KEY] || !isFeatureExtractor(g)) return undefined;
  const byRank = (r: number) => g.outputs.find((o) => o.shape?.length === r);
  const tokens = g.outputs.find((o) => o.name.includes('last_hidden_state') && o.shape?.length === 3) ?? byRank(3);
  let feat: Value, what: string, ref: { output: string; token?: number };
  const embedding = embeddingProjection(g);
  const pooler = g.outputs.find((o) => o.name.includes('pooler_output') && o.shape?.length === 2);
  const pooling = tokens && pooler ? pooledFrom(pooler, tokens) : undefined;
  if (embedding) {
    feat = embedding.input;
    ref = { output: feat.name };
    what = `'${feat.name}', the input of the projection to the embedding '${embedding.out.name}' (an embedding model: no classes; CLIP's linear probes read these features)`;
  } else if (tokens && pooler && pooling) {
    feat = pooler;
    ref = { output: pooler.name };
    what = pooling === 'norm'
      ? `'${pooler.name}': the CLS token after the final LayerNorm (which '${tokens.name}' precedes; what CLIP's linear probes read)`
      : `'${pooler.name}': the model's own pooled features (a mean over '${tokens.name}', which its classifier reads)`;
  } else if (tokens) {
    ref = { output: tokens.name, token: 0 };
    feat = g.newValue('vp_features');
    g.addNode('Gather', [tokens, g.addInitializer('vp_cls_index', fromNumbers('int64', [], [0]))], [feat], { axis: { type: 'int', value: 1 } });
    what = `CLS token of '${tokens.name}'`;
  } else {
    const pooled = g.outputs.find((o) => o.name.includes('pooler_output')) ?? byRank(4) ?? byRank(2);
    if (!pooled) throw new Error(`feature extractor outputs [${g.outputs.map((o) => `${o.name} [${o.shape}]`).join(', ')}]: none is a token sequence or a pooled feature`);
    ref = { output: pooled.name };
    if (pooled.shape?.length === 2) { feat = pooled; what = `'${pooled.name}'`; } else {
      feat = g.newValue('vp_features');
      g.addNode('Flatten', [pooled], [feat], { axis: { type: 'int', value: 1 } });
      what = `'${pooled.name}' flattened`;
    }
  }
  g.outputs = [feat];
  g.metadata[FEATURES_KEY] = what;
  g.metadata[FEATURES_REF_KEY] = JSON.stringify(ref);
  return what;
}
