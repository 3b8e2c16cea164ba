// Image-folder datasets from dropped or picked files (pure: paths in, plan out), with the same rules and order
// as the CLI's folder-node.ts: root/<class>/**/<image>, or root/train|val|test/<class>/…; hidden files and OS
// droppings ignored; files outside class folders skipped; classes in code-point order; items by split, class,
// then torchvision's walk order — so a seeded split picks the same images as `vp-studio train`.

import { compareCodePoints } from '../io/order.ts';

export type SplitName = 'train' | 'val' | 'test';
export interface Skipped { path: string; reason: string }

/** One file that may be an image of a class; `file` indexes the caller's file list. */
export interface Candidate { file: number; path: string; cls: string; split: SplitName | undefined; dir: string; name: string }

export interface FolderPlan { layout: 'folders' | 'splits'; candidates: Candidate[]; skipped: Skipped[]; warnings: string[]; hasVal: boolean; hasTest: boolean }

export interface FolderItem { file: number; path: string; label: number; split: SplitName | undefined }

export interface FolderResult {
  layout: 'folders' | 'splits';
  classes: string[];
  items: FolderItem[];
  /** Indices into items for a given split layout (val = val/, else test/). */
  train: number[] | undefined;
  val: number[] | undefined;
  skipped: Skipped[];
  warnings: string[];
}

const SPLIT_DIRS: Record<string, SplitName> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
const IGNORED = new Set(['thumbs.db', 'desktop.ini', '__macosx']);
const SPLIT_RANK: Record<SplitName, number> = { train: 0, val: 1, test: 2 };

export { compareCodePoints };

const segmentsOf = (p: string) => p.replace(/\\/g, '/').split('/').filter((s) => s.length > 0);
const hidden = (s: string) => s.startsWith('.') || IGNORED.has(s.toLowerCase());

/** Finds the layout and the candidate image files of a set of relative paths (webkitRelativePath or dropped). */
export function planFolder(paths: string[], emptyDirs: string[] = []): FolderPlan {
  const segs = paths.map(segmentsOf);
  const visible = segs.map((s) => !s.some(hidden));
  let strip = 0;
  const live = segs.filter((_, i) => visible[i]);
  // Drop common leading folders (the dropped root) while some file still sits in a folder below it.
  while (live.length > 0 && live.every((s) => s.length >= strip + 2 && s[strip] === live[0][strip]) && live.some((s) => s.length >= strip + 3)) strip++;
  const skipped: Skipped[] = [];
  const warnings: string[] = [];
  const rel = segs.map((s) => s.slice(strip));
  const tops = new Set(rel.filter((_, i) => visible[i] && rel[i].length > 1).map((r) => r[0]));
  const splitDirs = new Map<SplitName, string>();
  for (const d of [...tops].sort(compareCodePoints)) {
    const s = SPLIT_DIRS[d.toLowerCase()];
    if (s && !splitDirs.has(s)) splitDirs.set(s, d);
  }
  const trainDir = splitDirs.get('train');
  const isSplit = trainDir !== undefined && (splitDirs.has('val') || splitDirs.has('test'))
    && rel.some((r, i) => visible[i] && r[0] === trainDir && r.length >= 3);
  const used = new Set([...splitDirs.values()]);
  const candidates: Candidate[] = [];
  const ignoredDirs = new Set<string>();
  rel.forEach((r, i) => {
    if (!visible[i]) return;
    const path = segs[i].join('/');
    if (r.length < 2) { skipped.push({ path, reason: 'file outside any class folder' }); return; }
    if (!isSplit) {
      candidates.push({ file: i, path, cls: r[0], split: undefined, dir: r.slice(1, -1).join('/'), name: r[r.length - 1] });
      return;
    }
    if (!used.has(r[0])) { ignoredDirs.add(r[0]); return; }
    if (r.length < 3) { skipped.push({ path, reason: 'file outside any class folder' }); return; }
    const split = SPLIT_DIRS[r[0].toLowerCase()];
    candidates.push({ file: i, path, cls: r[1], split, dir: r.slice(2, -1).join('/'), name: r[r.length - 1] });
  });
  for (const d of [...ignoredDirs].sort(compareCodePoints)) warnings.push(`ignored folder '${d}': the dataset uses ${[...used].join('/, ')}/ splits`);
  for (const e of emptyDirs.map(segmentsOf)) {
    if (e.some(hidden)) continue;
    const r = e.slice(strip);
    const cls = !isSplit && r.length === 1 ? r[0] : isSplit && r.length === 2 && used.has(r[0]) ? `${r[0]}/${r[1]}` : undefined;
    if (cls) warnings.push(`class folder '${cls}' is empty; class dropped`);
  }
  candidates.sort((a, b) => (a.split ? SPLIT_RANK[a.split] : 0) - (b.split ? SPLIT_RANK[b.split] : 0)
    || compareCodePoints(a.cls, b.cls) || compareCodePoints(a.dir, b.dir) || compareCodePoints(a.name, b.name));
  return { layout: isSplit ? 'splits' : 'folders', candidates, skipped, warnings, hasVal: splitDirs.has('val'), hasTest: splitDirs.has('test') };
}

/** Turns checked candidates (reasons[i] undefined = a usable image) into classes and labelled items.
 * Throws a one-line error when fewer than 2 classes have usable images. */
export function finishFolder(plan: FolderPlan, reasons: (string | undefined)[]): FolderResult {
  const skipped = [...plan.skipped];
  const warnings = [...plan.warnings];
  const isSplit = plan.layout === 'splits';
  const usable = new Map<string, number>();
  const seen = new Set<string>();
  plan.candidates.forEach((c, i) => {
    if (!isSplit || c.split === 'train') seen.add(c.cls);
    if (reasons[i] === undefined && (!isSplit || c.split === 'train')) usable.set(c.cls, (usable.get(c.cls) ?? 0) + 1);
    if (reasons[i] !== undefined) skipped.push({ path: c.path, reason: reasons[i]! });
  });
  for (const cls of [...seen].sort(compareCodePoints)) if (!usable.has(cls)) warnings.push(`class folder '${cls}' has no usable images; class '${cls}' dropped`);
  if (!isSplit) for (const [cls, n] of [...usable].sort((a, b) => compareCodePoints(a[0], b[0]))) if (n === 1) warnings.push(`class '${cls}' has only 1 image: it trains on it but has no validation image (add images)`);
  if (isSplit) {
    const inVal = new Set(plan.candidates.filter((c, i) => reasons[i] === undefined && c.split === (plan.hasVal ? 'val' : 'test')).map((c) => c.cls));
    for (const cls of [...usable.keys()].sort(compareCodePoints)) if (!inVal.has(cls)) warnings.push(`class '${cls}' has no images in ${plan.hasVal ? 'val' : 'test'}/: its validation accuracy cannot be measured`);
  }
  const classes = [...usable.keys()].sort(compareCodePoints);
  if (classes.length < 2) {
    throw new Error(classes.length === 0
      ? 'no class subfolders with usable images (expected <folder>/<class>/<image>, or train/ and val/ folders of classes)'
      : `only one usable class ('${classes[0]}'); at least 2 class subfolders with images are needed`);
  }
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  const items: FolderItem[] = [];
  plan.candidates.forEach((c, i) => {
    if (reasons[i] !== undefined) return;
    const label = labelOf.get(c.cls);
    if (label === undefined) { skipped.push({ path: c.path, reason: `class '${c.cls}' has no usable images in train/` }); return; }
    items.push({ file: c.file, path: c.path, label, split: c.split });
  });
  let train: number[] | undefined, val: number[] | undefined;
  if (isSplit) {
    const of = (s: SplitName) => items.flatMap((it, i) => (it.split === s ? [i] : []));
    train = of('train');
    val = of(plan.hasVal ? 'val' : 'test');
    if (val.length === 0) warnings.push(`the ${plan.hasVal ? 'val' : 'test'}/ split has no usable images`);
  }
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  return { layout: plan.layout, classes, items, train, val, skipped, warnings };
}
