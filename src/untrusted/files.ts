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
 * read) and hold at most `maxBytes` (only the first maxBytes are read). Throws UnsafePathError.
 */
export function readConfinedFile(file: string, within: string, maxBytes: number): string {
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
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

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
