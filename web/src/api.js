// web/src/api: the console's calls to mamorid (docs/console-api.md). Same-origin fetch with
// the session cookie; every unsafe method carries X-CSRF-Token. Errors become ApiError with the
// server's code, English and Japanese message and the offending field.

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const detail = body?.error ?? {};
    super(detail.message || `HTTP ${status}`);
    this.status = status;
    this.code = detail.code || `http_${status}`;
    this.messageJa = detail.message_ja || '';
    this.field = detail.field || '';
    this.retryAfter = retryAfter;
  }
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class Api {
  constructor() {
    this.csrfToken = '';
    // Called when a request finds the session gone (401), so that the console shows the login.
    this.onUnauthenticated = () => {};
  }

  async request(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (unsafe.has(method) && this.csrfToken) headers['X-CSRF-Token'] = this.csrfToken;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    const type = response.headers.get('Content-Type') || '';
    const parsed = type.includes('json') ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const error = new ApiError(response.status, parsed, response.headers.get('Retry-After'));
      if (response.status === 401 && path !== '/api/session') this.onUnauthenticated(error);
      throw error;
    }
    return parsed;
  }

  get(path) {
    return this.request('GET', path);
  }
  post(path, body) {
    return this.request('POST', path, body ?? {});
  }

  async login(user, password) {
    const session = await this.request('POST', '/api/session', { user, password });
    this.csrfToken = session.csrf_token;
    return session;
  }
  async resume() {
    const session = await this.request('GET', '/api/session');
    this.csrfToken = session.csrf_token;
    return session;
  }
  async logout() {
    try {
      await this.request('DELETE', '/api/session');
    } finally {
      this.csrfToken = '';
    }
  }
}
