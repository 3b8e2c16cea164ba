// Valid files of every JSON kind we read, for the schema tests and as the seeds the fuzz tests mutate: a run's
// manifest.json and checkpoint.json as the CLI writes them, and a hub model's config.json and
// preprocessor_config.json as HF writes them.
import { DEFAULTS } from '../../engine/config.ts';
import { MANIFEST_FORMAT, type Manifest } from '../../engine/manifest.ts';
import { CHECKPOINT_FORMAT } from './manifest.ts';

export function sampleManifest(): Manifest {
  return {
    format: MANIFEST_FORMAT, settings: { ...DEFAULTS, rank: 2, epochs: 3 },
    backbone: { file: 'vit.onnx', path: '/models/vit.onnx', sha256: 'ab'.repeat(32), family: 'vit', inputSize: 32, params: 12345 },
    preprocessing: { inputSize: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], range: '[0,1]', resize: 'bilinear', layout: 'NCHW' },
    classes: ['cat', 'dog'], sourceClasses: ['a', 'b', 'c'], loading: ['opset 13 → 17'], trainableParameters: 400, seed: 0,
    data: { train: 16, val: 4, skipped: [{ path: 'x.txt', reason: 'not an image' }] },
    final: { epoch: 2, val_acc: 0.5, steps: 6, seconds: 1.5 }, backend: 'cpu', versions: { 'vp-studio': '0.1.0', node: 'v20' },
    created: '2026-01-01T00:00:00.000Z',
  };
}

export function sampleCheckpoint() {
  const flags = {
    model: 'm.onnx', data: 'data', out: 'run', method: 'lorvp', head: 'lp', rank: '2', init: 'zero,normal', padWidth: '30', tokens: '5',
    mappingFreq: '1', epochs: '3', batchSize: '8', lr: '0.05', optimizer: 'sgd', momentum: '0.9', weightDecay: '1e-4',
    scheduler: 'cosine', warmup: '0', seed: '0', shuffle: true, augment: false, valFraction: '0.2', microBatch: '0', mean: '0.5,0.5,0.5', std: '0.25,0.25,0.25',
  };
  const epoch = { epoch: 0, train_acc: 0.5, train_loss: 0.7, val_acc: 0.5, val_loss: 0.69, images_per_s: 100, seconds: 0.2 };
  return { format: CHECKPOINT_FORMAT, flags, epoch: 1, step: 2, rngState: [1, 2, 3, 4], epochs: [epoch] };
}

export const sampleConfig = () => ({ architectures: ['ViTForImageClassification'], model_type: 'vit', id2label: { 0: 'tench', 1: 'goldfish', 2: 'shark' }, label2id: { tench: 0 } });

export const samplePreprocessor = () => ({
  do_normalize: true, do_rescale: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2, size: { height: 224, width: 224 },
  crop_size: { height: 224, width: 224 }, do_center_crop: true,
});

/** A saved run record as the studio stores it in IndexedDB (JSON-able fields only: no sample images). */
export function sampleRunRecord() {
  const m = sampleManifest();
  return {
    id: 'run-1', name: 'lorvp + lp · vit.onnx · shapes', created: m.created, status: 'done', cfg: m.settings, classes: m.classes,
    backbone: { name: 'vit.onnx', sha256: m.backbone.sha256, info: { family: 'vit', inputName: 'x', inputSize: 32, fixedBatch: null, loadNotes: [], inputSizeFixed: true, params: 1000 } },
    data: { name: 'shapes', train: 16, val: 4, skipped: [] }, trainable: 400, backend: 'wasm', totalSteps: 6,
    steps: [{ step: 0, epoch: 0, loss: 1.1, lr: 0.02, ips: 50, t: 0.1 }], epochs: [sampleCheckpoint().epochs[0]], mapping: [0, 1],
    evaluation: { accuracy: 0.5, loss: 0.7, perClass: [0.5, 0.5], confusion: [[1, 1], [1, 1]], paths: ['a', 'b'], labels: [0, 1], predictions: [0, 0] }, seconds: 2,
  };
}
