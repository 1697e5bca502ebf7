import { GridFSBucket, type Db } from 'mongodb';
import { lookup } from 'mime-types';
import type { Readable } from 'node:stream';

/** What a run's result lists for each file it made (the bytes are in GridFS). */
export interface RunFileInfo {
  path: string;
  size: number;
  contentType: string;
}

interface FileMeta {
  runId: string;
  path: string;
  contentType: string;
}

export function contentTypeOf(path: string): string {
  return lookup(path) || 'application/octet-stream';
}

/**
 * The files runs made (`outputs`), in a GridFS bucket (`run_files.files` /
 * `run_files.chunks`, 255 KiB chunks: far below MongoDB's 16 MB document cap).
 * One file per (run, path): storing a run's files again (a retried attempt)
 * replaces them all.
 */
export class RunFileStore {
  private readonly bucket: GridFSBucket;

  constructor(private readonly db: Db) {
    this.bucket = new GridFSBucket(db, { bucketName: 'run_files' });
  }

  async ensureIndexes(): Promise<void> {
    await this.db.collection('run_files.files').createIndex({ 'metadata.runId': 1, 'metadata.path': 1 }, { name: 'run_path' });
  }

  /** Replaces the run's files with these; returns what the result lists. */
  async replace(runId: string, files: { path: string; content: Buffer }[]): Promise<RunFileInfo[]> {
    await this.remove(runId);
    const out: RunFileInfo[] = [];
    for (const f of files) {
      const metadata: FileMeta = { runId, path: f.path, contentType: contentTypeOf(f.path) };
      await new Promise<void>((resolve, reject) => {
        const up = this.bucket.openUploadStream(f.path, { metadata });
        up.once('error', reject);
        up.once('finish', () => resolve());
        up.end(f.content);
      });
      out.push({ path: f.path, size: f.content.length, contentType: metadata.contentType });
    }
    return out;
  }

  async list(runId: string): Promise<RunFileInfo[]> {
    const docs = await this.bucket.find({ 'metadata.runId': runId }).sort({ 'metadata.path': 1 }).toArray();
    return docs.map((d) => ({ path: (d.metadata as FileMeta).path, size: d.length, contentType: (d.metadata as FileMeta).contentType }));
  }

  /** The file's info and a stream of its bytes, or null if the run has no such file. */
  async open(runId: string, path: string): Promise<{ info: RunFileInfo; stream: () => Readable } | null> {
    const doc = await this.bucket.find({ 'metadata.runId': runId, 'metadata.path': path }).limit(1).next();
    if (!doc) return null;
    const meta = doc.metadata as FileMeta;
    return { info: { path: meta.path, size: doc.length, contentType: meta.contentType }, stream: () => this.bucket.openDownloadStream(doc._id) };
  }

  async remove(runId: string): Promise<void> {
    for (const d of await this.bucket.find({ 'metadata.runId': runId }).toArray()) await this.bucket.delete(d._id);
  }
}
