// Where a page may send the browser after login: a path of this very origin, nothing else.
// No DOM, no globals: unit-tested as it is (tests/security/test_redirect.py).

// What browsers read as "/" (a backslash) or drop from a URL (tab, LF, CR and the other
// controls): "/\evil.example" and "/<TAB>/evil.example" both become "//evil.example".
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

/** `next` (a decoded `?suivant=`) as a path of `origin`, or null when it would leave it. */
export function sameOriginPath(next, origin) {
  if (typeof next !== "string" || !next.startsWith("/") || UNSAFE.test(next)) return null;
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== new URL(origin).origin) return null;
  return url.pathname + url.search + url.hash;
}
