// An accessible on/off switch (a button with role="switch"). `title` says why it is
// disabled when it is (e.g. another household's relay).
export default function Switch({ checked, onChange, disabled, busy, label, testId, title }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked ? 'true' : 'false'}
      aria-label={label}
      title={title}
      aria-busy={busy ? 'true' : undefined}
      disabled={disabled}
      data-testid={testId}
      className={`switch${checked ? ' on' : ''}${busy ? ' busy' : ''}`}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-knob" />
    </button>
  );
}
