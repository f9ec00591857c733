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
 * (`errors.<name>`, or `firstError` for a one-field form) and nothing is sent; a valid value goes to
 * `submit` (usually a mutation, whose failure the query client's one handler shows).
 */
export function useZodForm<S extends z.ZodType>(
  schema: S,
  submit: (value: z.output<S>, form: HTMLFormElement) => unknown,
  values: (data: Record<string, string>) => unknown = (data) => data,
) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const parsed = schema.safeParse(values(Object.fromEntries(new FormData(form)) as Record<string, string>));
    if (!parsed.success) return setErrors(fieldErrors(parsed.error));
    setErrors({});
    void submit(parsed.data, form);
  }
  return { errors, firstError: Object.values(errors)[0] as string | undefined, onSubmit };
}
