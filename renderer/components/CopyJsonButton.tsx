import { useUi } from '../state/ui';

/** Puts a value on the clipboard as indented JSON, exactly as the core returned it. */
export function CopyJsonButton({ value, what }: { value: unknown; what: string }) {
  const announce = useUi((state) => state.announce);
  return (
    <button
      type="button"
      className="secondary"
      data-testid="copy-json"
      onClick={() => {
        const text = JSON.stringify(value, null, 2);
        void copyText(text).then((copied) =>
          announce(copied ? `Copied ${what} as JSON` : `Could not copy ${what}: the clipboard is not available here`),
        );
      }}
    >
      Copy as JSON
    </button>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Without the async clipboard (a page that lost focus, an older shell), a selected
    // textarea and the copy command still work.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const copied = document.execCommand('copy');
    area.remove();
    return copied;
  }
}

/** Prints the current screen: the print stylesheet leaves out navigation and controls. */
export function PrintButton() {
  return (
    <button type="button" className="secondary" data-testid="print" onClick={() => window.print()}>
      Print
    </button>
  );
}
