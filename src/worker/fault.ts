// A failure on purpose, for tests of what the studio says when onnxruntime fails mid-run: an Executor whose
// sessions (not the host-side load checks) throw `message` from the run after `afterRuns` successful ones. Only the
// debug page (?debug&fault=…) and the tests ask for it.
import type { ExecSession, Executor } from '../engine/executor.ts';

export interface Fault { message: string; afterRuns: number }

export function withFault(ex: Executor, fault: Fault): Executor {
  let runs = 0;
  const createSession: Executor['createSession'] = async (model, opts) => {
    const s = await ex.createSession(model, opts);
    if (opts?.host) return s;
    const faulty: ExecSession = {
      run: async (feeds) => {
        if (++runs > fault.afterRuns) throw new Error(fault.message);
        return s.run(feeds);
      },
      release: () => s.release(),
    };
    return faulty;
  };
  // everything else is the executor's own (methods bound to it: implementations may keep private fields)
  return new Proxy(ex, {
    get(target, key) {
      if (key === 'createSession') return createSession;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
