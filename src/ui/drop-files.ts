// Files from a drag-and-drop of folders (FileSystemEntry walk, readEntries in batches) or from a folder picker
// (webkitRelativePath), as DataFiles with their relative paths.
import type { DataFile } from '../worker/protocol.ts';

function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    const next = () => reader.readEntries((batch) => {
      if (batch.length === 0) resolve(out);
      else { out.push(...batch); next(); }
    }, reject);
    next();
  });
}

const isDir = (e: FileSystemEntry): e is FileSystemDirectoryEntry => e.isDirectory;
const isFile = (e: FileSystemEntry): e is FileSystemFileEntry => e.isFile;

async function walk(entry: FileSystemEntry, out: DataFile[]): Promise<void> {
  if (isFile(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    out.push({ path: entry.fullPath.replace(/^\//, ''), blob: file });
  } else if (isDir(entry)) {
    const children = await readAllEntries(entry);
    if (children.length === 0) out.push({ path: entry.fullPath.replace(/^\//, ''), blob: new Blob([]), emptyDir: true });
    for (const child of children) await walk(child, out);
  }
}

/** Every file under the dropped items (folders are walked recursively). */
export async function filesFromDrop(dt: DataTransfer): Promise<DataFile[]> {
  const entries = [...dt.items].map((it) => it.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const out: DataFile[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}

/** Files chosen with <input type=file webkitdirectory>. */
export function filesFromInput(list: ArrayLike<File>): DataFile[] {
  return Array.from(list, (f) => ({ path: f.webkitRelativePath || f.name, blob: f }));
}

/** A display name for a set of files: their common top folder. */
export function datasetName(files: DataFile[]): string {
  const tops = new Set(files.map((f) => f.path.split('/')[0]));
  return tops.size === 1 ? [...tops][0] : `${tops.size} folders`;
}
