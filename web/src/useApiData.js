// web/src/useApiData: loads one GET endpoint for a page: {data, error, loading, reload}.
import { useCallback, useEffect, useState } from 'preact/hooks';

export function useApiData(api, path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const load = useCallback(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    api.get(path).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [api, path]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}
