import { useId, useState } from 'react';
import { clearIfUnchanged } from '../draft.js';
import { describeError } from '../messages.js';
import { useRemoteList } from '../useRemoteList.js';

export default function Plans({ api, t }) {
  const id = useId();
  const [title, setTitle] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const [plans, setPlans, load] = useRemoteList(api, '/plans', t, setError);

  // Every change goes through here: show the error and, for a plan that is gone, reload.
  async function change(action) {
    setError(null);
    try {
      await action();
      return true;
    } catch (failure) {
      if (failure?.response?.status === 401) return false; // sent to sign-in already
      setError(describeError(failure, t, 'plan'));
      if (failure?.response?.status === 404) await load();
      return false;
    }
  }

  async function add(event) {
    event.preventDefault();
    const submitted = title;
    const trimmed = submitted.trim();
    if (!trimmed || [...trimmed].length > 500) {
      setError(t.errors.badTitle);
      return;
    }
    setBusy(true);
    const added = await change(async () => {
      const created = (await api.post('/plans', { title: trimmed })).data;
      setPlans((list) => [...(list ?? []), created]);
    });
    // The person may have typed the next plan while this one was saving: keep it.
    if (added) setTitle(clearIfUnchanged(submitted));
    setBusy(false);
  }

  // Optimistic: the box follows the click at once; a failure puts it back.
  async function toggle(plan) {
    const replace = (next) => setPlans((list) => list.map((p) => (p.id === plan.id ? next : p)));
    replace({ ...plan, done: !plan.done });
    const saved = await change(async () => {
      replace((await api.patch(`/plans/${plan.id}`, { done: !plan.done })).data);
    });
    if (!saved) replace(plan);
  }

  const remove = (plan) =>
    change(async () => {
      await api.delete(`/plans/${plan.id}`);
      setPlans((list) => list.filter((p) => p.id !== plan.id));
    });

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>{t.plans}</h1>
      <form className="inline" noValidate onSubmit={add}>
        <label htmlFor={`${id}-title`}>{t.newPlan}</label>
        <input
          id={`${id}-title`}
          value={title}
          maxLength={500}
          onChange={(event) => setTitle(event.target.value)}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          {t.addPlan}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {plans === null ? (
        <p role="status">{t.loading}</p>
      ) : plans.length === 0 ? (
        <p className="empty">{t.noPlans}</p>
      ) : (
        <ul className="plans" aria-label={t.plans}>
          {plans.map((plan) => (
            <li key={plan.id} className={plan.done ? 'done' : undefined}>
              <input
                type="checkbox"
                id={`${id}-plan-${plan.id}`}
                checked={plan.done}
                onChange={() => toggle(plan)}
                aria-label={t.markDone(plan.title)}
              />
              <span className="title">{plan.title}</span>
              <button type="button" className="link" aria-label={t.deletePlanNamed(plan.title)} onClick={() => remove(plan)}>
                {t.deletePlan}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
