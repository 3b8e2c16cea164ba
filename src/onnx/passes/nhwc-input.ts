// Pass: channels-last image inputs (tf2onnx files: Model Zoo efficientnet-lite4-11 takes `images:0` [1,224,224,3])
// become channels-first, so that prompts are applied in NCHW image space like every other backbone: the input is
// re-declared [N, 3, H, W] under the same name and a Transpose (perm 0,2,3,1) gives the file's nodes the NHWC
// tensor they read (onnxruntime folds it into their own Transpose back to NCHW). And a Softmax at the output
// (tf2onnx keeps the classifier's softmax) is not class scores for a head to train on: the output becomes its input,
// the logits. Detection: a rank-4 input with 3 as its last dim and not as its second; an output made by Softmax over
// its last axis (behind reshapes). Invariants after: the first input is [N, 3, H, W]; `vp.input_layout` = NHWC records that the
// file itself takes NHWC (the load check transposes its batch). Returns what it did, one line each.
import type { Graph } from '../ir.ts';

export const LAYOUT_KEY = 'vp.input_layout';

export function nhwcInput(g: Graph): string[] {
  const notes: string[] = [];
  const x = g.inputs[0], s = x?.shape;
  if (s && s.length === 4 && s[3] === 3 && s[1] !== 3 && !g.metadata[LAYOUT_KEY]) {
    const nhwc = g.newValue(`${x.name}_nhwc`);
    nhwc.dtype = x.dtype;
    for (const u of [...x.users]) u.inputs.forEach((v, i) => { if (v === x) g.setInput(u, i, nhwc); });
    g.addNode('Transpose', [x], [nhwc], { perm: { type: 'ints', value: [0, 2, 3, 1] } }, { at: 0 });
    x.shape = [s[0], 3, s[1], s[2]];
    g.metadata[LAYOUT_KEY] = 'NHWC';
    notes.push(`input '${x.name}' [${s}] is channels-last (NHWC): read as NCHW [${x.shape}] through a Transpose, so prompts apply in image space`);
  }
  const out = g.outputs[0];
  // (the opset upgrade wraps an opset < 13 Softmax in Flatten / Reshape to keep its 2-D semantics)
  let sm = out?.producer;
  while (sm && (sm.opType === 'Reshape' || sm.opType === 'Flatten' || sm.opType === 'Identity')) sm = sm.input(0).producer;
  if (sm?.opType === 'Softmax' && g.outputs.length === 1) {
    const axis = sm.attrInt('axis', g.opset >= 13 ? -1 : 1);
    if (axis === -1 || axis === 1) {
      let logits = sm.input(0);
      while (logits.producer && (logits.producer.opType === 'Flatten' || logits.producer.opType === 'Reshape')) logits = logits.producer.input(0);
      g.outputs = [logits];
      notes.push(`output '${out.name}' is a Softmax: the head reads the logits before it ('${g.outputs[0].name}')`);
    }
  }
  return notes;
}
