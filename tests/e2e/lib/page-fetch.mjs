// The page's own fetch (its cookie, its Origin) → { status, body }: a
// request exactly as the dashboard would send it.
export function pageFetch(page, path, init = {}) {
  return page.evaluate(async ([p, i]) => {
    const res = await fetch(p, { credentials: 'same-origin', ...i, headers: { 'Content-Type': 'application/json', ...(i.headers || {}) } });
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: res.status, body };
  }, [path, init]);
}
