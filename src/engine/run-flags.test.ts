// A run's settings survive the trip through `train` flags (how every checkpoint stores them) exactly, and a flag
// that is not a number is one line naming it.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, type TrainConfig } from './config.ts';
import { configOfFlags, flagsOfConfig } from './run-flags.ts';

const at = { model: 'm.onnx', data: 'pets', out: '.', inputSize: 224 };

describe('run flags', () => {
  const configs: TrainConfig[] = [
    { ...DEFAULTS },
    { ...DEFAULTS, method: 'vpt-deep', head: 'ilm', tokens: 10, mappingFreq: 3, optimizer: 'adamw', lr: 1e-4, promptLr: 0.0025, weightDecay: 0.05, scheduler: 'multistep', warmup: 17, seed: 123456789, shuffle: false, augment: false, valFraction: 0.125, microBatch: 4, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
    { ...DEFAULTS, method: 'pad', head: 'fm', padWidth: 48, epochs: 1, batchSize: 1, lr: 40, momentum: 0, scheduler: 'constant', init: 'xavier,kaiming' },
  ];
  it('configOfFlags(flagsOfConfig(cfg)) is cfg', () => {
    for (const cfg of configs) expect(configOfFlags(flagsOfConfig(cfg, at))).toEqual(cfg);
  });
  it('writes numbers as JavaScript (and Python\'s flags_from_settings) do, and names the places', () => {
    const f = flagsOfConfig(configs[1], { ...at, val: 'pets-val' });
    expect(f).toMatchObject({ model: 'm.onnx', data: 'pets', val: 'pets-val', lr: '0.0001', promptLr: '0.0025', seed: '123456789', shuffle: false, inputSize: '224', mean: '0.48145466,0.4578275,0.40821073' });
    expect(flagsOfConfig(DEFAULTS, at)).not.toHaveProperty('promptLr');
  });
  it('a value that is not a number is one line naming the flag', () => {
    expect(() => configOfFlags({ ...flagsOfConfig(DEFAULTS, at), lr: 'fast' })).toThrow(/^--lr must be a number, got "fast"$/);
    expect(() => configOfFlags({ ...flagsOfConfig(DEFAULTS, at), mean: '0.5,0.5' })).toThrow(/^--mean needs 3 comma-separated values, got "0.5,0.5"$/);
  });
});
