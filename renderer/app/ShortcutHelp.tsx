import { useEffect, useRef } from 'react';
import { shortcutGroups } from '../components/shortcuts';
import { usePreferences } from '../state/preferences';

/** `?`: the shortcuts of this screen and of the whole console, and the switch that turns single keys off. */
export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  const shortcuts = usePreferences((state) => state.shortcuts);
  const setShortcuts = usePreferences((state) => state.setShortcuts);
  const groups = shortcutGroups();
  useEffect(() => {
    const before = document.activeElement;
    close.current?.focus();
    return () => {
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);
  return (
    <div className="backdrop" onClick={onClose}>
      <div
        className="dialog dialog-wide"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcut-help-title"
        data-testid="shortcut-help"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose();
          event.stopPropagation();
        }}
      >
        <h2 id="shortcut-help-title">Keyboard shortcuts</h2>
        <label className="checkbox">
          <input type="checkbox" checked={shortcuts} onChange={(event) => setShortcuts(event.target.checked)} />
          Single-key shortcuts (they never fire while you type in a field)
        </label>
        {groups.map((group) => (
          <section key={group.title} aria-label={group.title}>
            <h3 className="small-heading">{group.title}</h3>
            <dl className="shortcut-list">
              {group.shortcuts.map((shortcut) => (
                <div key={`${shortcut.keys}-${shortcut.description}`}>
                  <dt>
                    <kbd>{shortcut.keys}</kbd>
                  </dt>
                  <dd>{shortcut.description}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
        <div className="actions">
          <button ref={close} type="button" className="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
