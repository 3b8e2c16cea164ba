// Pass: turn a feature extractor (no classifier: HF ViTModel / DINOv2 / ResNetModel exports with outputs
// `last_hidden_state` and `pooler_output`) into a graph with ONE output, the feature vector [N, D] a linear probe
// trains on. For token outputs [N, T, D] it is the CLS token of `last_hidden_state` (after the final norm) —
// what ViTForImageClassification's classifier and the LoR-VP/VPT papers' linear heads read, and equal to DINOv2's
// pooler_output —; for a pooled CNN output [N, C, 1, 1] it is that output flattened; a 2-D output is used as is.
// Detection: two or more outputs one of which is named last_hidden_state or pooler_output, or a first output of
// rank 3 (a token sequence) or rank 4. Records `vp.features` in the model metadata (what was chosen).
// Invariants after: g.outputs is [features] with features [N, D]; other outputs are dropped (dead nodes are left
// for dead-code removal); classifiers (one [N, K] output) are untouched; `vp.features.ref` records which output of the
// file the features are (and which token of it), so that the load check can compare them with the file's own.
// Returns what it chose, or undefined.
import type { Graph, Value } from '../ir.ts';
import { fromNumbers } from '../tensor.ts';

export const FEATURES_KEY = 'vp.features';
/** JSON {output, token?}: the file's output (and token along axis 1) that the features equal. */
export const FEATURES_REF_KEY = 'vp.features.ref';

export function isFeatureExtractor(g: Graph): boolean {
  if (g.metadata[FEATURES_KEY]) return true;
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
  if (tokens) {
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
