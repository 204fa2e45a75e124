import { useId, useState } from 'react';
import type { ChangeEvent, FormEvent } from 'react';
import { ContractError, fieldIssues, issueInWords, operations } from '../../../core/contract';
import type { FieldIssue, OperationInput, OperationName } from '../../../core/contract';

export type FormValues = Record<string, string | boolean>;
type Messages<V> = Partial<Record<keyof V, string>>;

export interface ContractFormOptions<K extends OperationName, V extends FormValues> {
  initial: V;
  /** Each field's name as a person sees it: errors read "Tenant ID is required". */
  labels: { [F in keyof V]: string };
  /** From the form's text to the operation's input (numbers, nulls, trimmed optional text). */
  toInput?: (values: V) => OperationInput<K>;
  /** Which form field an input path belongs to, when the input nests (`action.command` → `command`). */
  fieldFor?: (path: string) => keyof V | undefined;
}

export interface ContractForm<K extends OperationName, V extends FormValues> {
  values: V;
  set<F extends keyof V>(field: F, value: V[F]): void;
  /** Errors shown next to their fields, in words: none until the first submit, then kept current. */
  errors: Messages<V>;
  /** An error that belongs to no field of this form. */
  formError: string | null;
  /** Labels of required fields that are still empty: the submit button says so. */
  missing: string[];
  labels: { [F in keyof V]: string };
  idOf(field: keyof V): string;
  isRequired(field: keyof V): boolean;
  textProps(field: keyof V): {
    id: string;
    name: string;
    value: string;
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => void;
    'aria-invalid': true | undefined;
    'aria-required': true | undefined;
  };
  /** Checks against the operation's own input schema; calls `onValid` only when it passes. */
  onSubmit(onValid: (input: OperationInput<K>) => void): (event: FormEvent) => void;
  /** Puts an error from the core next to every field it names. */
  showError(error: unknown): void;
  reset(): void;
}

/**
 * The console's form pattern. The contract's input schema is the one place the rules live:
 * on submit the form checks against it and shows every problem at once, each next to its
 * field, in words, and keeps them current as the person types. Errors the core returns (an
 * id already taken) land next to their fields the same way.
 */
export function useContractForm<K extends OperationName, V extends FormValues>(
  op: K,
  options: ContractFormOptions<K, V>,
): ContractForm<K, V> {
  const { initial, labels, toInput, fieldFor } = options;
  const prefix = useId();
  const [values, setValues] = useState<V>(initial);
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<{ fields: Messages<V>; form: string | null } | null>(null);
  const fields = Object.keys(labels) as (keyof V)[];
  const toOperationInput = (current: V) => (toInput ? toInput(current) : current) as OperationInput<K>;

  const check = (current: V) => {
    const parsed = operations[op].input.safeParse(toOperationInput(current), {
      reportInput: true,
      error: issueInWords,
    });
    return { ok: parsed.success, ...place(parsed.success ? [] : fieldIssues(parsed.error)) };
  };
  const place = (issues: readonly FieldIssue[]) => {
    const byField: Messages<V> = {};
    let other: string | null = null;
    for (const issue of issues) {
      const field = fieldFor ? fieldFor(issue.field) : fields.find((name) => name === issue.field.split('.')[0]);
      if (field === undefined) other ??= `${issue.field}: ${issue.message}`;
      else byField[field] ??= `${labels[field]} ${issue.message}`;
    }
    return { byField, other };
  };

  // Required = a text field the schema refuses when it is blank, given the other values (which
  // fields an action needs depends on its type). A handful of parses per render, for small forms.
  const required = fields.filter(
    (field) => typeof values[field] === 'string' && check({ ...values, [field]: '' }).byField[field] !== undefined,
  );
  const local = check(values);
  const none: Messages<V> = {};
  const errors: Messages<V> = { ...(submitted ? local.byField : none), ...(server?.fields ?? none) };
  const idOf = (field: keyof V) => `${prefix}-${String(field)}`;
  const focusFirst = (messages: Messages<V>) => {
    const first = fields.find((field) => messages[field]);
    if (first !== undefined) document.getElementById(idOf(first))?.focus();
  };
  const update = <F extends keyof V>(field: F, value: V[F]) => {
    setValues((current) => ({ ...current, [field]: value }));
    // What the core said was about the old value.
    setServer((current) => {
      if (!current?.fields[field]) return current;
      const rest = { ...current.fields };
      delete rest[field];
      return { ...current, fields: rest };
    });
  };

  return {
    values,
    set: update,
    errors,
    formError: server?.form ?? (submitted ? local.other : null),
    missing: required.filter((field) => String(values[field] ?? '').trim() === '').map((field) => labels[field]),
    labels,
    idOf,
    isRequired: (field) => required.includes(field),
    textProps: (field) => ({
      id: idOf(field),
      name: String(field),
      value: String(values[field] ?? ''),
      onChange: (event) => update(field, event.target.value as V[typeof field]),
      'aria-invalid': errors[field] ? true : undefined,
      'aria-required': required.includes(field) ? true : undefined,
    }),
    onSubmit: (onValid) => (event) => {
      event.preventDefault();
      setSubmitted(true);
      setServer(null);
      if (!local.ok) return focusFirst(local.byField);
      onValid(toOperationInput(values));
    },
    showError: (error) => {
      const contract = error instanceof ContractError ? error : null;
      const issues: readonly FieldIssue[] =
        contract && contract.issues.length > 0
          ? contract.issues
          : contract?.field
            ? [{ field: contract.field, message: withoutField(contract.message, contract.field) }]
            : [];
      const placed = place(issues);
      const form = issues.length === 0 ? (error instanceof Error ? error.message : String(error)) : placed.other;
      setServer({ fields: placed.byField, form });
      focusFirst(placed.byField);
    },
    reset: () => {
      setValues(initial);
      setSubmitted(false);
      setServer(null);
    },
  };
}

/** The core says `id: is required`; next to the field labelled "Tenant ID" that reads "Tenant ID is required". */
function withoutField(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}
