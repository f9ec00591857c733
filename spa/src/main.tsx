import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, Link, Navigate, RouterProvider } from "react-router";
import { Toaster } from "sonner";
import { AppShell, RequireSession } from "./components/AppShell";
import { Logo } from "./components/ui";
import { makeQueryClient, makeTrpcClient, TRPCProvider } from "./lib/trpc";
import { AgentPage } from "./pages/AgentPage";
import { AgentsPage } from "./pages/AgentsPage";
import { ChatPage } from "./pages/ChatPage";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { ModelKeysPage } from "./pages/ModelKeysPage";
import { RunPage } from "./pages/RunPage";
import { RuntimePage } from "./pages/RuntimePage";
import { SkillsPage } from "./pages/SkillsPage";
import { RunsPage } from "./pages/RunsPage";
import { TelegramPage } from "./pages/TelegramPage";
import { BillingPage } from "./pages/BillingPage";
import { UsagePage } from "./pages/UsagePage";
import { AuditPage } from "./pages/AuditPage";
import { PricingPage } from "./pages/PricingPage";
import { LoginPage, SignupPage } from "./pages/AuthPages";
import { DashboardPage } from "./pages/DashboardPage";
import { NewTeamPage } from "./pages/NewTeamPage";
import { InvitationsPage } from "./pages/InvitationsPage";
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

const router = createBrowserRouter([
  { path: "/signup", element: <SignupPage /> },
  { path: "/login", element: <LoginPage /> },
  { path: "/pricing", element: <PricingPage /> },
  {
    element: <RequireSession />,
    children: [
      { path: "/teams/new", element: <NewTeamPage /> },
      { path: "/invitations", element: <InvitationsPage /> },
      {
        element: <AppShell />,
        children: [
          { path: "/", element: <Navigate to="/dashboard" replace /> },
          { path: "/dashboard", element: <DashboardPage /> },
          { path: "/agents", element: <AgentsPage /> },
          { path: "/agents/:id", element: <AgentPage /> },
          { path: "/agents/:id/chat", element: <ChatPage /> },
          { path: "/runs", element: <RunsPage /> },
          { path: "/runs/:id", element: <RunPage /> },
          { path: "/runtime", element: <RuntimePage /> },
          { path: "/skills", element: <SkillsPage /> },
          { path: "/telegram", element: <TelegramPage /> },
          { path: "/billing", element: <BillingPage /> },
          { path: "/usage", element: <UsagePage /> },
          { path: "/audit", element: <AuditPage /> },
          { path: "/settings/keys", element: <ModelKeysPage /> },
          { path: "/settings/api-keys", element: <ApiKeysPage /> },
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
