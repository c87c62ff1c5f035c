import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote, firstInvalid, problemOf } from './form-problem';

/**
 * The new-app form: manifests as YAML, placement ticks among the
 * workspace's granted clusters, namespace, nodes and the rollout's
 * maxUnavailableClusters. A refusal comes back here with what was typed.
 */
export function AppFormBody(props: {
  i18n: I18n;
  csrf: string;
  ws: string;
  clusters: string[];
  problem?: FormProblem | undefined;
}) {
  const { i18n, ws, clusters } = props;
  const { t } = i18n;
  const problem = problemOf(props.problem, 'app');
  const v = problem?.values ?? {};
  const ticked = new Set((v.clusters ?? '').split(',').filter(Boolean));
  return (
    <section class="card" aria-labelledby="app-form">
      <h2 id="app-form">{t('apps.new')}</h2>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      <form method="post" action={`/ui/workspaces/${ws}/apps`}>
        <Csrf token={props.csrf} />
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
        <label>
          {t('label.namespace')}
          <input name="namespace" required maxlength={63} value={v.namespace ?? ''} />
        </label>
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
          {clusters.map((name) => (
            <label>
              <input type="checkbox" name="clusters" value={name} checked={ticked.has(name)} />{' '}
              {name}
            </label>
          ))}
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
        <button type="submit">{t('apps.create')}</button>
      </form>
    </section>
  );
}
