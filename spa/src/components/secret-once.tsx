import { type ReactNode, useState } from "react";
import { toast } from "../lib/toast";
import { Button } from "./ui";

/** A secret shown this one time (an API key, a trigger's secret), with a copy button and what to do with it. */
export function SecretOnce({
  name,
  secret,
  testId,
  children,
  onDone,
}: {
  name: string;
  secret: string;
  testId: string;
  children?: ReactNode;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-4">
      <p className="text-sm text-zinc-600">
        This is the only time <span className="font-medium text-zinc-900">{name}</span> is shown. Store it somewhere safe, like your secrets
        manager.
      </p>
      <div className="flex items-center gap-2 rounded-lg border border-zinc-200 bg-zinc-50 p-2">
        <code data-testid={testId} className="flex-1 overflow-x-auto px-1 font-mono text-xs break-all text-zinc-800 select-all">
          {secret}
        </code>
        <Button
          variant="secondary"
          className="px-2.5 py-1 text-xs"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(secret);
              setCopied(true);
              toast.success("Copied to clipboard");
            } catch {
              toast.error("Could not copy: select it and copy it by hand");
            }
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
      {children}
      <div className="flex justify-end">
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
