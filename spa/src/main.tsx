import { QueryClientProvider } from "@tanstack/react-query";
import { type ComponentType, lazy, StrictMode, Suspense, useState } from "react";
import { createRoot } from "react-dom/client";
import { Link, Redirect, Route, Switch } from "wouter";
import { AppShell, RequireSession } from "./components/AppShell";
import { Loading, Logo } from "./components/ui";
import { Toaster } from "./lib/toast";
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
const page = <M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M) =>
  lazy(async () => ({ default: (await load())[name] as ComponentType }));

/** The team's pages, inside the app shell. */
const APP_ROUTES: [path: string, Page: ComponentType][] = [
  ["/dashboard", page(() => import("./pages/DashboardPage"), "DashboardPage")],
  ["/agents", page(() => import("./pages/AgentsPage"), "AgentsPage")],
  ["/agents/:id", page(() => import("./pages/AgentPage"), "AgentPage")],
  ["/agents/:id/chat", page(() => import("./pages/ChatPage"), "ChatPage")],
  ["/runs", page(() => import("./pages/RunsPage"), "RunsPage")],
  ["/runs/:id", page(() => import("./pages/RunPage"), "RunPage")],
  ["/runtime", page(() => import("./pages/RuntimePage"), "RuntimePage")],
  ["/skills", page(() => import("./pages/SkillsPage"), "SkillsPage")],
  ["/telegram", page(() => import("./pages/TelegramPage"), "TelegramPage")],
  ["/billing", page(() => import("./pages/BillingPage"), "BillingPage")],
  ["/usage", page(() => import("./pages/UsagePage"), "UsagePage")],
  ["/audit", page(() => import("./pages/AuditPage"), "AuditPage")],
  ["/settings/keys", page(() => import("./pages/ModelKeysPage"), "ModelKeysPage")],
  ["/settings/api-keys", page(() => import("./pages/ApiKeysPage"), "ApiKeysPage")],
];
// One route for the whole app area, so the shell (and its state) stays mounted across its pages.
const APP_AREA = new RegExp(`^(?:${APP_ROUTES.map(([p]) => p.replace(/:\w+/g, "[^/]+")).join("|")})/?$`);

const SignupPage = page(() => import("./pages/AuthPages"), "SignupPage");
const LoginPage = page(() => import("./pages/AuthPages"), "LoginPage");
const PricingPage = page(() => import("./pages/PricingPage"), "PricingPage");
const NewTeamPage = page(() => import("./pages/NewTeamPage"), "NewTeamPage");
const InvitationsPage = page(() => import("./pages/InvitationsPage"), "InvitationsPage");

function Routes() {
  return (
    <Suspense fallback={<Loading />}>
      <Switch>
        <Route path="/signup" component={SignupPage} />
        <Route path="/login" component={LoginPage} />
        <Route path="/pricing" component={PricingPage} />
        <Route path="/teams/new">
          <RequireSession>
            <NewTeamPage />
          </RequireSession>
        </Route>
        <Route path="/invitations">
          <RequireSession>
            <InvitationsPage />
          </RequireSession>
        </Route>
        <Route path="/">
          <Redirect to="/dashboard" replace />
        </Route>
        <Route path={APP_AREA}>
          <RequireSession>
            <AppShell>
              <Switch>
                {APP_ROUTES.map(([path, Page]) => (
                  <Route key={path} path={path} component={Page} />
                ))}
              </Switch>
            </AppShell>
          </RequireSession>
        </Route>
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </Suspense>
  );
}

function App() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Routes />
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
