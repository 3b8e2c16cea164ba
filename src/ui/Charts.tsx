// Live training charts (recharts): loss, learning rate and images/s per step; train/val accuracy per epoch.
// Long runs are thinned to a few hundred points so redraws stay cheap while the worker trains.
import { memo, useEffect, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EpochMetrics } from '../engine/trainer.ts';
import type { StepPoint } from '../persist/runs.ts';
import { fmtNum, niceAxis } from './format.ts';

const MAX_POINTS = 400;
export function thin<T>(xs: T[]): T[] {
  if (xs.length <= MAX_POINTS) return xs;
  const every = Math.ceil(xs.length / MAX_POINTS);
  return xs.filter((_, i) => i % every === 0 || i === xs.length - 1);
}

function Chart(p: { title: string; data: object[]; x: string; lines: { key: string; color: string; name: string }[]; domain?: [number, number]; testId?: string }) {
  const last = p.data[p.data.length - 1] as Record<string, number> | undefined;
  const summary = last ? p.lines.map((l) => `${l.name} ${fmtNum(last[l.key])}`).join(', ') : 'no data yet';
  const y = niceAxis(p.data.flatMap((d) => p.lines.map((l) => (d as Record<string, number>)[l.key])), 5, p.domain);
  return (
    <figure className="chart" data-testid={p.testId} role="img" aria-label={`${p.title} chart: latest ${summary}`}>
      <figcaption>{p.title}</figcaption>
      <ResponsiveContainer width="100%" height={170}>
        <LineChart data={p.data} margin={{ top: 4, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
          <XAxis dataKey={p.x} tick={{ fontSize: 11 }} tickFormatter={(v: number) => fmtNum(v)} />
          <YAxis tick={{ fontSize: 11 }} width={y.width} domain={y.domain} ticks={y.ticks} interval={0} tickFormatter={y.label} allowDataOverflow />
          <Tooltip formatter={(v) => fmtNum(Number(v), 4)} labelFormatter={(l) => `${p.x} ${String(l)}`} />
          {p.lines.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
          {p.lines.map((l) => <Line key={l.key} type="linear" dataKey={l.key} name={l.name} stroke={l.color} dot={p.data.length < 30} isAnimationActive={false} />)}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** How often the charts redraw while a run trains (ms): four recharts redraws cost the page tens of ms, so they
 * follow the run about once a second while the numbers above them follow every update (?chartms=N changes it). */
export const chartSettings = { refreshMs: 1000 };

/** `value`, but changing at most every `ms` while `live` (the last change always lands). */
function useThrottled<T>(value: T, ms: number, live: boolean): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    if (!live || ms <= 0) return;
    const wait = last.current + ms - Date.now();
    const id = setTimeout(() => { last.current = Date.now(); setShown(value); }, Math.max(0, wait));
    return () => clearTimeout(id);
  }, [value, ms, live]);
  return live && ms > 0 ? shown : value;
}

function Charts(p: { steps: StepPoint[]; epochs: EpochMetrics[]; live?: boolean }) {
  const data = { steps: useThrottled(p.steps, chartSettings.refreshMs, !!p.live), epochs: useThrottled(p.epochs, chartSettings.refreshMs, !!p.live) };
  const steps = thin(data.steps);
  const epochs = data.epochs.map((e) => ({ epoch: e.epoch + 1, train: e.train_acc, val: e.val_acc }));
  const ips = steps.filter((s) => s.ips > 0);
  return (
    <div className="charts">
      <Chart testId="chart-loss" title="loss" data={steps} x="step" lines={[{ key: 'loss', color: '#d9480f', name: 'loss' }]} />
      <Chart testId="chart-acc" title="accuracy per epoch" data={epochs} x="epoch" domain={[0, 1]} lines={[{ key: 'train', color: '#1971c2', name: 'train' }, { key: 'val', color: '#2f9e44', name: 'val' }]} />
      <Chart testId="chart-lr" title="learning rate" data={steps} x="step" lines={[{ key: 'lr', color: '#7048e8', name: 'lr' }]} />
      <Chart testId="chart-ips" title="images / s" data={ips} x="step" lines={[{ key: 'ips', color: '#0c8599', name: 'images/s' }]} />
    </div>
  );
}

/** Memoised: the Train panel re-renders every second for its clock; the charts redraw only when their data changes. */
export const TrainingCharts = memo(Charts);
