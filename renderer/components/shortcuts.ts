import { useEffect, useId, useRef } from 'react';
import { usePreferences } from '../state/preferences';

/**
 * A keyboard shortcut as the `?` help lists it. With `key` and `run` it is a single-key
 * shortcut this registry dispatches (never while typing, never with Ctrl/Alt/Meta, off when
 * the operator turned single-key shortcuts off); without them it documents keys a widget
 * handles itself (arrow keys in a list).
 */
export interface Shortcut {
  /** What to press, as shown: `j`, `↑ / ↓`, `Enter`. */
  keys: string;
  description: string;
  /** `KeyboardEvent.key` that triggers `run`. */
  key?: string;
  run?: () => void;
}

export interface ShortcutGroup {
  title: string;
  shortcuts: Shortcut[];
}

const registered = new Map<string, { title: string; order: number; get: () => Shortcut[] }>();
let registrations = 0;

/** Registers a group of shortcuts while the calling component is mounted. */
export function useShortcuts(title: string, shortcuts: Shortcut[]): void {
  const id = useId();
  const current = useRef(shortcuts);
  useEffect(() => {
    current.current = shortcuts;
  });
  useEffect(() => {
    registered.set(id, { title, order: registrations++, get: () => current.current });
    return () => {
      registered.delete(id);
    };
  }, [id, title]);
}

/** What the help shows: every mounted group, in the order they were mounted. */
export function shortcutGroups(): ShortcutGroup[] {
  return [...registered.values()]
    .sort((a, b) => a.order - b.order)
    .map((group) => ({ title: group.title, shortcuts: group.get() }))
    .filter((group) => group.shortcuts.length > 0);
}

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit'].includes(target.type);
  return false;
}

/** One document listener for every registered single-key shortcut (mounted once, by the shell). */
export function useShortcutDispatch(): void {
  const enabled = usePreferences((state) => state.shortcuts);
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typingInto(event.target)) return;
      // A modal dialog owns the keyboard while it is open.
      if (document.querySelector('[role="dialog"][aria-modal="true"]')) return;
      for (const group of [...registered.values()].sort((a, b) => b.order - a.order)) {
        const shortcut = group.get().find((s) => s.key === event.key && s.run);
        if (!shortcut?.run) continue;
        event.preventDefault();
        shortcut.run();
        return;
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [enabled]);
}
