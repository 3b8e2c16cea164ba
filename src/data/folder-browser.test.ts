// Dropped-folder layouts: the same classes, item order and splits as the CLI's folder-node.ts on the same files,
// and the path rules (common root stripped, hidden files ignored, loose files skipped, split folders).
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finishFolder, planFolder } from './folder-browser.ts';
import { loadImageFolder } from './folder-node.ts';

const FIX = join(import.meta.dirname, '../../e2e/fixtures/shapes');
const ok = (n: number) => new Array<string | undefined>(n).fill(undefined);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('folder-browser', () => {
  it('matches the CLI on a train/val folder', async () => {
    const cli = await loadImageFolder(FIX, { validate: false });
    const files = walk(FIX).map((p) => `shapes/${relative(FIX, p)}`).reverse();
    const plan = planFolder(files);
    const r = finishFolder(plan, ok(plan.candidates.length));
    expect(r.layout).toBe('splits');
    expect(r.classes).toEqual(cli.classes);
    expect(r.items.map((it) => it.path)).toEqual(cli.items.map((it) => `shapes/${relative(FIX, it.path)}`));
    expect(r.items.map((it) => it.label)).toEqual(cli.items.map((it) => it.label));
    expect(r.train).toEqual(cli.train);
    expect(r.val).toEqual(cli.val);
  });

  it('takes class folders, strips the dropped root, ignores hidden files and lists loose ones', () => {
    const paths = ['pets/dogs/b.png', 'pets/cats/x/a.png', 'pets/cats/a.png', 'pets/.DS_Store', 'pets/cats/.hidden.png', 'pets/readme.txt', 'pets/Thumbs.db'];
    const plan = planFolder(paths);
    expect(plan.layout).toBe('folders');
    expect(plan.skipped).toEqual([{ path: 'pets/readme.txt', reason: 'file outside any class folder' }]);
    const r = finishFolder(plan, ok(plan.candidates.length));
    expect(r.classes).toEqual(['cats', 'dogs']);
    expect(r.items.map((it) => it.path)).toEqual(['pets/cats/a.png', 'pets/cats/x/a.png', 'pets/dogs/b.png']);
    expect(r.items.map((it) => it.file)).toEqual([2, 1, 0]);
  });

  it('treats several dropped class folders as the classes', () => {
    const r = finishFolder(planFolder(['b/1.png', 'a/1.png', 'a/2.png']), ok(3));
    expect(r.classes).toEqual(['a', 'b']);
  });

  it('lists unreadable files and drops classes without images', () => {
    const plan = planFolder(['d/a/1.png', 'd/a/2.png', 'd/b/1.png', 'd/c/broken.png']);
    const reasons = plan.candidates.map((c) => (c.path.endsWith('broken.png') ? 'PNG decode failed: bad' : undefined));
    const r = finishFolder(plan, reasons);
    expect(r.classes).toEqual(['a', 'b']);
    expect(r.skipped).toEqual([{ path: 'd/c/broken.png', reason: 'PNG decode failed: bad' }]);
    expect(r.warnings).toEqual(["class folder 'c' has no usable images; class 'c' dropped", "class 'b' has only 1 image: it trains on it but has no validation image (add images)"]);
  });

  it('refuses fewer than two classes with one sentence', () => {
    expect(() => finishFolder(planFolder(['cats/a.png', 'cats/b.png']), ok(2))).toThrow(/only one usable class \('cats'\)/);
    expect(() => finishFolder(planFolder(['a.png']), ok(0))).toThrow(/no class subfolders/);
  });

  it('uses test/ as validation when there is no val/', () => {
    const r = finishFolder(planFolder(['x/train/a/1.png', 'x/train/b/1.png', 'x/test/a/2.png', 'x/test/b/2.png', 'x/extra/a/3.png']), ok(4));
    expect(r.layout).toBe('splits');
    expect(r.val!.map((i) => r.items[i].path)).toEqual(['x/test/a/2.png', 'x/test/b/2.png']);
    expect(r.warnings[0]).toMatch(/ignored folder 'extra'/);
  });

  it('names an empty class folder, a one-image class and a class missing from val/', () => {
    const r = finishFolder(planFolder(['d/a/1.png', 'd/a/2.png', 'd/b/1.png', 'd/b/2.png'], ['d/empty']), ok(4));
    expect(r.classes).toEqual(['a', 'b']);
    expect(r.warnings).toEqual(["class folder 'empty' is empty; class dropped"]);
    const one = finishFolder(planFolder(['a/1.png', 'a/2.png', 'b/1.png']), ok(3));
    expect(one.warnings).toEqual(["class 'b' has only 1 image: it trains on it but has no validation image (add images)"]);
    const split = finishFolder(planFolder(['x/train/a/1.png', 'x/train/b/1.png', 'x/val/a/2.png']), ok(3));
    expect(split.warnings).toEqual(["class 'b' has no images in val/: its validation accuracy cannot be measured"]);
  });
});
