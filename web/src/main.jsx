// web/src/main: the console's shell. Resumes the session (GET /api/session), shows the login
// when there is none, else the header with the role's navigation and the current page.
// Routing is by path (history API); mamorid answers unknown non-/api paths with index.html.
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './api.js';
import { I18n, initialLanguage, rememberLanguage, translator, useI18n } from './i18n.js';
import { Navigation, homeOf, pageOf, pagesFor, useNavigation } from './routes.js';
import { Link } from './components/Link.jsx';
import { Loading } from './components/Status.jsx';
import { Login } from './pages/Login.jsx';
import { Dashboard } from './pages/Dashboard.jsx';
import { Records } from './pages/Records.jsx';
import { Findings, Finding } from './pages/Findings.jsx';
import { Incidents } from './pages/Incidents.jsx';
import { Notices } from './pages/Notices.jsx';
import { Computers } from './pages/Computers.jsx';
import { Products, Product } from './pages/Products.jsx';
import { Provisions } from './pages/Provisions.jsx';
import { Oversight } from './pages/Oversight.jsx';
import './style.css';

function Page({ path, api, session }) {
  const { t } = useI18n();
  const page = pageOf(path);
  if (!page) return <p role="alert">{t('common.not_found')}</p>;
  if (!page.roles.includes(session.role)) return <p role="alert">{t('common.forbidden')}</p>;
  const props = { api, session };
  if (path.startsWith('/findings/')) {
    return <Finding {...props} id={decodeURIComponent(path.slice('/findings/'.length))} />;
  }
  if (path.startsWith('/products/')) {
    return <Product {...props} id={decodeURIComponent(path.slice('/products/'.length))} />;
  }
  switch (page.path) {
    case '/dashboard':
      return <Dashboard {...props} />;
    case '/records':
      return <Records {...props} />;
    case '/findings':
      return <Findings {...props} />;
    case '/incidents':
      return <Incidents {...props} />;
    case '/notices':
      return <Notices {...props} />;
    case '/computers':
      return <Computers {...props} />;
    case '/products':
      return <Products {...props} />;
    case '/provisions':
      return <Provisions {...props} />;
    case '/oversight':
      return <Oversight {...props} />;
    default:
      return <p role="alert">{t('common.not_found')}</p>;
  }
}

function Header({ session, onLogout }) {
  const { t, lang, setLang } = useI18n();
  const { path } = useNavigation();
  return (
    <header class="top">
      <div class="brand">{t('app.title')}</div>
      {session && (
        <nav aria-label={t('nav.label')}>
          <ul>
            {pagesFor(session.role).map((page) => (
              <li key={page.path}>
                <Link
                  href={page.path}
                  aria-current={pageOf(path)?.path === page.path ? 'page' : undefined}
                >
                  {t(page.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div class="tools">
        {session && (
          <span class="who">
            {t('session.as', { user: session.user, role: t(`role.${session.role}`) })}
          </span>
        )}
        <button
          type="button"
          class="lang"
          lang={lang === 'ja' ? 'en' : 'ja'}
          aria-label={t('lang.switch_label')}
          onClick={() => setLang(lang === 'ja' ? 'en' : 'ja')}
        >
          {t('lang.switch')}
        </button>
        {session && (
          <button type="button" onClick={onLogout}>
            {t('session.logout')}
          </button>
        )}
      </div>
    </header>
  );
}

function App() {
  const api = useMemo(() => new Api(), []);
  const [lang, setLangState] = useState(initialLanguage);
  const [session, setSession] = useState(undefined); // undefined: not yet known
  const [notice, setNotice] = useState('');
  const [path, setPath] = useState(window.location.pathname);

  const setLang = useCallback((next) => {
    rememberLanguage(next);
    setLangState(next);
  }, []);
  const i18n = useMemo(() => ({ lang, t: translator(lang), setLang }), [lang, setLang]);
  useEffect(() => rememberLanguage(lang), [lang]);

  const navigate = useCallback((to, replace = false) => {
    if (to !== window.location.pathname) {
      window.history[replace ? 'replaceState' : 'pushState'](null, '', to);
    }
    setPath(to);
  }, []);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    api.onUnauthenticated = () => {
      setSession(null);
      setNotice('session.expired');
    };
    api.resume().then(setSession, () => setSession(null));
  }, [api]);

  // Where the user is sent: the login without a session, the role's first page from '/'.
  useEffect(() => {
    if (session === undefined) return;
    if (session === null && path !== '/login') navigate('/login', true);
    if (session && (path === '/login' || path === '/')) navigate(homeOf(session.role), true);
  }, [session, path, navigate]);

  useEffect(() => {
    const page = pageOf(path);
    document.title = page ? `${i18n.t(page.label)} — mamori` : 'mamori';
  }, [path, i18n]);

  const onLogin = (next) => {
    setNotice('');
    setSession(next);
  };
  const onLogout = async () => {
    try {
      await api.logout();
    } finally {
      setSession(null);
    }
  };

  return (
    <I18n.Provider value={i18n}>
      <Navigation.Provider value={{ path, navigate }}>
        <a class="skip" href="#main">
          {i18n.t('app.skip')}
        </a>
        <Header session={session} onLogout={onLogout} />
        <main id="main" tabIndex={-1}>
          {session === undefined && <Loading />}
          {session === null && <Login api={api} onLogin={onLogin} notice={notice} />}
          {session && <Page path={path} api={api} session={session} />}
        </main>
      </Navigation.Provider>
    </I18n.Provider>
  );
}

render(<App />, document.getElementById('app'));
