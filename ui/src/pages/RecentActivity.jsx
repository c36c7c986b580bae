import { useId, useMemo, useState } from 'react';
import { usePagedList } from '../useRemoteList.js';
import EventList from './EventList.jsx';

export const ACTIVITY_PAGE = 20;

/** The security page's "Recent activity": the signed-in user's own events. */
export default function RecentActivity({ api, t }) {
  const id = useId();
  const [error, setError] = useState(null);
  const params = useMemo(() => ({ limit: ACTIVITY_PAGE }), []);
  const list = usePagedList(api, '/auth/events', 'events', params, t, setError);

  return (
    <section aria-labelledby={`${id}-heading`} className="activity">
      <h2 id={`${id}-heading`}>{t.recentActivity}</h2>
      <p>{t.recentActivityIntro}</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <EventList t={t} label={t.recentActivity} list={list} />
    </section>
  );
}
