import { Field, Input } from "./ui";

/** Name and model inputs, shared by "create from template" and "edit agent". */
export function AgentFields({
  name,
  model,
  errors,
  modelHint,
  autoFocus,
}: {
  name: string;
  model: string;
  errors: Record<string, string>;
  modelHint: string;
  autoFocus?: boolean;
}) {
  return (
    <>
      <Field label="Name" error={errors.name}>
        <Input name="name" defaultValue={name} invalid={!!errors.name} autoFocus={autoFocus} />
      </Field>
      <Field label="Model" error={errors.model} hint={modelHint}>
        <Input name="model" defaultValue={model} invalid={!!errors.model} className="font-mono" />
      </Field>
    </>
  );
}
