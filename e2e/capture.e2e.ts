// Graph-captured WebGPU steps (src/runtime/captured.ts) against uncaptured ones (?capture=0), in Chromium on
// SwiftShader: the same LoR-VP + AdamW run of 21 steps — seven epochs of 24 images at batch 10, each ending on a
// padded batch of 4, with an evaluation after each epoch — must give the same losses, epoch metrics and final
// tensors; onnxruntime's verbose log must say the sessions use graph capture, and every node stays on the WebGPU EP.
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readSafetensors } from '../src/io/safetensors.ts';
import { downloadVia, launch, loadTiny, openStudio, screenshot, setField, snapshot, trainAndWait, type Studio } from './browser.ts';

const baseUrl = inject('baseUrl');
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

async function run(query: string, name: string, micro = 0, twice = false) {
  const s: Studio = await openStudio(browser, baseUrl, `backend=webgpu&preload=0&ortlog=verbose&${query}`);
  await loadTiny(s.page);
  // the adapter's limits are shown, and the step's memory budget is a field of its own on WebGPU
  expect(await s.page.getAttribute('[data-testid=backend]', 'title')).toMatch(/GPU buffers up to \d+ MiB, one binding up to \d+ MiB/);
  expect(await s.page.inputValue('[data-testid=gpu-budget]')).toBe('2048');
  await s.page.selectOption('[data-testid=method-select]', 'lorvp');
  await s.page.selectOption('[data-testid=head-select]', 'lp');
  await s.page.selectOption('[data-testid=optimizer-select]', 'adamw');
  await s.page.fill('[data-testid=epochs-input]', '7');
  await setField(s.page, 'batch size', 10);
  await setField(s.page, 'learning rate', 0.01);
  await setField(s.page, 'seed', 3);
  if (micro) await setField(s.page, 'micro-batch', micro);
  await s.page.waitForFunction((m) => new RegExp(`one step of batch 10: ${m ? `micro-batches of ${m}` : 'the whole batch at once'} · about \\d+ MiB of the 2,048 MiB budget`).test(document.querySelector('[data-testid=gpu-plan]')?.textContent ?? ''), micro);
  let seconds = await trainAndWait(s.page);
  let snap = await snapshot(s.page);
  let first: typeof snap | undefined;
  // again in the same page: the captured sessions reuse the devices the first run released
  if (twice) { first = snap; seconds = await trainAndWait(s.page); snap = await snapshot(s.page); }
  const tensors = readSafetensors(new Uint8Array(readFileSync(await downloadVia(s.page, 'export-prompt', name)))).tensors;
  const capture = await s.page.getAttribute('[data-testid=capture]', 'data-on');
  await screenshot(s.page, `capture-${name}`);
  await s.context.close();
  return { s, seconds, snap, tensors, capture, first };
}

describe('graph-captured WebGPU steps', () => {
  it('give the uncaptured steps\' losses, epoch metrics and tensors over 21 steps across epochs and padded batches', async () => {
    const on = await run('', 'on');
    const off = await run('capture=0', 'off');
    expect(on.capture).toBe('1');
    expect(off.capture).toBe('0');
    // onnxruntime says so when it creates the step's session (lines come twice: console and error stream)
    const says = new Set(on.s.captureLog.filter((l) => /will use the graph capture feature/.test(l)).map((l) => l.replace(/^error: /, '')));
    console.log(`onnxruntime: ${[...says].map((l) => l.replace(/^.*\] /, '')).join(' | ')}`);
    expect(says.size).toBeGreaterThanOrEqual(1);
    expect(off.s.captureLog.filter((l) => /will use the graph capture feature/.test(l))).toEqual([]);
    expect(on.s.placements.filter((l) => /CPUExecutionProvider/.test(l))).toEqual([]);
    expect(on.snap.epochs.length).toBe(7);
    // the losses of the steps both read back (at most every 200 ms on a GPU, and each epoch's last step)
    const common = on.snap.steps.filter((t) => off.snap.steps.includes(t));
    expect(common).toEqual(expect.arrayContaining([2, 5, 8, 11, 14, 17, 20]));
    const dLoss = Math.max(...common.map((t) => Math.abs(on.snap.losses[on.snap.steps.indexOf(t)] - off.snap.losses[off.snap.steps.indexOf(t)])));
    // every step's loss enters its epoch's mean training loss, summed on the device
    const dEpoch = Math.max(...on.snap.epochs.map((e, i) => Math.abs(e.train_acc - off.snap.epochs[i].train_acc) + Math.abs((e.val_acc ?? 0) - (off.snap.epochs[i].val_acc ?? 0))));
    let dTensor = 0;
    for (const [k, t] of Object.entries(off.tensors)) {
      const a = t.data as Float32Array, b = on.tensors[k].data as Float32Array;
      for (let i = 0; i < a.length; i++) dTensor = Math.max(dTensor, Math.abs(a[i] - b[i]));
    }
    console.log(`captured ${on.seconds.toFixed(1)} s vs uncaptured ${off.seconds.toFixed(1)} s (SwiftShader); ${common.length} common losses, max |Δloss| ${dLoss.toExponential(2)}, epoch metrics Δ ${dEpoch}, max |Δtensor| ${dTensor.toExponential(2)}`);
    expect(dLoss).toBeLessThanOrEqual(1e-6);
    expect(dEpoch).toBe(0);
    expect(dTensor).toBeLessThanOrEqual(1e-6);
    // the run learned, so the comparison is not of two idle runs
    expect(on.snap.losses[on.snap.losses.length - 1]).toBeLessThan(on.snap.losses[0]);
  }, 600_000);

  it('micro-batched (accumulate and apply captured, each on its own device), twice in one page: the whole batch\'s results', async () => {
    const micro = await run('', 'micro', 5, true);
    // the second run in the page (devices reused) repeats the first exactly
    const accs = (epochs: { train_acc: number; val_acc: number | null }[]) => epochs.map((e) => [e.train_acc, e.val_acc]);
    expect(micro.snap.epochs).toHaveLength(7);
    expect(accs(micro.snap.epochs)).toEqual(accs(micro.first!.epochs));
    const f = micro.first!, both = micro.snap.steps.filter((t) => f.steps.includes(t));
    expect(both.length).toBeGreaterThanOrEqual(7);
    expect(both.map((t) => micro.snap.losses[micro.snap.steps.indexOf(t)])).toEqual(both.map((t) => f.losses[f.steps.indexOf(t)]));
    const whole = await run('capture=0', 'whole');
    expect(micro.capture).toBe('1');
    let dTensor = 0;
    for (const [k, t] of Object.entries(whole.tensors)) {
      const a = t.data as Float32Array, b = micro.tensors[k].data as Float32Array;
      for (let i = 0; i < a.length; i++) dTensor = Math.max(dTensor, Math.abs(a[i] - b[i]));
    }
    const dAcc = Math.max(...whole.snap.epochs.map((e, i) => Math.abs((e.val_acc ?? 0) - (micro.snap.epochs[i].val_acc ?? 0))));
    console.log(`captured micro-batches of 5 vs uncaptured batch 10: max |Δtensor| ${dTensor.toExponential(2)}, val acc Δ ${dAcc}; ${micro.seconds.toFixed(1)} s vs ${whole.seconds.toFixed(1)} s`);
    expect(dTensor).toBeLessThan(1e-4);   // a sum in another order
    expect(dAcc).toBe(0);
  }, 600_000);
});
