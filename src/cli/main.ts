// The `vp-studio` command: parses argv with commander and dispatches to subcommands. Every failure is one line
// on stderr ("vp-studio: <what went wrong>") and a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { benchCommand, type BenchFlags } from './bench.ts';
import { evalCommand, predictCommand } from './eval.ts';
import { gradCommand } from './grad.ts';
import { inspectCommand } from './inspect.ts';
import { trainCommand, type TrainFlags } from './train.ts';
import { EP_HELP, VERBOSE_HELP } from './ep.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('vp-studio')
    .description('Visual Prompt Studio: train visual prompts on frozen ONNX backbones')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.command('grad')
    .description("write (d output0 / d input0)^T . C of MODEL's first output w.r.t. its first input")
    .argument('<model>', 'ONNX model')
    .requiredOption('--input <x.npy>', 'float32 NCHW batch')
    .requiredOption('--cotangent <c.npy>', 'float32, shaped like the output')
    .requiredOption('--out <g.npy>', 'where to write the gradient (float32, shaped like the input)')
    .action(async (model: string, o: { input: string; cotangent: string; out: string }) => gradCommand(model, o));
  program.command('inspect')
    .description('print what was detected in a backbone, as JSON')
    .argument('<model>', 'ONNX model file or hub folder')
    .option('--input-size <L>', 'input size L for a backbone whose graph does not fix it')
    .action((model: string, o: { inputSize?: string }) => inspectCommand(model, o));
  program.command('train')
    .description('train a visual prompt and head on an image folder')
    .option('--model <m.onnx|dir>', 'frozen backbone: an .onnx file, or a folder with model.onnx (or onnx/model.onnx) and the hub\'s config.json / preprocessor_config.json')
    .option('--data <dir>', 'image folder: one subfolder per class (or train/ + val/)')
    .option('--out <dir>', 'run directory to write')
    .option('--resume <dir>', 'continue an interrupted run from its last completed epoch (same settings)')
    .option('--method <m>', 'lorvp | pad | vpt | vpt-deep | none', 'lorvp')
    .option('--head <h>', 'lp | fm | flm | ilm', 'lp')
    .option('--rank <r>', 'LoR-VP rank', '4')
    .option('--init <b,a>', 'LoR-VP init of B and A (zero, normal, random, xavier, kaiming, uniform)', 'zero,normal')
    .option('--pad-width <p>', 'pad prompt width', '30')
    .option('--tokens <p>', 'VPT prompt tokens', '5')
    .option('--mapping-freq <k>', 'ilm: recompute the mapping every k epochs', '1')
    .option('--epochs <n>', 'epochs', '20')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--lr <x>', 'learning rate', '0.02')
    .option('--prompt-lr <x>', "learning rate of the prompt's tensors (default: --lr)")
    .option('--optimizer <o>', 'sgd | adamw', 'sgd')
    .option('--momentum <x>', 'SGD momentum', '0.9')
    .option('--weight-decay <x>', 'weight decay (prompt and head)', '1e-4')
    .option('--scheduler <s>', 'cosine | multistep | constant', 'cosine')
    .option('--warmup <n>', 'linear warm-up steps', '0')
    .option('--mean <m>', 'normalisation mean (default: the model\'s preprocessor_config.json, else ImageNet 0.485,0.456,0.406)')
    .option('--std <s>', 'normalisation std (default: the model\'s, else ImageNet 0.229,0.224,0.225)')
    .option('--input-size <L>', 'input size L for a backbone whose graph does not fix it (default: the model\'s preprocessor_config.json, else 224)')
    .option('--seed <n>', 'random seed', '0')
    .option('--no-shuffle', 'batches in dataset order')
    .option('--no-augment', 'no random crop / flip')
    .option('--val-fraction <x>', 'held-out fraction per class when no validation set is given', '0.2')
    .option('--micro-batch <n>', 'accumulate gradients over micro-batches of n images (0: off)', '0')
    .option('--memory-budget <MiB>', 'estimate the step\'s peak memory and micro-batch to stay under this many MiB')
    .option('--init-from <file>', 'initial trainable tensors (safetensors)')
    .option('--val <dir>', 'validation image folder (then all of --data trains)')
    .option('--threads <n>', 'onnxruntime intra-op threads (0 = all cores)')
    .option('--ep <ep>', EP_HELP, 'cpu')
    .option('--verbose', VERBOSE_HELP)
    .option('--quiet', 'no progress output')
    .action(async (o: TrainFlags) => trainCommand(o));
  program.command('eval')
    .description('accuracy, per-class accuracy and confusion matrix of a run (or of a plain classifier) on an image folder, as JSON')
    .option('--run <dir>', 'run directory written by train')
    .option('--model <m.onnx>', 'backbone (for --run: if not at the recorded path; alone: evaluate its own head)')
    .requiredOption('--data <dir>', 'image folder, one subfolder per class')
    .option('--mean <m>', 'plain classifier normalisation mean (default: a starter\'s own, else ImageNet)')
    .option('--std <s>', 'plain classifier normalisation std')
    .option('--input-size <L>', 'plain classifier input size (default: the model\'s, else 224)')
    .option('--ep <ep>', EP_HELP, 'cpu')
    .option('--verbose', VERBOSE_HELP)
    .action(async (o: { run?: string; model?: string; data: string; mean?: string; std?: string; inputSize?: string; ep?: string; verbose?: boolean }) => evalCommand(o));
  program.command('predict')
    .description("top classes of each image with a run's deployable model.onnx, as JSON")
    .requiredOption('--run <dir>', 'run directory written by train')
    .option('--top <k>', 'classes to show per image', '3')
    .argument('<images...>', 'image files')
    .action(async (images: string[], o: { run: string; top: string }) => predictCommand(o.run, images, o));
  program.command('bench')
    .description('time the compiled training step of one configuration on random images (onnxruntime-node, CPU or WebGPU), as one JSON line')
    .requiredOption('--model <m.onnx|dir>', 'frozen backbone (ONNX file or hub folder)')
    .option('--input-size <L>', 'input size L for a backbone whose graph does not fix it')
    .option('--method <m>', 'lorvp | pad | vpt | vpt-deep | none', 'lorvp')
    .option('--head <h>', 'lp | fm', 'lp')
    .option('--batch <n>', 'batch size', '16')
    .option('--classes <n>', 'target classes', '10')
    .option('--threads <n>', 'onnxruntime intra-op threads (0 = all cores)', '0')
    .option('--ep <ep>', EP_HELP, 'cpu')
    .option('--verbose', VERBOSE_HELP)
    .option('--no-stats', 'skip the step graph\'s node/kernel/FLOP counts (they build a second, CPU session)')
    .option('--profile', 'add onnxruntime\'s profiler: kernel ms per op type over the last timed step (CPU EP; the step times are then taken with profiling on)')
    .option('--warmup <n>', 'untimed steps first', '2')
    .option('--steps <n>', 'timed steps', '5')
    .option('--rank <r>', 'LoR-VP rank', '4')
    .option('--tokens <p>', 'VPT prompt tokens', '5')
    .option('--pad-width <p>', 'pad prompt width', '30')
    .option('--lr <x>', 'learning rate', '0.02')
    .action(async (o: BenchFlags) => benchCommand(o));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = (e as Error).message ?? String(e);
    process.stderr.write(`vp-studio: ${msg.split('\n')[0]}\n`);
    return 1;
  }
}
