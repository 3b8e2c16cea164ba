// The attribute audit, table-driven: the table covers every attribute the ONNX schemas (opset 7 to 17, from
// scripts/onnx_attribute_schema.py) give the ops it lists; each restricted value, an unknown attribute and the
// opset-18 Resize attributes we do not honour are refused in one line naming op, node, attribute and value; the
// values we honour pass; and a model carrying one is refused by loadBackbone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTES } from '../attributes.ts';
import { loadBackbone } from '../backbone.ts';
import { encodeModel } from '../codec.ts';
import { Graph, type Attr } from '../ir.ts';
import { fromNumbers } from '../tensor.ts';
import { auditAttributes } from './audit-attributes.ts';

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../../tests/fixtures/onnx-attributes.json'), 'utf8')) as { ops: Record<string, string[]> };
const attr = (v: number | string): Attr => (typeof v === 'string' ? { type: 'string', value: v } : { type: 'int', value: v });

function oneNode(op: string, attrs: Record<string, Attr>): Graph {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 3, 8, 8];
  g.inputs = [x];
  const y = g.value('y');
  g.addNode(op, [x], [y], attrs, { name: `the_${op}` });
  g.outputs = [y];
  return g;
}

describe('attribute audit', () => {
  it('the table names every attribute the ONNX schemas give its ops (opset 7–17)', () => {
    const missing: string[] = [];
    for (const [op, spec] of Object.entries(ATTRIBUTES)) for (const a of schema.ops[op] ?? []) if (!(a in spec)) missing.push(`${op}.${a}`);
    expect(missing).toEqual([]);
  });

  // every restricted attribute: one value we do not honour
  const refused: [string, string, number | string][] = [
    ['Resize', 'antialias', 2], ['Resize', 'keep_aspect_ratio_policy', 'not_larger'], ['Resize', 'coordinate_transformation_mode', 'tf_crop_and_resize'],
    ['Resize', 'coordinate_transformation_mode', 'half_pixel_symmetric'], ['Resize', 'mode', 'area'], ['Resize', 'nearest_mode', 'simple'],
    ['BatchNormalization', 'spatial', 0], ['BatchNormalization', 'training_mode', 1], ['Pad', 'mode', 'reflect'], ['Pad', 'mode', 'edge'],
    ['Mod', 'fmod', 1], ['Gelu', 'approximate', 'sigmoid'], ['ConvTranspose', 'auto_pad', 'SAME_UPPER'],
  ];
  for (const [op, name, value] of refused) {
    it(`refuses ${op} ${name}=${value}`, () => {
      expect(() => auditAttributes(oneNode(op, { [name]: attr(value) }))).toThrow(new RegExp(`^${op} 'the_${op}': attribute ${name}=('${value}'|${value}) is not supported \\(honoured: `));
    });
  }
  for (const [op, name] of [['Resize', 'axes'], ['Conv', 'bogus'], ['Add', 'broadcast']]) {
    it(`refuses ${op} with an attribute it does not know (${name})`, () => {
      expect(() => auditAttributes(oneNode(op, { [name]: attr(1) }))).toThrow(`${op} 'the_${op}': attribute ${name}=1 is not supported (nothing here honours it)`);
    });
  }
  it('passes the values it honours, and ops it does not audit', () => {
    auditAttributes(oneNode('Resize', { mode: attr('cubic'), antialias: attr(1), keep_aspect_ratio_policy: attr('stretch'), exclude_outside: attr(1) }));
    auditAttributes(oneNode('Pad', { mode: attr('constant') }));
    auditAttributes(oneNode('SomeCustomOp', { anything: attr(3) }));
  });

  it('loadBackbone refuses a model with an attribute we would ignore, naming it', () => {
    const g = new Graph();
    g.opsetImports = [{ domain: '', version: 18 }];
    const x = g.value('pixel_values'); x.dtype = 'float32'; x.shape = ['batch', 3, 16, 16];
    g.inputs = [x];
    const w = g.addInitializer('w', fromNumbers('float32', [10, 3 * 16 * 16], new Float32Array(10 * 768).fill(0.01)));
    const r = g.value('r'), flat = g.value('flat'), y = g.value('logits');
    g.addNode('Pad', [x, g.addInitializer('pads', fromNumbers('int64', [8], [0, 0, 1, 1, 0, 0, 1, 1]))], [r], { mode: attr('reflect') }, { name: 'reflect_pad' });
    const crop = g.value('crop');
    g.addNode('Slice', [r, g.addInitializer('st', fromNumbers('int64', [2], [1, 1])), g.addInitializer('en', fromNumbers('int64', [2], [17, 17])), g.addInitializer('ax', fromNumbers('int64', [2], [2, 3]))], [crop]);
    g.addNode('Flatten', [crop], [flat], { axis: attr(1) });
    g.addNode('Gemm', [flat, w], [y], { transB: attr(1) });
    g.outputs = [y];
    expect(() => loadBackbone(encodeModel(g))).toThrow("Pad 'reflect_pad': attribute mode='reflect' is not supported (honoured: 'constant')");
  });
});
