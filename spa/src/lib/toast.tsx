import { lazy, Suspense, useEffect } from "react";
import type { ExternalToast, ToasterProps } from "sonner";

// sonner (9 KB gzip) is not part of the first load: its chunk is fetched as soon as the app has
// rendered, and a toast waits until the Toaster has mounted (one fired earlier would be dropped).
let mounted: () => void;
const ready = new Promise<void>((resolve) => {
  mounted = resolve;
});
const sonner = () => import("sonner");

const LazyToaster = lazy(async () => {
  const { Toaster: SonnerToaster } = await sonner();
  return {
    default: function Mounted(props: ToasterProps) {
      // The Toaster subscribes in its own effect, which runs before this one.
      useEffect(() => mounted(), []);
      return <SonnerToaster {...props} />;
    },
  };
});

export function Toaster(props: ToasterProps) {
  return (
    <Suspense fallback={null}>
      <LazyToaster {...props} />
    </Suspense>
  );
}

type Message = string | React.ReactNode;
const show =
  (kind: "success" | "error" | "warning") =>
  (message: Message, options?: ExternalToast): void => {
    void ready.then(sonner).then(({ toast }) => toast[kind](message, options));
  };

export const toast = { success: show("success"), error: show("error"), warning: show("warning") };
