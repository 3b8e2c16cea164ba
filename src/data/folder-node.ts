// Image-folder datasets from the file system: root/<class>/**/<image> (torchvision ImageFolder order), or
// root/train|val|test/<class>/... as a given split. Finds classes and files, validates images, reports skips.
import { open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ImageLoader, decodeImage, firstLine } from './decode-node.ts';
import { SUPPORTED_FORMATS_TEXT, sniffImageFormat } from './format.ts';
import { compareCodePoints } from '../io/order.ts';
export { compareCodePoints };

export type SplitName = 'train' | 'val' | 'test';

export interface ImageItem {
  /** Path of the image file, joined onto `root` (absolute when root is). */
  path: string;
  /** Index into `classes`. */
  label: number;
  /** Which split folder the file came from, for a train/val layout. */
  split?: SplitName;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ImageFolder {
  root: string;
  /** Class names: class folder names sorted in code-point order (as Python's sorted()), empty ones dropped. */
  classes: string[];
  /** Usable images, grouped by split (train, val, test), then class, then file order. */
  items: ImageItem[];
  /** Indices into items, present only when the root has train/ and val/ (or test/) folders. */
  train?: number[];
  val?: number[];
  /** Only when the root has val/ and test/ besides train/ (test/ is the validation split when val/ is absent). */
  test?: number[];
  /** Files that are not usable images; never fatal. */
  skipped: SkippedFile[];
  /** One-line notes for the user (e.g. a class folder without usable images was dropped). */
  warnings: string[];
}

export interface LoadImageFolderOptions {
  /** Decode every image to prove it is readable (default true). false only checks the magic bytes, so corrupt
   * files surface later, when ImageLoader.load rejects. */
  validate?: boolean;
  /** With `size`, validation decodes through this loader, warming its cache at size x size. */
  loader?: ImageLoader;
  size?: number;
  /** Called after each file is checked. */
  onProgress?: (done: number, total: number) => void;
  /** Files checked at once (default 4). */
  concurrency?: number;
}

const SPLIT_DIRS: Record<string, SplitName> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
/** OS droppings that are skipped silently, like names starting with '.'. */
const IGNORED = new Set(['thumbs.db', 'desktop.ini', '__macosx']);

/** Scan and check an image-folder dataset. Throws a one-line error when the root is unusable or has < 2 classes. */
export async function loadImageFolder(root: string, opts: LoadImageFolderOptions = {}): Promise<ImageFolder> {
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new Error(`dataset folder '${root}' does not exist or is not a folder`);
  const skipped: SkippedFile[] = [];
  const warnings: string[] = [];
  const top = await listDir(root);
  skipped.push(...top.files.map((f) => ({ path: join(root, f), reason: 'file outside any class folder' })));

  // The split layout: train/ holding class folders, plus val/ (or valid/, validation/) and/or test/.
  const splitDirs = new Map<SplitName, string>();
  for (const d of top.dirs) {
    const s = SPLIT_DIRS[d.toLowerCase()];
    if (s && !splitDirs.has(s)) splitDirs.set(s, d);
  }
  const trainDir = splitDirs.get('train');
  const isSplit = trainDir !== undefined && (splitDirs.has('val') || splitDirs.has('test'))
    && (await listDir(join(root, trainDir))).dirs.length > 0;

  const groups: Array<{ split?: SplitName; dir: string; cls: string }> = [];
  if (isSplit) {
    const used = (['train', 'val', 'test'] as const).flatMap((s) => splitDirs.get(s) ?? []);
    for (const d of top.dirs) {
      if (!used.includes(d)) warnings.push(`ignored folder '${join(root, d)}': the dataset uses ${used.join('/, ')}/ splits`);
    }
    for (const split of ['train', 'val', 'test'] as const) {
      const dir = splitDirs.get(split);
      if (dir === undefined) continue;
      const sub = await listDir(join(root, dir));
      skipped.push(...sub.files.map((f) => ({ path: join(root, dir, f), reason: 'file outside any class folder' })));
      for (const cls of sub.dirs) groups.push({ split, dir: join(root, dir, cls), cls });
    }
  } else {
    for (const cls of top.dirs) groups.push({ dir: join(root, cls), cls });
  }

  // Candidate files in torchvision order: per class, directories by path, then file names.
  const candidates: Array<{ path: string; group: number }> = [];
  for (let g = 0; g < groups.length; g++) {
    for (const path of await walkFiles(groups[g].dir)) candidates.push({ path, group: g });
  }
  const ok = new Uint8Array(candidates.length);
  let done = 0;
  await pool(candidates.length, opts.concurrency ?? 4, async (i) => {
    const reason = await checkFile(candidates[i].path, opts);
    if (reason === undefined) ok[i] = 1;
    else skipped.push({ path: candidates[i].path, reason });
    opts.onProgress?.(++done, candidates.length);
  });

  // Classes: folders (train/ ones in a split layout) with at least one usable image.
  const usable = new Map<string, number>();
  candidates.forEach((c, i) => {
    const { split, cls } = groups[c.group];
    if (ok[i] && (!isSplit || split === 'train')) usable.set(cls, (usable.get(cls) ?? 0) + 1);
  });
  for (const g of groups) {
    if ((!isSplit || g.split === 'train') && !usable.has(g.cls)) {
      warnings.push(`class folder '${g.dir}' has no usable images; class '${g.cls}' dropped`);
    }
  }
  const classes = [...usable.keys()].sort(compareCodePoints);
  if (classes.length < 2) {
    const where = isSplit ? join(root, trainDir) : root;
    throw new Error(classes.length === 0
      ? `dataset folder '${where}' has no class subfolders with usable images (expected ${where}/<class>/<image>)`
      : `dataset folder '${where}' has only one usable class ('${classes[0]}'); at least 2 class subfolders with images are needed`);
  }
  const labelOf = new Map(classes.map((c, i) => [c, i]));
  const items: ImageItem[] = [];
  const reported = new Set<string>();
  candidates.forEach((c, i) => {
    if (!ok[i]) return;
    const g = groups[c.group];
    const label = labelOf.get(g.cls);
    if (label === undefined) {
      skipped.push({ path: c.path, reason: `class '${g.cls}' has no usable images in ${trainDir}/` });
      if (!reported.has(g.dir)) warnings.push(`class folder '${g.dir}' ignored: class '${g.cls}' is not in ${trainDir}/`);
      reported.add(g.dir);
      return;
    }
    items.push(g.split ? { path: c.path, label, split: g.split } : { path: c.path, label });
  });
  // Stable sort: split, then class (code-point order), keeping file order within a class.
  const splitRank = { train: 0, val: 1, test: 2 };
  items.sort((a, b) => splitRank[a.split ?? 'train'] - splitRank[b.split ?? 'train'] || a.label - b.label);

  const result: ImageFolder = { root, classes, items, skipped, warnings };
  if (isSplit) {
    const indices = (s: SplitName) => items.flatMap((it, i) => (it.split === s ? [i] : []));
    result.train = indices('train');
    const hasVal = splitDirs.has('val');
    result.val = indices(hasVal ? 'val' : 'test');
    if (hasVal && splitDirs.has('test')) result.test = indices('test');
    if (result.val.length === 0) warnings.push(`split folder '${join(root, splitDirs.get(hasVal ? 'val' : 'test')!)}' has no usable images`);
  }
  skipped.sort((a, b) => compareCodePoints(a.path, b.path));
  return result;
}

/** Why a file is not a usable image, or undefined when it is. */
async function checkFile(path: string, opts: LoadImageFolderOptions): Promise<string | undefined> {
  try {
    if (opts.validate === false) {
      const fh = await open(path, 'r');
      try {
        const head = new Uint8Array(32);
        const { bytesRead } = await fh.read(head, 0, 32, 0);
        return sniffImageFormat(head.subarray(0, bytesRead)) ? undefined : `not a ${SUPPORTED_FORMATS_TEXT} image`;
      } finally {
        await fh.close();
      }
    }
    const bytes = new Uint8Array(await readFile(path));
    if (opts.loader && opts.size) await opts.loader.load(path, opts.size, bytes);
    else await decodeImage(bytes);
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
}

/** Visible subfolder and file names of a directory, each sorted in code-point order; symlinks are followed. */
async function listDir(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || IGNORED.has(e.name.toLowerCase())) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await stat(join(dir, e.name)).catch(() => undefined);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) dirs.push(e.name);
    else if (isFile) files.push(e.name);
  }
  return { dirs: dirs.sort(compareCodePoints), files: files.sort(compareCodePoints) };
}

/** All files under dir, in the order of Python's `for root, _, files in sorted(os.walk(dir)): sorted(files)`. */
async function walkFiles(dir: string): Promise<string[]> {
  const perDir: Array<[string, string[]]> = [];
  const seen = new Set<string>();
  const visit = async (d: string): Promise<void> => {
    const real = await realpath(d);
    if (seen.has(real)) return; // a symlink cycle
    seen.add(real);
    const { dirs, files } = await listDir(d);
    perDir.push([relative(dir, d), files.map((f) => join(d, f))]);
    for (const sub of dirs) await visit(join(d, sub));
  };
  await visit(dir);
  perDir.sort((a, b) => compareCodePoints(a[0], b[0]));
  return perDir.flatMap(([, files]) => files);
}

async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, n)) }, worker));
}

