// The `vp-studio` command: parses argv with commander and dispatches to subcommands. Every failure is one line
// on stderr ("vp-studio: <what went wrong>") and a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { gradCommand } from './grad.ts';
import { inspectCommand } from './inspect.ts';

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
    .argument('<model>', 'ONNX model')
    .action((model: string) => inspectCommand(model));
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
