/**
 * Files that stay in their folder (docs/security.md): writes that never go through a symbolic link
 * unless the user asked (--follow-symlinks), and reads of paths that came from a file (a CSV's
 * raw_output, a meta.json name) that stay inside a directory, take regular files only, never block
 * on a FIFO and stop at a size cap.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from "node:fs";
import path from "node:path";

/** A path tcpsweep will not write through or read: one line saying why and what to do. */
export class UnsafePathError extends Error {}

/** Opens `file` for writing (truncate or append, created 0644 or `mode`); a symlink is refused unless `followSymlinks`. */
export function openForWrite(file: string, how: "truncate" | "append", options: { followSymlinks?: boolean; mode?: number } = {}): number {
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    (how === "append" ? constants.O_APPEND : constants.O_TRUNC) |
    (options.followSymlinks ? 0 : constants.O_NOFOLLOW);
  try {
    return openSync(file, flags, options.mode ?? 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new UnsafePathError(symlinkRefusal(file));
    throw error;
  }
}

export function symlinkRefusal(file: string): string {
  return `${file} is a symbolic link; tcpsweep does not write through links (the target may be any file): name the real file, or pass --follow-symlinks`;
}

/** Is `file` a symbolic link (dangling or not)? */
export function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Is `file` (resolved, links followed where they exist) inside `dir`? */
export function isInside(dir: string, file: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const relative = path.relative(real(dir), real(file));
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/**
 * The text of a file named by untrusted data: it must resolve inside `within`, be a regular file
 * (a FIFO or a device is refused without blocking: opened O_NONBLOCK, checked by fstat before any
 * read) and hold at most `maxBytes` (only the first maxBytes are read). Read in one pass, in 1 MiB
 * pieces; with `until`, the read stops at the first piece after which the text holds it (a raw log's
 * client section comes first: the rest need not be read). Throws UnsafePathError.
 */
export function readConfinedFile(file: string, within: string, maxBytes: number, until?: string): string {
  if (!isInside(within, file)) throw new UnsafePathError(`${file} is outside ${within}; not read`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    throw new UnsafePathError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UnsafePathError(`${file} is not a regular file; not read`);
    const limit = Math.min(stat.size, maxBytes);
    const pieces: Buffer[] = [];
    let filled = 0;
    let tail = ""; // the end of the previous piece: a marker may straddle two pieces
    while (filled < limit) {
      const piece = Buffer.alloc(Math.min(PIECE_BYTES, limit - filled));
      const n = readSync(fd, piece, 0, piece.length, filled);
      if (n === 0) break;
      pieces.push(piece.subarray(0, n));
      filled += n;
      if (until === undefined) continue;
      const text = tail + piece.subarray(0, n).toString("latin1");
      if (text.includes(until)) break;
      tail = text.slice(-until.length);
    }
    return Buffer.concat(pieces, filled).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

const PIECE_BYTES = 1024 * 1024;

/**
 * The first line of `file` (without its newline), read from at most `maxBytes`, or undefined when
 * the file is missing. Refused (UnsafePathError) without blocking or reading: a FIFO, a device
 * (/dev/zero), a directory; and a symbolic link unless `followSymlinks`. /proc files (size 0) are read.
 */
export function readFirstLine(file: string, maxBytes: number, options: { followSymlinks?: boolean } = {}): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (options.followSymlinks ? 0 : constants.O_NOFOLLOW));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new UnsafePathError(`${file} is a symbolic link; not read`);
    throw new UnsafePathError(`cannot read ${file}: ${code ?? (error as Error).message}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UnsafePathError(`${file} is not a regular file; not read`);
    const buffer = Buffer.alloc(maxBytes);
    let filled = 0;
    while (filled < maxBytes) {
      const n = readSync(fd, buffer, filled, maxBytes - filled, null);
      if (n === 0) break;
      const newline = buffer.indexOf(10, filled);
      filled += n;
      if (newline >= 0 && newline < filled) return buffer.subarray(0, newline).toString("utf8");
    }
    return buffer.subarray(0, filled).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * The text of a file a user named as a command's main input (a results CSV, strace's output). Links
 * are followed (the user chose the path), but only a regular file is read: it is opened without
 * blocking, so a FIFO or /dev/zero is refused before any read, and a file over `maxBytes` is refused
 * by its size (or, for /proc files that report size 0, once that much was read). A missing or
 * unreadable file throws the system's error, as readFileSync would.
 */
export function readNamedInput(file: string, maxBytes: number): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UnsafePathError(`${file} is not a regular file (${fileKind(stat)}); name a file`);
    if (stat.size > maxBytes)
      throw new UnsafePathError(`${file} holds ${mebibytes(stat.size)}, more than the ${mebibytes(maxBytes)} read here`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // The whole file in one read as fstat sizes it; then small reads to see its end (a /proc file says 0).
      const room = maxBytes + 1 - total;
      const chunk = Buffer.allocUnsafe(total < stat.size ? Math.min(stat.size - total, room) : Math.min(64 * 1024, room));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new UnsafePathError(`${file} holds more than the ${mebibytes(maxBytes)} read here`);
    }
    return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function fileKind(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a file";
}

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
