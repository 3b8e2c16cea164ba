// Presets from the papers (docs/METHODS.md), scaled to the backbone's input size and the run's length where the
// paper's numbers assume ImageNet-sized images or thousands of steps. A preset sets the method, its knobs and the
// optimiser; epochs and batch size stay the user's.
import type { TrainConfig } from '../engine/config.ts';

export interface Preset { id: string; label: string; apply(c: TrainConfig, inputSize: number, stepsPerEpoch: number): TrainConfig }

export const PRESETS: Preset[] = [
  {
    id: 'lorvp', label: 'LoR-VP (Jin et al. 2025)',
    apply: (c) => ({ ...c, method: 'lorvp', head: 'lp', rank: 4, init: 'zero,normal', optimizer: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4, scheduler: 'cosine', warmup: 0, augment: false }),
  },
  {
    id: 'vpt', label: 'VPT shallow (Jia et al. 2022)',
    apply: (c, _L, spe) => ({ ...c, method: 'vpt', head: 'lp', tokens: 5, optimizer: 'sgd', lr: 0.25, momentum: 0.9, weightDecay: 1e-4, scheduler: 'cosine', warmup: Math.min(10, Math.floor(c.epochs / 10)) * spe, augment: false }),
  },
  {
    id: 'vpt-deep', label: 'VPT deep (Jia et al. 2022)',
    apply: (c, _L, spe) => ({ ...c, method: 'vpt-deep', head: 'lp', tokens: 5, optimizer: 'sgd', lr: 0.25, momentum: 0.9, weightDecay: 1e-4, scheduler: 'cosine', warmup: Math.min(10, Math.floor(c.epochs / 10)) * spe, augment: false }),
  },
  {
    id: 'pad', label: 'Pad prompt (Bahng et al. 2022)',
    apply: (c, L, spe) => ({ ...c, method: 'pad', head: 'flm', padWidth: Math.max(1, Math.round((30 * L) / 224)), optimizer: 'sgd', lr: 40, momentum: 0.9, weightDecay: 0, scheduler: 'cosine', warmup: Math.min(1000, Math.floor((c.epochs * spe) / 10)), augment: false }),
  },
  {
    id: 'ilm', label: 'ILM-VP (Chen et al. 2023)',
    apply: (c, L) => ({ ...c, method: 'pad', head: 'ilm', padWidth: Math.max(1, Math.round((30 * L) / 224)), mappingFreq: 1, optimizer: 'adamw', lr: 0.01, momentum: 0.9, weightDecay: 0, scheduler: 'multistep', warmup: 0, augment: false }),
  },
  {
    id: 'probe', label: 'Linear probe',
    apply: (c) => ({ ...c, method: 'none', head: 'lp', optimizer: 'sgd', lr: 0.02, momentum: 0.9, weightDecay: 1e-4, scheduler: 'cosine', warmup: 0 }),
  },
];
