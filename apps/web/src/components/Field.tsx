import { useId, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

// 16 px text on a phone: a smaller one makes mobile browsers zoom in on focus.
const CONTROL =
  'block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 max-sm:text-base shadow-sm ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-primary-500 focus:outline-none focus-within:ring-2 focus-within:ring-primary-500 aria-invalid:ring-red-500';

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: (control: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: boolean;
    className: string;
  }) => ReactNode;
}

/**
 * A label, the control, a hint and the API's message for this field. The message goes as soon as
 * the control changes: it was about the value that was sent, not the one being typed.
 */
export function Field({ label, hint, error: sentError, children }: FieldProps) {
  const id = useId();
  const [errorSeen, setErrorSeen] = useState(sentError);
  const [changed, setChanged] = useState(false);
  if (sentError !== errorSeen) {
    setErrorSeen(sentError);
    setChanged(false);
  }
  const error = changed ? undefined : sentError;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = error ? errorId : hint ? hintId : undefined;
  return (
    <div onChange={() => setChanged(true)}>
      <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children({
        id,
        'aria-describedby': describedBy,
        'aria-invalid': error ? true : undefined,
        className: CONTROL,
      })}
      {hint && !error && (
        <p id={hintId} className="mt-1.5 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1.5 text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

type TextFieldProps = Omit<FieldProps, 'children'> & InputHTMLAttributes<HTMLInputElement>;

export function TextField({ label, hint, error, ...input }: TextFieldProps) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => <input {...input} {...control} />}
    </Field>
  );
}

type SelectFieldProps = Omit<FieldProps, 'children'> & SelectHTMLAttributes<HTMLSelectElement>;

export function SelectField({ label, hint, error, children, ...select }: SelectFieldProps) {
  return (
    <Field label={label} hint={hint} error={error}>
      {(control) => (
        <select {...select} {...control}>
          {children}
        </select>
      )}
    </Field>
  );
}
