// Min (variadic, usually 2 inputs): y = min(x₀, x₁, …)  →  dxᵢ = dy / k where xᵢ = y, 0 elsewhere; ties split the
// gradient evenly, as torch.minimum's backward. Shares Max's rule (see Max.ts).
import type { RuleSpec } from '../types.ts';
import { extremumGrad } from './Max.ts';

export const rule: RuleSpec = { op: 'Min', grad: extremumGrad };
