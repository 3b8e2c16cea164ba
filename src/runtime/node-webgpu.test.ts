// NodeWebGpuExecutor's placement check, in a child process on Chromium's SwiftShader Vulkan driver (Dawn reads
// VK_ICD_FILENAMES once per process): a graph with a node the WebGPU EP has no kernel for (Det) still runs, right,
// with the CPU EP's help, and the executor says so once; a graph that runs wholly on the GPU adds nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const HERE = import.meta.dirname;

const CHILD = `
import { Graph } from '${join(HERE, '../onnx/ir.ts')}';
import { encodeModel } from '${join(HERE, '../onnx/codec.ts')}';
import { elementwiseModel } from '${join(HERE, '../onnx/tiny.ts')}';
import { NodeWebGpuExecutor } from '${join(HERE, 'node-webgpu.ts')}';
const g = new Graph();
const x = g.value('x'); x.dtype = 'float32'; x.shape = [3, 3]; g.inputs.push(x);
const d = g.value('d'); d.dtype = 'float32'; d.shape = [];
const y = g.value('y'); y.dtype = 'float32'; y.shape = [];
g.addNode('Det', [x], [d]);
g.addNode('Add', [d, d], [y]);
g.outputs.push(y);
const notices = [];
const ex = await NodeWebGpuExecutor.open({ notice: (l) => notices.push(l) });
const out = {};
const plain = await ex.createSession(elementwiseModel('Add', [{ dtype: 'float32', shape: [3] }]));
out.afterPlain = ex.cpuFallback;
const s = await ex.createSession(encodeModel(g));
const r = await s.run({ x: ex.upload({ dtype: 'float32', shape: [3, 3], data: Float32Array.of(2, 0, 0, 0, 3, 0, 1, 0, 4) }) });
out.y = (await ex.download(r.y)).data[0];
await ex.createSession(encodeModel(g));
out.after = ex.cpuFallback;
out.notices = notices;
await plain.release(); await s.release(); await ex.close();
console.log(JSON.stringify(out));
`;

describe('NodeWebGpuExecutor placement', () => {
  it.runIf(existsSync(SWIFTSHADER))('runs a node without a WebGPU kernel on the CPU EP and says so once', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: join(HERE, '../..'), encoding: 'utf8', env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: tmpdir() },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { afterPlain: number; y: number; after: number; notices: string[] };
    expect(out.afterPlain).toBe(0);
    expect(out.y).toBeCloseTo(2 * 24, 4);   // 2 · det(diag-ish matrix) = 2 · (2·3·4)
    expect(out.after).toBe(2);
    expect(out.notices).toHaveLength(1);
    expect(out.notices[0]).toMatch(/^note: onnxruntime runs some nodes on the CPU EP .*--verbose names them$/);
  }, 120_000);
});
