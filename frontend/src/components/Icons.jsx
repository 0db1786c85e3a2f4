// The app's own inline SVG icons (no icon fonts or CDNs: the dashboard runs offline).

export function SunLogo({ size = 28 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <circle cx="16" cy="16" r="6.5" fill="#f5a524" />
      <g stroke="#f5a524" strokeWidth="2.4" strokeLinecap="round">
        <path d="M16 3.5v3.2M16 25.3v3.2M3.5 16h3.2M25.3 16h3.2M7.2 7.2l2.2 2.2M22.6 22.6l2.2 2.2M7.2 24.8l2.2-2.2M22.6 9.4l2.2-2.2" />
      </g>
    </svg>
  );
}

// A house whose window holds a light bulb: lit (warm glow, rays) when the relay is on.
export function HouseIcon({ on, size = 72 }) {
  const wall = on ? '#fff7e6' : '#eef1f4';
  const stroke = on ? '#b7791f' : '#94a3b8';
  const roof = on ? '#e08e0b' : '#a3afbd';
  return (
    <svg width={size} height={size} viewBox="0 0 72 72" aria-hidden="true" focusable="false" className="house-icon">
      {on && <circle cx="36" cy="44" r="17" fill="#fde68a" opacity="0.55" />}
      <path d="M10 33 L36 11 L62 33" fill="none" stroke={roof} strokeWidth="5" strokeLinecap="round" strokeLinejoin="round" />
      <path d="M16 30 V62 H56 V30" fill={wall} stroke={stroke} strokeWidth="3" strokeLinejoin="round" />
      <rect x="47" y="14" width="6" height="10" rx="1" fill={roof} />
      {/* bulb */}
      <path
        d="M36 33 a8 8 0 0 1 4.8 14.4 c-1 .8-1.4 1.8-1.4 3v1.4 h-6.8 v-1.4 c0-1.2-.4-2.2-1.4-3 A8 8 0 0 1 36 33 z"
        fill={on ? '#f5a524' : '#cbd5e1'}
        stroke={on ? '#b45309' : '#94a3b8'}
        strokeWidth="1.6"
      />
      <rect x="32.8" y="53" width="6.4" height="3.2" rx="1.2" fill={on ? '#92400e' : '#94a3b8'} />
      {on && (
        <g stroke="#d97706" strokeWidth="2" strokeLinecap="round">
          <path d="M36 26.5v-3M25.5 35.5l-2.6-1.5M46.5 35.5l2.6-1.5M27.5 28.5l-2-2.2M44.5 28.5l2-2.2" />
        </g>
      )}
    </svg>
  );
}

// Battery outline filled to `percent` (null = no reading).
export function BatteryGauge({ percent, width = 132, height = 56 }) {
  const p = percent === null || percent === undefined ? 0 : Math.max(0, Math.min(100, percent));
  const color = p >= 50 ? '#16a34a' : p >= 20 ? '#d97706' : '#dc2626';
  const innerW = 104;
  return (
    <svg width={width} height={height} viewBox="0 0 132 56" aria-hidden="true" focusable="false">
      <rect x="3" y="5" width="116" height="46" rx="9" fill="#f1f5f9" stroke="#334155" strokeWidth="3" />
      <rect x="121" y="19" width="8" height="18" rx="3" fill="#334155" />
      {percent !== null && percent !== undefined && (
        <rect x="9" y="11" width={(innerW * p) / 100} height="34" rx="5" fill={color} style={{ transition: 'width .4s ease' }} />
      )}
    </svg>
  );
}

export function BoltIcon({ size = 18 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M13 2 4 14h7l-1 8 9-12h-7z" fill="currentColor" />
    </svg>
  );
}

export function MarketIcon({ size = 22 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M4 7h13l-3-3M20 17H7l3 3" />
    </svg>
  );
}

export function DownloadIcon({ size = 16 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />
    </svg>
  );
}
