// web/src/labels: names for the server's codes (device categories, CI sectors, tiers, recipient
// classes, provision types, part kinds): the message table's name when it has one, else the
// code as the server sent it, so that a code added on the server still shows.

export function named(t, prefix, code) {
  if (code === null || code === undefined || code === '') return '—';
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? String(code) : text;
}

// Recipient classes: the table's name; else the server's Japanese name (provisions carry
// recipient_class_ja) in Japanese, else the code.
export function recipientClass(t, lang, provision) {
  const code = provision.recipient_class;
  const key = `recipient.${code}`;
  const text = t(key);
  if (text !== key) return text;
  return (lang === 'ja' && provision.recipient_class_ja) || code || '—';
}
