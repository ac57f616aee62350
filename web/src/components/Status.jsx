// web/src/components/Status: loading and error notes shared by the pages. Errors from the
// server are shown in the display language (message_ja or message) with their code.
import { errorText, useI18n } from '../i18n.js';

export function Loading() {
  const { t } = useI18n();
  return (
    <p class="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

export function ErrorNote({ error, title }) {
  const { t, lang } = useI18n();
  if (!error) return null;
  return (
    <div class="error" role="alert" data-code={error.code}>
      <strong>{title ?? t('common.error')}</strong>
      <p>{errorText(error, lang, t)}</p>
      {error.code && <p class="code">{error.code}</p>}
    </div>
  );
}
