import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote, firstInvalid, problemOf } from './form-problem';

/** What the edit form starts from: the app as the API shows it, in the form's fields. */
export interface AppFormEdit {
  name: string;
  generation: number;
  /** Placed by labels: shown, kept, no ticks. */
  selector?: Record<string, string> | undefined;
  values: Record<string, string>;
}

/**
 * The app form, new or edit: manifests as YAML, placement ticks among the
 * workspace's granted clusters, namespace, nodes and the rollout's
 * maxUnavailableClusters. Editing, name and namespace are fixed and the
 * YAML comes prefilled (Secret values as `<redacted>`, kept unless
 * changed). A refusal comes back here with what was typed.
 */
export function AppFormBody(props: {
  i18n: I18n;
  csrf: string;
  ws: string;
  clusters: string[];
  edit?: AppFormEdit | undefined;
  problem?: FormProblem | undefined;
}) {
  const { i18n, ws, clusters, edit } = props;
  const { t } = i18n;
  const problem = problemOf(props.problem, 'app');
  const v = problem?.values ?? edit?.values ?? {};
  const ticked = new Set((v.clusters ?? '').split(',').filter(Boolean));
  const action = edit ? `/ui/workspaces/${ws}/apps/${edit.name}/edit` : `/ui/workspaces/${ws}/apps`;
  return (
    <section class="card" aria-labelledby="app-form">
      <h2 id="app-form">{edit ? `${t('apps.edit')}: ${edit.name}` : t('apps.new')}</h2>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      <form method="post" action={action}>
        <Csrf token={props.csrf} />
        {edit ? (
          <input type="hidden" name="generation" value={String(edit.generation)} />
        ) : (
          <label>
            {t('common.name')}
            <input
              name="name"
              required
              maxlength={63}
              value={v.name ?? ''}
              autofocus={firstInvalid(problem, 'app', 'name')}
            />
          </label>
        )}
        <label>
          {t('label.namespace')}
          <input
            name="namespace"
            required
            maxlength={63}
            value={v.namespace ?? ''}
            readonly={edit !== undefined}
          />
        </label>
        {edit ? <p class="muted">{t('apps.secretsRedacted')}</p> : null}
        <label>
          {t('apps.manifests')}
          <textarea
            name="manifests"
            rows={12}
            required
            autofocus={firstInvalid(problem, 'app', 'manifests')}
          >
            {v.manifests ?? ''}
          </textarea>
        </label>
        <fieldset>
          <legend>{t('apps.placement')}</legend>
          {edit?.selector ? (
            <p class="muted">
              {t('apps.selectorPlacement', {
                labels: Object.entries(edit.selector)
                  .map(([k, val]) => `${k}=${val}`)
                  .join(', '),
              })}
            </p>
          ) : (
            clusters.map((name) => (
              <label>
                <input type="checkbox" name="clusters" value={name} checked={ticked.has(name)} />{' '}
                {name}
              </label>
            ))
          )}
        </fieldset>
        <label>
          {t('apps.nodes')}
          <select name="nodes">
            {(['any', 'edge', 'cloud'] as const).map((n) => (
              <option value={n} selected={(v.nodes ?? 'any') === n}>
                {t(`apps.nodes.${n}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('apps.maxUnavailable')}
          <input
            name="maxUnavailableClusters"
            inputmode="numeric"
            value={v.maxUnavailableClusters ?? ''}
          />
        </label>
        <button type="submit">{edit ? t('apps.save') : t('apps.create')}</button>
      </form>
    </section>
  );
}
