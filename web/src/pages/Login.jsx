// web/src/pages/Login: user name and password → POST /api/session. Wrong credentials and the
// rate limit (429 with Retry-After) are told apart; nothing else about the account is revealed.
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n.js';
import { ErrorNote } from '../components/Status.jsx';

export function Login({ api, onLogin, notice }) {
  const { t } = useI18n();
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setProblem('');
    setError(null);
    try {
      onLogin(await api.login(user, password));
    } catch (failure) {
      setPassword('');
      if (failure.status === 401) setProblem(t('login.failed'));
      else if (failure.status === 429) {
        setProblem(t('login.too_many', { seconds: failure.retryAfter || '60' }));
      } else setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="login" aria-labelledby="login-heading">
      <h1 id="login-heading">{t('login.heading')}</h1>
      {notice && <p class="note">{t(notice)}</p>}
      <form onSubmit={submit}>
        <label for="login-user">{t('login.user')}</label>
        <input
          id="login-user"
          name="user"
          autocomplete="username"
          required
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
        />
        <label for="login-password">{t('login.password')}</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </section>
  );
}
