import { QueryClientProvider } from "@tanstack/react-query";
import { type ComponentType, StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, Link, Navigate, RouterProvider } from "react-router";
import { Toaster } from "sonner";
import { AppShell, RequireSession } from "./components/AppShell";
import { Logo } from "./components/ui";
import { makeQueryClient, makeTrpcClient, TRPCProvider } from "./lib/trpc";
import "./styles.css";

function NotFound() {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-3 text-center">
      <Logo markOnly />
      <h1 className="text-xl font-semibold">Page not found</h1>
      <Link to="/dashboard" className="text-sm text-brand-700 hover:underline">
        Back to the dashboard
      </Link>
    </div>
  );
}

/**
 * A route's page, loaded when the route is first visited: each page (and what only it uses, such as
 * the usage charts or the markdown renderer) is its own chunk, so the first load is the shell alone.
 */
const page =
  <M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M) =>
  async () => ({ Component: (await load())[name] as ComponentType });

const router = createBrowserRouter([
  { path: "/signup", lazy: page(() => import("./pages/AuthPages"), "SignupPage") },
  { path: "/login", lazy: page(() => import("./pages/AuthPages"), "LoginPage") },
  { path: "/pricing", lazy: page(() => import("./pages/PricingPage"), "PricingPage") },
  {
    element: <RequireSession />,
    children: [
      { path: "/teams/new", lazy: page(() => import("./pages/NewTeamPage"), "NewTeamPage") },
      { path: "/invitations", lazy: page(() => import("./pages/InvitationsPage"), "InvitationsPage") },
      {
        element: <AppShell />,
        children: [
          { path: "/", element: <Navigate to="/dashboard" replace /> },
          { path: "/dashboard", lazy: page(() => import("./pages/DashboardPage"), "DashboardPage") },
          { path: "/agents", lazy: page(() => import("./pages/AgentsPage"), "AgentsPage") },
          { path: "/agents/:id", lazy: page(() => import("./pages/AgentPage"), "AgentPage") },
          { path: "/agents/:id/chat", lazy: page(() => import("./pages/ChatPage"), "ChatPage") },
          { path: "/runs", lazy: page(() => import("./pages/RunsPage"), "RunsPage") },
          { path: "/runs/:id", lazy: page(() => import("./pages/RunPage"), "RunPage") },
          { path: "/runtime", lazy: page(() => import("./pages/RuntimePage"), "RuntimePage") },
          { path: "/skills", lazy: page(() => import("./pages/SkillsPage"), "SkillsPage") },
          { path: "/telegram", lazy: page(() => import("./pages/TelegramPage"), "TelegramPage") },
          { path: "/billing", lazy: page(() => import("./pages/BillingPage"), "BillingPage") },
          { path: "/usage", lazy: page(() => import("./pages/UsagePage"), "UsagePage") },
          { path: "/audit", lazy: page(() => import("./pages/AuditPage"), "AuditPage") },
          { path: "/settings/keys", lazy: page(() => import("./pages/ModelKeysPage"), "ModelKeysPage") },
          { path: "/settings/api-keys", lazy: page(() => import("./pages/ApiKeysPage"), "ApiKeysPage") },
        ],
      },
    ],
  },
  { path: "*", element: <NotFound /> },
]);

function App() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <RouterProvider router={router} />
        <Toaster position="bottom-right" richColors closeButton />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
