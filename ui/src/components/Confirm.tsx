import { useRef, useState } from 'preact/hooks';
import { errorText } from '../api.js';

/**
 * A button whose action runs only after the user confirms it in a dialog that says what will
 * happen; the action's error, if any, is shown beside the button.
 */
export function ConfirmButton({ label, question, action, danger, disabled }: {
  label: string; question: string; action: () => Promise<unknown>; danger?: boolean; disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    dialog.current?.close();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm">
      <button class={danger ? 'danger' : ''} disabled={disabled || busy} onClick={() => dialog.current?.showModal()}>{label}</button>
      {error && <span class="error" role="alert">{error}</span>}
      <dialog ref={dialog} aria-label={label}>
        <p>{question}</p>
        <div class="actions">
          <button onClick={() => dialog.current?.close()}>Keep it</button>
          <button class={danger ? 'danger' : 'primary'} onClick={confirm}>{label}</button>
        </div>
      </dialog>
    </span>
  );
}
