// One line under an admin section: the list's load error and the last action's outcome
// ({ ok, text }). data-ok says whether everything shown is good news.
export default function StatusLine({ testId, loadError, msg }) {
  const text = [loadError, msg?.text].filter(Boolean).join(' · ');
  const ok = !loadError && msg?.ok === true;
  return (
    <p className={ok ? 'ok-line' : 'error-line'} data-testid={testId} data-ok={ok ? 'true' : 'false'} role="status">
      {text}
    </p>
  );
}
