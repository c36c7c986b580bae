import { useMemo } from 'react';
import { dateFormat, eventLabel, eventNote, formatWhen } from '../activity.js';
import { describeAgent } from './Sessions.jsx';

/**
 * Security events, newest first: what happened, when (in the page's language), from
 * which address and browser; for an admin also who acted and the event's details.
 * Below the list, "Show more" while the server has another page.
 */
export default function EventList({ t, label, list, admin = false }) {
  const format = useMemo(() => dateFormat(), []);
  const { items, next, loading, more } = list;
  if (items === null) return loading ? <p className="hint">{t.loading}</p> : null;
  return (
    <>
      {items.length === 0 ? (
        <p className="empty">{t.noActivity}</p>
      ) : (
        <ul className="events" aria-label={label}>
          {items.map((event) => {
            const note = admin ? eventNote(event, t) : null;
            return (
              <li key={event.id}>
                <span className="what">{eventLabel(event.type, t)}</span>
                <time dateTime={event.at}>{formatWhen(format, event.at)}</time>
                <span className="where">
                  {event.ip || t.unknownAddress} ·{' '}
                  <span title={event.user_agent || undefined}>{describeAgent(event.user_agent, t.unknownAgent)}</span>
                </span>
                {note && <span className="note">{note}</span>}
              </li>
            );
          })}
        </ul>
      )}
      {next && (
        <div className="actions">
          <button type="button" className="secondary" disabled={loading} onClick={more}>
            {t.showMore}
          </button>
        </div>
      )}
    </>
  );
}
