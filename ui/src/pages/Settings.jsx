import { useId } from 'react';
import ChangeEmail from './ChangeEmail.jsx';
import DeleteAccount from './DeleteAccount.jsx';

export default function Settings({ api, t, user, onDeleted }) {
  const id = useId();
  return (
    <section aria-labelledby={`${id}-heading`} className="settings">
      <h1 id={`${id}-heading`}>{t.settings}</h1>
      <ChangeEmail api={api} t={t} user={user} />
      <DeleteAccount api={api} t={t} onDeleted={onDeleted} />
    </section>
  );
}
