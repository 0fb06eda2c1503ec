import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ObjectInfo {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
  contentType: string;
}

/** S3's part-size floor: every part of a multipart upload but the last is at least 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export class ObjectExists extends Error {}
export class BadDigest extends Error {}

/**
 * One bucket as a folder: each object a file named by its encoded key, its ETag and type in
 * `.meta/`, uploads in progress in `.uploads/`. Writes go to a temporary file first, so a reader
 * never sees half an object; an If-None-Match put links it into place, which fails when the
 * name is taken, so two such puts cannot both win.
 */
export class BucketFolder {
  constructor(readonly dir: string) {}

  static async open(dir: string): Promise<BucketFolder> {
    await mkdir(join(dir, '.meta'), { recursive: true });
    await mkdir(join(dir, '.uploads'), { recursive: true });
    await mkdir(join(dir, '.tmp'), { recursive: true });
    return new BucketFolder(dir);
  }

  private objectPath = (key: string) => join(this.dir, fileName(key));
  private metaPath = (key: string) => join(this.dir, '.meta', `${fileName(key)}.json`);
  private tmpPath = () => join(this.dir, '.tmp', randomUUID());

  /** Stores the body as `key`; a `sha256` (base64) it does not match stores nothing (BadDigest). */
  async put(
    key: string,
    body: Readable,
    options: { contentType: string; ifNoneMatch: boolean; sha256?: string },
  ): Promise<string> {
    const tmp = this.tmpPath();
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    body.on('data', (chunk: Buffer) => {
      md5.update(chunk);
      sha256.update(chunk);
    });
    await pipeline(body, createWriteStream(tmp));
    if (options.sha256 !== undefined && sha256.digest('base64') !== options.sha256) {
      await rm(tmp, { force: true });
      throw new BadDigest(key);
    }
    return this.commit(key, tmp, `"${md5.digest('hex')}"`, options.contentType, options.ifNoneMatch);
  }

  private async commit(
    key: string,
    tmp: string,
    etag: string,
    contentType: string,
    ifNoneMatch: boolean,
  ): Promise<string> {
    const meta = this.tmpPath();
    await writeFile(meta, JSON.stringify({ etag, contentType }));
    try {
      if (ifNoneMatch) {
        try {
          await link(tmp, this.objectPath(key));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExists(key);
          throw error;
        }
        await rename(meta, this.metaPath(key));
      } else {
        await rename(meta, this.metaPath(key));
        await rename(tmp, this.objectPath(key));
      }
      return etag;
    } finally {
      await rm(tmp, { force: true });
      await rm(meta, { force: true });
    }
  }

  async info(key: string): Promise<ObjectInfo | undefined> {
    try {
      const stats = await stat(this.objectPath(key));
      const meta = await readFile(this.metaPath(key), 'utf8')
        .then((text) => JSON.parse(text) as { etag: string; contentType: string })
        // Between an If-None-Match put's link and its metadata: the body is there, its type not yet.
        .catch(() => ({ etag: `"${stats.ino}-${stats.size}"`, contentType: 'application/octet-stream' }));
      return { key, size: stats.size, lastModified: stats.mtime, ...meta };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  read = (key: string): Readable => createReadStream(this.objectPath(key));

  /** The keys in order, after `after`, that start with `prefix`. */
  async keys(prefix: string, after: string): Promise<string[]> {
    const names = await readdir(this.dir);
    return names
      .filter((name) => !name.startsWith('.'))
      .map(keyOf)
      .filter((key) => key.startsWith(prefix) && key > after)
      .sort();
  }

  async createUpload(key: string, contentType: string): Promise<string> {
    const id = randomUUID();
    await mkdir(join(this.dir, '.uploads', id));
    await writeFile(join(this.dir, '.uploads', id, 'upload.json'), JSON.stringify({ key, contentType }));
    return id;
  }

  private async upload(key: string, id: string): Promise<{ key: string; contentType: string } | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const upload = await readFile(join(this.dir, '.uploads', id, 'upload.json'), 'utf8')
      .then((text) => JSON.parse(text) as { key: string; contentType: string })
      .catch(() => undefined);
    return upload?.key === key ? upload : undefined;
  }

  async putPart(key: string, id: string, partNumber: number, body: Readable): Promise<string | undefined> {
    if (!(await this.upload(key, id))) return undefined;
    const tmp = this.tmpPath();
    const md5 = createHash('md5');
    body.on('data', (chunk: Buffer) => md5.update(chunk));
    await pipeline(body, createWriteStream(tmp));
    const etag = `"${md5.digest('hex')}"`;
    await rename(tmp, join(this.dir, '.uploads', id, `${partNumber}`));
    await writeFile(join(this.dir, '.uploads', id, `${partNumber}.etag`), etag);
    return etag;
  }

  /**
   * Joins the named parts into the object, as S3 does: each must be the part last uploaded under
   * its number with that ETag, in ascending order, all but the last at least 5 MiB.
   */
  async completeUpload(
    key: string,
    id: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<{ etag: string } | 'NoSuchUpload' | 'InvalidPart' | 'InvalidPartOrder' | 'EntityTooSmall'> {
    const upload = await this.upload(key, id);
    if (!upload) return 'NoSuchUpload';
    if (parts.length === 0) return 'InvalidPart';
    const dir = join(this.dir, '.uploads', id);
    const md5s: Buffer[] = [];
    for (const [index, part] of parts.entries()) {
      if (index > 0 && part.partNumber <= (parts[index - 1]?.partNumber ?? 0)) return 'InvalidPartOrder';
      const stored = await readFile(join(dir, `${part.partNumber}.etag`), 'utf8').catch(() => undefined);
      if (stored === undefined || stored !== normaliseEtag(part.etag)) return 'InvalidPart';
      const size = (await stat(join(dir, `${part.partNumber}`))).size;
      if (index < parts.length - 1 && size < MIN_PART_BYTES) return 'EntityTooSmall';
      md5s.push(Buffer.from(stored.slice(1, -1), 'hex'));
    }
    const tmp = this.tmpPath();
    const out = createWriteStream(tmp);
    for (const part of parts) {
      await pipeline(createReadStream(join(dir, `${part.partNumber}`)), out, { end: false });
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${parts.length}"`;
    await this.commit(key, tmp, etag, upload.contentType, false);
    await rm(dir, { recursive: true, force: true });
    return { etag };
  }

  async abortUpload(key: string, id: string): Promise<boolean> {
    if (!(await this.upload(key, id))) return false;
    await rm(join(this.dir, '.uploads', id), { recursive: true, force: true });
    return true;
  }
}

const normaliseEtag = (etag: string) => (etag.startsWith('"') ? etag : `"${etag}"`);

// Every key is a flat file name: `/` and anything a file system treats specially are encoded, and
// the `k` keeps a key such as `..` or `.meta` from naming a folder.
const fileName = (key: string) => `k${encodeURIComponent(key).replace(/\./g, '%2E')}`;
const keyOf = (name: string) => decodeURIComponent(name.slice(1));
