// Label mapping of ILM-VP (Chen et al., CVPR 2023): count D[s, t] = images of target class t whose top-1
// source class is s, then greedily take the largest remaining count (ties: first in row-major order of the
// S×C matrix, as argmax over the flattened matrix), assign s → t, remove row s and column t; C times.
export function countTop1(sourceLogits: Float32Array, numSource: number, labels: ArrayLike<number>, numTarget: number, counts?: Float64Array): Float64Array {
  const D = counts ?? new Float64Array(numSource * numTarget);
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    let best = 0, bv = -Infinity;
    for (let s = 0; s < numSource; s++) { const v = sourceLogits[i * numSource + s]; if (v > bv) { bv = v; best = s; } }
    D[best * numTarget + labels[i]] += 1;
  }
  return D;
}

/** Greedy one-to-one mapping: result[t] = source class assigned to target t. */
export function greedyMapping(D: Float64Array, numSource: number, numTarget: number): Int32Array {
  const M = Float64Array.from(D);
  const mapping = new Int32Array(numTarget).fill(-1);
  for (let k = 0; k < numTarget; k++) {
    let bi = -1, bv = -Infinity;
    for (let i = 0; i < M.length; i++) if (M[i] > bv) { bv = M[i]; bi = i; }
    const s = Math.floor(bi / numTarget), t = bi % numTarget;
    mapping[t] = s;
    for (let j = 0; j < numTarget; j++) M[s * numTarget + j] = -Infinity;
    for (let i = 0; i < numSource; i++) M[i * numTarget + t] = -Infinity;
  }
  return mapping;
}

/** One-hot [S, C] float matrix so that target logits = source logits @ M. */
export function mappingMatrix(mapping: Int32Array, numSource: number): Float32Array {
  const C = mapping.length, M = new Float32Array(numSource * C);
  mapping.forEach((s, t) => { M[s * C + t] = 1; });
  return M;
}
