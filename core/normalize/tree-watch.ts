import { loadNativeAddon } from '../native-addons';

/**
 * Watches on the directories of cached walks (native/tree-watch, inotify). A walk reused by the
 * next decision must see anything created, removed or renamed in any directory it listed;
 * stat-ing each of them again costs a system call per directory per decision, which was most
 * of the cost of a recursive reader over a repository. The kernel queues an inotify event
 * inside the system call that made the change, so reading the queue (one non-blocking read)
 * just before reusing a walk sees every change made before the decision, however deep.
 *
 * What inotify cannot see is stat-ed as before by the walk cache: the walk's root (an ancestor
 * renamed or swapped), directories entered through a symlink (the link's target path) and a
 * `.gitignore` rewritten in place. A change of the mount table (a bind mount over a watched
 * directory makes no event) throws every watched walk away. Where the addon is not built, not
 * Linux, or a directory cannot be watched (watch limits), walks are validated by stamps alone.
 */

interface Addon {
  open(): [number, number];
  add(fd: number, directory: string): number;
  remove(fd: number, wd: number): void;
  drain(fd: number, mounts: number): number[] | null;
}

/** What a set of watches stands for: marked changed when any of its directories changes. */
export interface WatchHolder {
  changed: boolean;
}

interface Watched {
  refs: number;
  holders: Set<WatchHolder>;
}

export class DirectoryWatches {
  private readonly byDescriptor = new Map<number, Watched>();
  private readonly descriptors = new WeakMap<WatchHolder, number[]>();

  constructor(
    private readonly addon: Addon,
    private readonly fd: number,
    private readonly mounts: number,
  ) {}

  /**
   * Watches every directory for `holder`. False, with nothing left watched for it, when one of
   * them cannot be watched (gone, not a directory, no permission, the user's watch limit).
   */
  watch(holder: WatchHolder, directories: readonly string[]): boolean {
    const added: number[] = [];
    for (const directory of directories) {
      const wd = this.addon.add(this.fd, directory);
      if (wd < 0) {
        this.descriptors.set(holder, added);
        this.release(holder);
        return false;
      }
      let watched = this.byDescriptor.get(wd);
      if (watched === undefined) this.byDescriptor.set(wd, (watched = { refs: 0, holders: new Set() }));
      // One directory listed twice by a walk (a link back into the tree) is one watch.
      if (!watched.holders.has(holder)) {
        watched.refs++;
        watched.holders.add(holder);
        added.push(wd);
      }
    }
    this.descriptors.set(holder, added);
    return true;
  }

  /** Drops the holder's watches; a directory no other holder watches is no longer watched. */
  release(holder: WatchHolder): void {
    const wds = this.descriptors.get(holder);
    if (wds === undefined) return;
    this.descriptors.delete(holder);
    for (const wd of wds) {
      const watched = this.byDescriptor.get(wd);
      if (watched === undefined) continue;
      watched.holders.delete(holder);
      if (--watched.refs > 0) continue;
      this.byDescriptor.delete(wd);
      this.addon.remove(this.fd, wd);
    }
  }

  /** Reads what the kernel queued since the last call: every holder of a changed directory is marked changed. */
  sync(): void {
    const changed = this.addon.drain(this.fd, this.mounts);
    if (changed === null) return;
    for (const wd of changed) {
      if (wd === -1) {
        for (const watched of this.byDescriptor.values()) for (const holder of watched.holders) holder.changed = true;
        return;
      }
      const watched = this.byDescriptor.get(wd);
      if (watched !== undefined) for (const holder of watched.holders) holder.changed = true;
    }
  }
}

let shared: DirectoryWatches | null | undefined;

/** The process's watches, or null where they cannot be had (then walks are validated by stamps). */
export function directoryWatches(): DirectoryWatches | null {
  if (shared !== undefined) return shared;
  shared = null;
  if (process.platform !== 'linux' || process.env.CAVRA_WALK_WATCHES === '0') return shared;
  const addon = loadAddon();
  if (addon === null) return shared;
  try {
    const [fd, mounts] = addon.open();
    shared = new DirectoryWatches(addon, fd, mounts);
  } catch {
    // No inotify instance left (max_user_instances): stamps alone.
  }
  return shared;
}

/** The addon built by `scripts/build.mjs` (native/tree-watch); null when it is not built or does not load. */
function loadAddon(): Addon | null {
  try {
    return loadNativeAddon('tree-watch', 'tree_watch.node') as Addon | null;
  } catch {
    return null;
  }
}
