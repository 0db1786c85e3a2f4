// An accessible on/off switch (a button with role="switch").
export default function Switch({ checked, onChange, disabled, busy, label, testId }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked ? 'true' : 'false'}
      aria-label={label}
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
