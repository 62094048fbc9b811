import { t } from './i18n.js';

// The session token lives in memory (and sessionStorage, so a reload inside the iframe keeps working);
// it goes only into the Authorization header of calls to the relay's own origin.
let sessionToken = null;

export function useSession(token) {
  sessionToken = token;
}

/** A failed call with a message fit to show: problem+json title and detail, or what went wrong in words. */
export class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
    /** Validation problems: { "target.credentials.apiKey": ["Enter the apiKey."] } */
    this.errors = problem?.errors ?? null;
  }
}

function describe(status, problem) {
  if (status === 401) return t('error.session');
  if (status === 409 && problem?.currentVersion !== undefined) return t('error.conflict');
  const title = problem?.title;
  const detail = problem?.detail;
  if (title && detail) return `${title}: ${detail}`;
  return title || detail || `${t('error.generic')} (HTTP ${status})`;
}

export function api(method, path, body) {
  return apiAt(`./api${path}`, method, body);
}

/** A call to another of the relay's routes that the session authorises (a platform's own, given from the relay's root). */
export function relayApi(method, rootPath, body) {
  return apiAt(`..${rootPath}`, method, body);
}

async function apiAt(url, method, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${sessionToken}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, null, t('error.network'));
  }
  if (response.status === 204) return null;
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, data, describe(response.status, data));
  return data;
}
