// independentFirst: the nodes that do not read (transitively) the given values move ahead of those that do, each
// part keeping its order; and on the starter ViT's train step, onnxruntime then computes each block's GELU backward
// terms (its Erf) inside that block's backward — between two blocks' Erf kernels there is a Gemm — instead of all
// of them at the start of the backward.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchStep } from '../../engine/bench.ts';
import { DEFAULTS } from '../../engine/config.ts';
import { lastRunProfile } from '../../engine/profile.ts';
import { NodeExecutor } from '../../runtime/node-executor.ts';
import { Builder } from '../builder.ts';
import { assertValid } from '../checker.ts';
import { Graph } from '../ir.ts';
import { independentFirst } from './independent-first.ts';

describe('independentFirst', () => {
  it('puts the nodes independent of the seed first, keeping each part\'s order and a topological order', () => {
    const g = new Graph();
    const x = g.value('x'); x.dtype = 'float32'; x.shape = [4];
    const s = g.value('seed'); s.dtype = 'float32'; s.shape = [4];
    g.inputs = [x, s];
    const b = new Builder(g);
    const fwd = b.op('Relu', [x]);
    const d1 = b.mul(s, fwd);             // reads the seed
    const e = b.op('Exp', [fwd]);         // forward-only term of the "backward", written after d1
    const d2 = b.mul(d1, e);
    const n = b.op('Neg', [e]);           // forward-only, written last
    g.outputs = [d2, n];
    const names = () => g.nodes.map((nd) => nd.opType);
    expect(names()).toEqual(['Relu', 'Mul', 'Exp', 'Mul', 'Neg']);
    expect(independentFirst(g, [s])).toBe(true);
    expect(names()).toEqual(['Relu', 'Exp', 'Neg', 'Mul', 'Mul']);
    assertValid(g);
    expect(independentFirst(g, [s])).toBe(false);
  });

  it('onnxruntime computes each block\'s GELU backward terms within that block\'s backward (starter ViT, LoR-VP)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-order-'));
    try {
      const backbone = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/starter-vit.onnx')));
      await benchStep({ backbone, cfg: { ...DEFAULTS, method: 'lorvp', batchSize: 2, augment: false }, numClasses: 10, executor: new NodeExecutor(1, join(dir, 'p')), warmup: 0, steps: 1 });
      const seq = lastRunProfile(JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8'))).sequence;
      const erf = seq.flatMap((op, i) => (op === 'Erf' ? [i] : []));   // the forward GELU is one Gelu kernel: every Erf is backward
      expect(erf.length).toBe(4);   // four blocks
      for (let k = 1; k < erf.length; k++) expect(seq.slice(erf[k - 1], erf[k])).toContain('Gemm');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
