// L from the graph: a DINOv2 whose position-grid Resize takes its size from the input adapts to any L; the same
// export with the scale traced as a constant (`scale_factor = h / 37`) only runs at the traced L, and a request for
// another L is refused naming the L that works (it used to fail later with "cannot broadcast shapes").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBackbone } from '../backbone.ts';
import { decodeModel, encodeModel } from '../codec.ts';
import { fromNumbers } from '../tensor.ts';

const DINO = join(import.meta.dirname, '../../../tests/fixtures/hub/dinov2-features/model.onnx');

function tracedScale(): Uint8Array {
  const g = decodeModel(new Uint8Array(readFileSync(DINO)));
  const r = g.nodes.find((n) => n.opType === 'Resize')!;
  g.setInput(r, 3, null);
  g.setInput(r, 2, g.addInitializer('traced_scales', fromNumbers('float32', [4], [1, 1, 16 / 37, 16 / 37])));
  return encodeModel(g);
}

describe('input size of a DINOv2 export', () => {
  it('a Resize sized from the input runs at any multiple of the patch', () => {
    const raw = new Uint8Array(readFileSync(DINO));
    expect(loadBackbone(raw, { inputSize: 112 }).inputSize).toMatchObject({ size: 112, source: 'option' });
  });
  it('a constant traced scale fixes L at the traced size, and another L is refused naming it', () => {
    const file = tracedScale();
    expect(loadBackbone(file).inputSize).toMatchObject({ size: 224, source: 'graph', fixed: true });
    expect(() => loadBackbone(file, { inputSize: 112 })).toThrow(/^input size 112 does not fit this backbone: .*this export only runs at L = 224/);
  });
});
