import { useState, type FormEvent } from "react";
import type { z } from "zod";

/** The first message per top-level field, for showing zod errors beside form inputs. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of error.issues) out[String(i.path[0])] ??= i.message;
  return out;
}

/**
 * The one way a form submits: its fields (FormData, shaped by `values` when the schema wants more
 * than the inputs) are checked with the same zod schema the API uses; errors show beside the fields
 * (`errors.<name>`, or `firstError` for a one-field form) and nothing is sent (`all` has every value of
 * a repeated field, e.g. checkboxes); a valid value goes to
 * `submit` (usually a mutation, whose failure the query client's one handler shows).
 */
export function useZodForm<S extends z.ZodType>(
  schema: S,
  submit: (value: z.output<S>, form: HTMLFormElement) => unknown,
  values: (data: Record<string, string>, all: FormData) => unknown = (data) => data,
) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const all = new FormData(form);
    const parsed = schema.safeParse(values(Object.fromEntries(all) as Record<string, string>, all));
    if (!parsed.success) return setErrors(fieldErrors(parsed.error));
    setErrors({});
    void submit(parsed.data, form);
  }
  return { errors, firstError: Object.values(errors)[0] as string | undefined, onSubmit };
}
