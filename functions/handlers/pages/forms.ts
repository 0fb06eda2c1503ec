import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../domain/errors';
import { type Html, html } from './html';

/** What a form shows again after the API's use case refused it: the values sent and each field's message. */
export interface FormState {
  values: Record<string, string>;
  fields: Record<string, string>;
  message?: string;
}

export const emptyForm = (values: Record<string, string> = {}): FormState => ({ values, fields: {} });

/** The use case's own field-level messages, by dot path, kept for the form; anything else is rethrown. */
export function refusedForm(error: unknown, values: Record<string, string>): FormState {
  if (!(error instanceof ValidationError)) throw error;
  return { values, fields: error.fields, message: error.message };
}

/** The messages for a field and the paths below it (`evidence` shows `evidence.2`'s). */
export function fieldError(state: FormState, name: string): Html {
  const messages = Object.entries(state.fields)
    .filter(([path]) => path === name || path.startsWith(`${name}.`))
    .map(([path, message]) => (path === name ? message : `${path.slice(name.length + 1)}: ${message}`));
  return messages.length ? html`<p class="error" id="${name}-error">${messages.join('; ')}</p>` : html``;
}

/** The messages no field on the form shows, so none is lost. */
export function formProblems(state: FormState, shown: string[]): Html {
  const others = Object.entries(state.fields).filter(
    ([path]) => !shown.some((name) => path === name || path.startsWith(`${name}.`)),
  );
  if (!state.message && others.length === 0) return html``;
  return html`<div class="problem" role="alert"><p>${state.message ?? 'Please check the form.'}</p>${
    others.length ? html`<ul>${others.map(([path, message]) => html`<li>${path}: ${message}</li>`)}</ul>` : ''
  }</div>`;
}

/** `aria-describedby` and `aria-invalid` for a field with a message. */
export const invalid = (state: FormState, name: string): Html =>
  Object.keys(state.fields).some((path) => path === name || path.startsWith(`${name}.`))
    ? html` aria-invalid="true" aria-describedby="${name}-error"`
    : html``;

/** A key per rendered form: a double submit files once, as the API's Idempotency-Key makes it. */
export const formKey = (state: FormState): string => state.values.key || randomUUID();

export const optional = (value: string | null): string | undefined =>
  value?.trim() ? value.trim() : undefined;
