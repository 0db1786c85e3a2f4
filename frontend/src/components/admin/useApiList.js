import { useCallback, useEffect, useRef, useState } from 'react';
import { fetchJson } from '../../lib/api.js';

// GET `path` now and on reload(); `pick` takes the list out of the answer.
// → { items, loading, res (the last failed answer or null), reload }
export function useApiList(path, pick) {
  const [state, setState] = useState({ items: [], loading: true, res: null });
  const pickRef = useRef(pick);
  pickRef.current = pick;
  const seq = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    const res = await fetchJson(path, { timeoutMs: 10000 });
    if (mine !== seq.current) return;
    if (res.ok) {
      const list = pickRef.current(res.data);
      setState({ items: Array.isArray(list) ? list : [], loading: false, res: null });
    } else {
      setState((s) => ({ ...s, loading: false, res }));
    }
  }, [path]);
  useEffect(() => { reload(); }, [reload]);
  return { ...state, reload };
}
