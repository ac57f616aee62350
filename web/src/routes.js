// web/src/routes: the console's pages and the roles that may use each, mirroring the RBAC table
// of the API (docs/console-api.md). Navigation shows only a role's pages; the server enforces.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export const pages = [
  { path: '/dashboard', label: 'nav.dashboard', roles: ['analyst', 'overseer', 'admin'] },
  { path: '/records', label: 'nav.records', roles: ['analyst'] },
  { path: '/findings', label: 'nav.findings', roles: ['analyst'] },
  { path: '/incidents', label: 'nav.incidents', roles: ['operator', 'analyst', 'admin'] },
  { path: '/notices', label: 'nav.notices', roles: ['operator'] },
  { path: '/computers', label: 'nav.computers', roles: ['operator', 'analyst', 'admin'] },
  { path: '/products', label: 'nav.products', roles: ['analyst', 'admin'] },
  { path: '/provisions', label: 'nav.provisions', roles: ['analyst', 'overseer', 'admin'] },
  { path: '/oversight', label: 'nav.oversight', roles: ['overseer', 'admin'] },
];

export const pagesFor = (role) => pages.filter((page) => page.roles.includes(role));

export function homeOf(role) {
  return pagesFor(role)[0]?.path ?? '/login';
}

// The page a path belongs to: '/findings/abc' is under '/findings'.
export function pageOf(path) {
  return pages.find((page) => path === page.path || path.startsWith(page.path + '/'));
}

export const Navigation = createContext({ path: '/', navigate: () => {} });
export const useNavigation = () => useContext(Navigation);
