// Method & head: the prompt method and output mapping with their own knobs, the common optimiser/schedule
// settings, paper presets, and a live count of trainable parameters (from the worker's initParams shapes).
import { isActive } from '../store/state.ts';
import { INITS, type HeadKind, type InitKind, type Method, type OptimizerKind, type SchedulerKind } from '../engine/config.ts';
import { useActions, useSettingProblems, useStudio } from '../store/hooks.ts';
import { catalogEntryOf } from '../store/catalog.ts';
import { PRESETS } from '../store/presets.ts';
import { fmtInt, fmtMiB, fmtNum } from './format.ts';
import { Field, NumberInput, Panel, Select } from './widgets.tsx';


const METHOD_LABELS: Record<Method, string> = { lorvp: 'LoR-VP (low-rank prompt)', vpt: 'VPT shallow', 'vpt-deep': 'VPT deep', pad: 'Pad prompt', none: 'None (linear probe)' };
const HEAD_LABELS: Record<HeadKind, string> = { lp: 'lp — new linear head on features', fm: 'fm — linear map of source logits', flm: 'flm — frequency label mapping', ilm: 'ilm — iterative label mapping' };

/** What a teacher can point at, per method: what is trained, where it enters the network, and the paper. */
const METHOD_NOTES: Record<Method, { trains: string; where: string; paper: string }> = {
  lorvp: { trains: 'two thin matrices per colour channel, B (L×r) and A (r×L); their product is a full-size image prompt P = B·A',
    where: "added to every image before normalisation: x' = normalise(x + B·A) — the backbone itself never changes",
    paper: 'Jin et al., "LoR-VP: Low-Rank Visual Prompting", ICLR 2025' },
  vpt: { trains: 'p extra tokens of the ViT\'s width',
    where: 'inserted after the CLS token (and any distillation or register tokens), before the patch tokens, at the first transformer block: [CLS, p₁…pₚ, patches]',
    paper: 'Jia et al., "Visual Prompt Tuning", ECCV 2022' },
  'vpt-deep': { trains: 'p extra tokens for every transformer block',
    where: 'the prompt tokens are replaced by a new learned set before each block',
    paper: 'Jia et al., "Visual Prompt Tuning", ECCV 2022 (VPT-deep)' },
  pad: { trains: 'a frame of learned pixels of width p around the image (the centre stays untouched)',
    where: "added to the normalised image: x' = normalise(x) + frame",
    paper: 'Bahng et al., "Exploring Visual Prompts for Adapting Large-Scale Models", 2022' },
  none: { trains: 'only the head (a linear probe)', where: 'nothing enters the backbone: the frozen features go to a new linear layer',
    paper: 'the standard baseline every prompt must beat' },
};

export function MethodPanel() {
  const cfg = useStudio((s) => s.cfg);
  const backend = useStudio((s) => s.backend);
  const budget = useStudio((s) => s.gpuBudgetMiB);
  const gpu = backend.ep === 'webgpu' ? backend : undefined;
  const info = useStudio((s) => s.backbone.info);
  const plan = useStudio((s) => s.plan);
  const busy = useStudio((s) => isActive(s.run.phase));
  const a = useActions();
  const problems = useSettingProblems();
  const vit = info?.family === 'vit';
  const hasSource = info?.numSourceClasses !== undefined;
  const [bInit, aInit] = cfg.init.split(',') as [InitKind, InitKind];
  const initOptions = INITS.map((v) => ({ value: v, label: v }));
  const share = info && plan && !plan.error ? (100 * plan.trainable) / info.params : undefined;
  const rec = useStudio((s) => catalogEntryOf(s.catalog, s.backbone)?.recommended);
  const err = (field: string) => (problem: string | undefined) => a.setFieldError(field, problem);

  return (
    <Panel title="3 · Method" aside={
      <select aria-label="preset" value="" onChange={(e) => a.applyPreset(e.target.value)}>
        <option value="">Paper presets…</option>
        {PRESETS.map((p) => <option key={p.id} value={p.id}>{p.label}</option>)}
      </select>
    }>
      <fieldset disabled={busy} className="grid">
        <Field label="method">
          <Select testId="method-select" value={cfg.method} onChange={(method) => a.setCfg({ method })}
            options={(Object.keys(METHOD_LABELS) as Method[]).map((m) => ({ value: m, label: METHOD_LABELS[m], disabled: (m === 'vpt' || m === 'vpt-deep') && info !== undefined && !vit }))} />
        </Field>
        <Field label="head">
          <Select testId="head-select" value={cfg.head} onChange={(head) => a.setCfg({ head })}
            options={(Object.keys(HEAD_LABELS) as HeadKind[]).map((h) => ({ value: h, label: HEAD_LABELS[h], disabled: h !== 'lp' && info !== undefined && !hasSource }))} />
        </Field>
        {cfg.method === 'lorvp' && <>
          <Field label="rank r"><NumberInput label="rank r" problem={problems['rank r']} onError={err('rank r')} value={cfg.rank} min={1} integer onChange={(rank) => a.setCfg({ rank })} /></Field>
          <Field label="init B, A">
            <span className="pair">
              <Select label="init of B" value={bInit} options={initOptions} onChange={(v) => a.setCfg({ init: `${v},${aInit}` })} />
              <Select label="init of A" value={aInit} options={initOptions} onChange={(v) => a.setCfg({ init: `${bInit},${v}` })} />
            </span>
          </Field>
        </>}
        {cfg.method === 'pad' && <Field label="pad width p"><NumberInput label="pad width p" problem={problems['pad width p']} onError={err('pad width p')} value={cfg.padWidth} min={1} integer onChange={(padWidth) => a.setCfg({ padWidth })} /></Field>}
        {(cfg.method === 'vpt' || cfg.method === 'vpt-deep') && <Field label="prompt tokens"><NumberInput label="prompt tokens" problem={problems['prompt tokens']} onError={err('prompt tokens')} value={cfg.tokens} min={1} integer onChange={(tokens) => a.setCfg({ tokens })} /></Field>}
        {cfg.head === 'ilm' && <Field label="mapping every (epochs)"><NumberInput label="mapping every (epochs)" problem={problems['mapping every (epochs)']} onError={err('mapping every (epochs)')} value={cfg.mappingFreq} min={1} integer onChange={(mappingFreq) => a.setCfg({ mappingFreq })} /></Field>}
        <Field label="epochs"><NumberInput label="epochs" problem={problems['epochs']} onError={err('epochs')} testId="epochs-input" value={cfg.epochs} min={1} integer onChange={(epochs) => a.setCfg({ epochs })} /></Field>
        <Field label="batch size" hint={info?.fixedBatch !== undefined ? `the export's batch of ${info.fixedBatch} is re-specialised` : undefined}>
          <NumberInput label="batch size" problem={problems['batch size']} onError={err('batch size')} value={cfg.batchSize} min={1} integer onChange={(batchSize) => a.setCfg({ batchSize })} />
        </Field>
        <Field label="micro-batch" hint="accumulate gradients over micro-batches of this many images (0: off) — for large backbones on small GPUs">
          <NumberInput label="micro-batch" problem={problems['micro-batch']} onError={err('micro-batch')} value={cfg.microBatch} min={0} max={cfg.batchSize} integer onChange={(microBatch) => a.setCfg({ microBatch })} />
        </Field>
        {gpu && <Field label="GPU memory budget (MiB)" hint={`what one step may use on this GPU; over it, the step is micro-batched${gpu.limits ? ` (this adapter: buffers up to ${fmtMiB(gpu.limits.maxBufferSize)}, one binding up to ${fmtMiB(gpu.limits.maxStorageBufferBindingSize)} — every tensor is kept within it)` : ''}`}>
          <NumberInput label="GPU memory budget (MiB)" problem={problems['GPU memory budget (MiB)']} onError={err('GPU memory budget (MiB)')} testId="gpu-budget" value={budget} min={64} integer onChange={(mib) => a.setGpuBudget(mib)} />
        </Field>}
        {cfg.method !== 'none' && <Field label="prompt learning rate" hint="the prompt's own learning rate (0: the same as the learning rate); it follows the same schedule">
          <NumberInput label="prompt learning rate" problem={problems['prompt learning rate']} onError={err('prompt learning rate')} value={cfg.promptLr ?? 0} min={0} onChange={(promptLr) => a.setCfg({ promptLr })} />
        </Field>}
        <Field label="learning rate"><NumberInput label="learning rate" problem={problems['learning rate']} onError={err('learning rate')} value={cfg.lr} min={0} onChange={(lr) => a.setCfg({ lr })} /></Field>
        <Field label="optimiser">
          <Select<OptimizerKind> value={cfg.optimizer} testId="optimizer-select" options={[{ value: 'sgd', label: 'SGD + momentum' }, { value: 'adamw', label: 'AdamW' }]} onChange={(optimizer) => a.setCfg({ optimizer })} />
        </Field>
        {cfg.optimizer === 'sgd' && <Field label="momentum"><NumberInput label="momentum" problem={problems['momentum']} onError={err('momentum')} value={cfg.momentum} min={0} max={1} onChange={(momentum) => a.setCfg({ momentum })} /></Field>}
        <Field label="weight decay"><NumberInput label="weight decay" problem={problems['weight decay']} onError={err('weight decay')} value={cfg.weightDecay} min={0} onChange={(weightDecay) => a.setCfg({ weightDecay })} /></Field>
        <Field label="schedule">
          <Select<SchedulerKind> value={cfg.scheduler} options={[{ value: 'cosine', label: 'cosine' }, { value: 'multistep', label: 'multistep (×0.1 at 50%, 72%)' }, { value: 'constant', label: 'constant' }]} onChange={(scheduler) => a.setCfg({ scheduler })} />
        </Field>
        <Field label="warm-up steps"><NumberInput label="warm-up steps" problem={problems['warm-up steps']} onError={err('warm-up steps')} value={cfg.warmup} min={0} integer onChange={(warmup) => a.setCfg({ warmup })} /></Field>
        <Field label="validation share" hint="held out per class when the data has no val/ folder"><NumberInput label="validation share" problem={problems['validation share']} onError={err('validation share')} value={cfg.valFraction} min={0} max={0.9} onChange={(valFraction) => a.setCfg({ valFraction })} /></Field>
        <Field label="seed"><NumberInput label="seed" problem={problems['seed']} onError={err('seed')} value={cfg.seed} integer onChange={(seed) => a.setCfg({ seed })} /></Field>
        <label className="check"><input type="checkbox" checked={cfg.augment} onChange={(e) => a.setCfg({ augment: e.target.checked })} /> augmentation (resize 9/8, random crop, flip)</label>
        <label className="check"><input type="checkbox" checked={cfg.shuffle} onChange={(e) => a.setCfg({ shuffle: e.target.checked })} /> shuffle</label>
      </fieldset>
      {rec && <div className="muted" data-testid="recommended">Learning rates for this backbone: {rec.lr}{rec.promptLr ? ` (prompt ${rec.promptLr})` : ''} — {rec.why}.</div>}
      <details className="method-note" data-testid="method-note" open>
        <summary>What {METHOD_LABELS[cfg.method]} trains</summary>
        <p><b>Trains:</b> {METHOD_NOTES[cfg.method].trains}{plan && !plan.error ? <> — <b>{fmtInt(plan.trainable)}</b> numbers for this backbone and head</> : ''}.</p>
        <p><b>Where:</b> {METHOD_NOTES[cfg.method].where}.</p>
        <p className="muted">{METHOD_NOTES[cfg.method].paper}</p>
      </details>
      <div className="count" data-testid="trainable-count">
        {plan?.error ? <span className="error">{plan.error}</span>
          : plan ? <><b>{fmtInt(plan.trainable)}</b> trainable parameters{info && <> next to the backbone's {fmtInt(info.params)} ({fmtNum(share)}%)</>}
            <span className="muted"> · {Object.entries(plan.shapes).map(([k, s]) => `${k} [${s.join('×')}]`).join(', ')}</span></>
            : <span className="muted">choose a backbone to see the trainable parameters</span>}
      </div>
    </Panel>
  );
}
