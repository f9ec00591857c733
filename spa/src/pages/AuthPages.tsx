import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useSearchParams } from "wouter";
import { toast } from "../lib/toast";
import { signInInput, signUpInput } from "@autoclaw/shared";
import { Button, Field, Input, Logo } from "../components/ui";
import { signIn, signUp } from "../lib/auth";
import { useZodForm } from "../lib/forms";

function AuthLayout({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string;
  subtitle: string;
  children: React.ReactNode;
  footer: React.ReactNode;
}) {
  return (
    <div className="flex min-h-screen">
      <aside className="hidden w-[44%] flex-col justify-between bg-zinc-900 p-12 text-zinc-100 lg:flex">
        <Logo className="text-lg" />
        <div>
          <p className="text-3xl font-semibold leading-tight tracking-tight">
            Real OpenClaw agents for your team,
            <br />
            <span className="text-brand-500">without running the platform.</span>
          </p>
          <ul className="mt-8 space-y-3 text-sm text-zinc-400">
            <li>• Agents from templates, on your own model keys</li>
            <li>• One shared Telegram bot for the whole team</li>
            <li>• A typed API with per-team keys</li>
          </ul>
        </div>
        <p className="text-xs text-zinc-500">Each team gets its own isolated OpenClaw runtime.</p>
      </aside>
      <main className="flex flex-1 items-center justify-center px-6 py-12">
        <div className="w-full max-w-sm">
          <Logo className="mb-8 text-lg lg:hidden" />
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          <p className="mt-1 mb-8 text-sm text-zinc-500">{subtitle}</p>
          {children}
          <p className="mt-8 text-center text-sm text-zinc-500">{footer}</p>
        </div>
      </main>
    </div>
  );
}

/** A same-site path to go on to after signing in or up (never another site). */
function nextPath(params: URLSearchParams): string | undefined {
  const next = params.get("next");
  return next?.startsWith("/") && !next.startsWith("//") ? next : undefined;
}

export function SignupPage() {
  const [, navigate] = useLocation();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const next = nextPath(params);

  const { errors, onSubmit } = useZodForm(signUpInput, async (value) => {
    setBusy(true);
    try {
      await signUp(value, next ?? "/dashboard");
      qc.clear(); // nothing cached belongs to the new session
      toast.success("Welcome to AutoClaw: we sent you a link to verify your email");
      // An invitee goes on to their invitations; everyone else makes their first team first.
      navigate(next === "/invitations" ? next : "/teams/new");
    } catch (err) {
      toast.error(err instanceof Error ? err.message : "Sign-up failed");
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Start with a team and your first agent in minutes."
      footer={
        <>
          Already have an account?{" "}
          <Link className="font-medium text-brand-700 hover:underline" to={next ? `/login?next=${encodeURIComponent(next)}` : "/login"}>
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <Field label="Name" error={errors.name}>
          <Input name="name" autoComplete="name" invalid={!!errors.name} autoFocus />
        </Field>
        <Field label="Work email" error={errors.email}>
          <Input name="email" type="email" autoComplete="email" invalid={!!errors.email} />
        </Field>
        <Field label="Password" error={errors.password} hint="At least 8 characters">
          <Input name="password" type="password" autoComplete="new-password" invalid={!!errors.password} />
        </Field>
        <Button type="submit" loading={busy} className="w-full">
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}

export function LoginPage() {
  const [, navigate] = useLocation();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);

  const { errors, onSubmit } = useZodForm(signInInput, async (value) => {
    setBusy(true);
    try {
      await signIn(value);
      qc.clear(); // nothing cached belongs to the new session
      toast.success("Signed in");
      navigate(nextPath(params) ?? "/dashboard");
    } catch (err) {
      toast.error(err instanceof Error ? err.message : "Sign-in failed");
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthLayout
      title="Welcome back"
      subtitle="Sign in to manage your team's agents."
      footer={
        <>
          New to AutoClaw?{" "}
          <Link
            className="font-medium text-brand-700 hover:underline"
            to={nextPath(params) ? `/signup?next=${encodeURIComponent(nextPath(params)!)}` : "/signup"}
          >
            Create an account
          </Link>
        </>
      }
    >
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <Field label="Email" error={errors.email}>
          <Input name="email" type="email" autoComplete="email" invalid={!!errors.email} autoFocus />
        </Field>
        <Field label="Password" error={errors.password}>
          <Input name="password" type="password" autoComplete="current-password" invalid={!!errors.password} />
        </Field>
        <Button type="submit" loading={busy} className="w-full">
          Sign in
        </Button>
      </form>
    </AuthLayout>
  );
}
