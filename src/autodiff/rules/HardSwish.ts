// HardSwish: y = x · max(0, min(1, x/6 + ½))  →  dx = 0 for x < −3, dy for x > 3, dy · (x/3 + ½) otherwise.
// The boundaries follow torch's hardswish_backward exactly: the middle branch is closed, so x = −3 gives −½·dy
// and x = 3 gives 1.5·dy.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'HardSwish',
  grad: ({ b, I, GO }) => {
    const x = I(0), dy = GO(0)!, dt = x.dtype;
    const mid = b.mul(dy, b.add(b.div(x, b.scalar(3, dt)), b.scalar(0.5, dt)));
    const upper = b.op('Where', [b.op('Greater', [x, b.scalar(3, dt)]), dy, mid]);
    return [b.op('Where', [b.op('Less', [x, b.scalar(-3, dt)]), b.scalar(0, dt), upper])];
  },
};
