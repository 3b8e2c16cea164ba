// The one list of gradient rules: every rule file under rules/ is imported and registered here.
import type { RuleSpec } from './types.ts';
// -- core
import { rule as Add } from './rules/Add.ts';
import { rule as Mul } from './rules/Mul.ts';
import { rule as MatMul } from './rules/MatMul.ts';
import { rule as Relu } from './rules/Relu.ts';
import { rule as Reshape } from './rules/Reshape.ts';
// -- group math (elementwise, reductions, normalisation, attention)
// -- end group math
// -- group structure (conv, pooling, batch norm, shape and indexing ops)
// -- end group structure

const ALL: RuleSpec[] = [
  Add, Mul, MatMul, Relu, Reshape,
  // -- list math
  // -- end list math
  // -- list structure
  // -- end list structure
];

const RULES = new Map<string, RuleSpec>(ALL.map((r) => [r.op, r]));

export function getRule(op: string): RuleSpec | undefined {
  return RULES.get(op);
}

export function supportedGradientOps(): string[] {
  return [...RULES.keys()].sort();
}
