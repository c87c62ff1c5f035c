import type { FormProblem } from '../forms/form-problem';
import type { I18n } from '../i18n';

/** Why the form next to it was not saved: the message, and each field's issue. */
export function FormProblemNote({ i18n, problem }: { i18n: I18n; problem: FormProblem }) {
  return (
    <div class="notice error" role="alert" id={`${problem.form}-problem`}>
      <p>{i18n.t('edit.failed', { message: problem.message })}</p>
      {problem.fields.length > 0 ? (
        <ul>
          {problem.fields.map((f) => (
            <li>
              <code>{f.path}</code>: {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The problem of this form, when the page was re-rendered for it. */
export const problemOf = (problem: FormProblem | undefined, form: string) =>
  problem?.form === form ? problem : undefined;
