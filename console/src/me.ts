import { call, type Me } from "./api";

let cached: Promise<Me> | null = null;

/** GET /v1/me, once per change of who is signed in or what they administer. */
export function loadMe(fresh = false): Promise<Me> {
  if (!cached || fresh) {
    cached = call<Me>("GET /v1/me");
    cached.catch(() => (cached = null));
  }
  return cached;
}

export function forgetMe() {
  cached = null;
}
