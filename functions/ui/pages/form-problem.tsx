import type { FormIssue, FormProblem } from '../forms/form-problem';
import type { I18n, MessageKey } from '../i18n';

/** Each form's field names and the labels the user sees for them. */
const fieldLabels: Record<string, Record<string, MessageKey>> = {
  channel: {
    name: 'common.name',
    type: 'common.type',
    url: 'channel.url',
    config: 'channel.config',
    workspace: 'edit.workspace',
    cluster: 'edit.cluster',
  },
  receiver: {
    name: 'common.name',
    channels: 'receiver.channels',
    matchers: 'receiver.matchers',
    workspace: 'edit.workspace',
    cluster: 'edit.cluster',
  },
  app: {
    name: 'common.name',
    namespace: 'label.namespace',
    manifests: 'apps.manifests',
    placement: 'apps.placement',
    nodes: 'apps.nodes',
    rollout: 'apps.maxUnavailable',
  },
  cluster: {
    name: 'clusters.name',
    description: 'clusters.description',
  },
  edge: {
    nodeName: 'cluster.nodeName',
    nodeIp: 'cluster.nodeIp',
  },
  silence: {
    duration: 'alerts.duration',
    comment: 'alerts.comment',
  },
  price: {
    currency: 'price.currency',
    cpuPerCoreHour: 'metering.cpu',
    memoryPerGiBHour: 'metering.memory',
    ingressPerGiB: 'metering.netIn',
    egressPerGiB: 'metering.netOut',
    pvcPerGiBHour: 'metering.storage',
    effectiveFrom: 'price.from',
  },
};

/** The label of a field as the form shows it; the API's paths (`config.url`) by their first part. */
export function labelOf(i18n: I18n, form: string, path: string): string | undefined {
  const name = path.replace(/^(body|json|form)\.?/, '').split('.')[0] ?? '';
  const key = fieldLabels[form]?.[name] ?? (name === 'config' ? fieldLabels[form]?.url : undefined);
  return key ? i18n.t(key) : undefined;
}

function issueText(i18n: I18n, issue: FormIssue): string {
  switch (issue.kind) {
    case 'required':
      return i18n.t('form.required');
    case 'tooLong':
      return i18n.t('form.tooLong');
    case 'jsonObject':
      return i18n.t('form.jsonObject');
    case 'chooseChannel':
      return i18n.t('form.chooseChannel');
    case 'matcher':
      return i18n.t('form.matcher', { value: issue.value ?? '' });
    case 'number':
      return i18n.t('form.number');
    case 'currency':
      return i18n.t('form.currency');
    case 'dateTime':
      return i18n.t('form.dateTime');
    default:
      return i18n.t('form.invalid');
  }
}

/**
 * Why the form next to it was not saved: every field's problem, by the
 * label the user sees, in their language (the API's own words kept small
 * beside a refusal it explained). Never a field name like `cpuPerCoreHour`.
 */
export function FormProblemNote({ i18n, problem }: { i18n: I18n; problem: FormProblem }) {
  // The API's own words (English) only beside an API refusal; the form's own checks are all worded here.
  const fromApi = problem.source === 'api';
  return (
    <div class="notice error" role="alert" id={`${problem.form}-problem`} tabindex={-1}>
      <p>
        <strong>{i18n.t('form.problems')}</strong>
      </p>
      {problem.fields.length > 0 ? (
        <ul>
          {problem.fields.map((f) => (
            <li>
              {labelOf(i18n, problem.form, f.path) ?? i18n.t('form.invalid')}: {issueText(i18n, f)}
              {fromApi && f.kind === 'invalid' ? (
                <span class="muted small"> ({f.message})</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p>
          {i18n.t(
            `error.${[400, 403, 404, 409].includes(problem.status) ? problem.status : 'other'}` as MessageKey,
          )}
        </p>
      )}
      {fromApi ? <p class="muted small">{problem.message}</p> : null}
    </div>
  );
}

/** The problem of this form, when the page was re-rendered for it. */
export const problemOf = (problem: FormProblem | undefined, form: string) =>
  problem?.form === form ? problem : undefined;

/** The form field an issue's path names (`body.config.url` → `config`). */
const fieldOf = (path: string) => path.replace(/^(body|json|form)\.?/, '').split('.')[0] ?? '';

/** Whether the field is the first with a problem: it gets autofocus (scrolled to, no script). */
export const firstInvalid = (problem: FormProblem | undefined, form: string, field: string) => {
  const first = problemOf(problem, form)?.fields[0];
  return first && fieldOf(first.path) === field ? true : undefined;
};

/** `aria-invalid` for a field with a problem (every one, not only the first). */
export const invalidMark = (problem: FormProblem | undefined, form: string, field: string) =>
  problemOf(problem, form)?.fields.some((f) => fieldOf(f.path) === field) ? 'true' : undefined;
