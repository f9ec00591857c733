import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { toast } from "../lib/toast";
import { renderSVG } from "uqr";
import type { PairingCode, TelegramPairing } from "@autoclaw/shared";
import { Button, Card, ConfirmDialog, Dialog, EmptyState, ErrorState, Fact, Loading, PageHeader, Select, Table } from "../components/ui";
import { useCan } from "../lib/teams";
import { errorMessage, useTRPC } from "../lib/trpc";
import { formatDate } from "../lib/format";

const minutesUntil = (iso: string) => Math.max(1, Math.round((new Date(iso).getTime() - Date.now()) / 60_000));

export function TelegramPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const canManage = useCan()("manageTeam");
  // New pairings (and spent codes) appear while the page is open: someone taps the link on their phone.
  const status = useQuery({ ...trpc.telegram.status.queryOptions(), refetchInterval: (q) => (q.state.data?.enabled ? 4000 : false) });
  const enabled = status.data?.enabled === true;
  const pairings = useQuery({ ...trpc.telegram.pairings.queryOptions(), enabled, refetchInterval: 4000 });
  const agents = useQuery({ ...trpc.agents.list.queryOptions(), enabled });
  const [code, setCode] = useState<PairingCode | null>(null);
  const [unpairing, setUnpairing] = useState<TelegramPairing | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.telegram.status.queryKey() });
  // A new pairing spent a code: show the pending count without waiting for the next poll.
  const paired = pairings.data?.length;
  useEffect(() => {
    if (paired !== undefined) void qc.invalidateQueries({ queryKey: trpc.telegram.status.queryKey() });
  }, [paired, qc, trpc]);

  const create = useMutation(
    trpc.telegram.createPairingCode.mutationOptions({
      onSuccess: (c) => setCode(c),
      onSettled: refresh,
    }),
  );
  const unpair = useMutation(
    trpc.telegram.unpair.mutationOptions({
      onSuccess: (left) => {
        qc.setQueryData(trpc.telegram.pairings.queryKey(), left);
        toast.success("Unpaired");
        setUnpairing(null);
      },
    }),
  );
  const setDefault = useMutation(
    trpc.telegram.setDefaultAgent.mutationOptions({
      onSuccess: (s) => {
        qc.setQueryData(trpc.telegram.status.queryKey(), s);
        toast.success("Default agent saved");
      },
    }),
  );

  if (status.isPending) return <Loading />;
  if (status.isError) return <ErrorState message={errorMessage(status.error)} onRetry={() => status.refetch()} />;
  const s = status.data;

  if (!s.enabled) {
    return (
      <>
        <PageHeader title="Telegram" description="Talk to your agents from Telegram through AutoClaw's shared bot." />
        <Card>
          <EmptyState icon="✈" title="Telegram is off on this AutoClaw">
            <span data-testid="telegram-off">
              The operator turns it on by setting{" "}
              {s.missingSettings.map((m, i) => (
                <span key={m}>
                  {i > 0 && (i === s.missingSettings.length - 1 ? " and " : ", ")}
                  <code className="rounded bg-zinc-100 px-1 py-0.5 text-xs">{m}</code>
                </span>
              ))}{" "}
              (see the README), then pointing the bot's webhook at{" "}
              <code className="rounded bg-zinc-100 px-1 py-0.5 text-xs">/api/webhooks/telegram</code>.
            </span>
          </EmptyState>
        </Card>
      </>
    );
  }

  const agentName = (id: string | null) => (id ? (agents.data?.find((a) => a.id === id)?.name ?? "Deleted agent") : null);
  const defaultName = agentName(s.defaultAgentId) ?? (agents.data?.[0] ? `${agents.data[0].name} (the oldest agent)` : "No agents yet");

  return (
    <>
      <PageHeader
        title="Telegram"
        description={
          <>
            Pair your team's Telegram accounts with <span className="font-medium text-zinc-700">@{s.botUsername}</span>; each person then
            talks to an agent in their own conversation.
          </>
        }
        actions={
          <Button loading={create.isPending} onClick={() => create.mutate()}>
            Pair Telegram
          </Button>
        }
      />

      <div className="mb-6 grid gap-4 sm:grid-cols-3">
        <Fact label="Bot">@{s.botUsername}</Fact>
        <Fact label="Answers by default" hint="Each person can switch with /agent">
          {canManage ? (
            <Select
              aria-label="Default agent"
              value={s.defaultAgentId ?? ""}
              disabled={setDefault.isPending}
              onChange={(e) => setDefault.mutate({ agentId: e.target.value || null })}
            >
              <option value="">The oldest agent</option>
              {agents.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </Select>
          ) : (
            defaultName
          )}
        </Fact>
        <Fact label="Pending codes">
          {s.pendingCodes.length
            ? `${s.pendingCodes.length} (the next expires in ${minutesUntil(s.pendingCodes[0]!.expiresAt)} min)`
            : "None"}
        </Fact>
      </div>

      <Card title="Paired Telegram accounts">
        {pairings.isPending ? (
          <Loading />
        ) : pairings.isError ? (
          <ErrorState message={errorMessage(pairings.error)} onRetry={() => pairings.refetch()} />
        ) : pairings.data.length === 0 ? (
          <EmptyState
            icon="✈"
            title="Nobody is paired yet"
            action={
              <Button variant="secondary" onClick={() => create.mutate()}>
                Pair Telegram
              </Button>
            }
          >
            "Pair Telegram" gives you a one-time code and link. Open it on the phone with your Telegram account.
          </EmptyState>
        ) : (
          <Table columns={["Name", "Username", "Paired", "Talks to", ""]} testId="telegram-pairings">
            {pairings.data.map((p) => (
              <tr key={p.telegramUserId}>
                <td className="px-5 py-3 font-medium">{p.name}</td>
                <td className="px-5 py-3 text-zinc-600">{p.username ? `@${p.username}` : "—"}</td>
                <td className="px-5 py-3 text-zinc-600">{formatDate(p.pairedAt)}</td>
                <td className="px-5 py-3 text-zinc-600">{agentName(p.agentId) ?? defaultName}</td>
                <td className="px-5 py-3 text-right">
                  {canManage && (
                    <Button variant="danger" className="px-2.5 py-1 text-xs" onClick={() => setUnpairing(p)}>
                      Unpair
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <Dialog open={!!code} onClose={() => setCode(null)} title="Pair a Telegram account">
        {code && <ShowCode code={code} bot={s.botUsername!} onDone={() => setCode(null)} />}
      </Dialog>

      <ConfirmDialog
        open={!!unpairing}
        onClose={() => setUnpairing(null)}
        title="Unpair this Telegram account?"
        confirmLabel="Unpair"
        busy={unpair.isPending}
        onConfirm={() => unpairing && unpair.mutate({ telegramUserId: unpairing.telegramUserId })}
      >
        <span className="font-medium text-zinc-900">{unpairing?.name}</span> will no longer reach your team's agents from Telegram. They can
        pair again with a new code.
      </ConfirmDialog>
    </>
  );
}

function ShowCode({ code, bot, onDone }: { code: PairingCode; bot: string; onDone: () => void }) {
  const qr = useMemo(() => renderSVG(code.link, { border: 1 }), [code.link]);
  return (
    <div className="space-y-4 text-sm text-zinc-600">
      <p>Scan or open the link on the phone with your Telegram account, then press Start. Or send this to @{bot}:</p>
      <div className="flex items-center gap-5">
        <div
          className="h-36 w-36 shrink-0 rounded-lg border border-zinc-200 p-1"
          role="img"
          aria-label="QR code of the pairing link"
          // biome-ignore lint/security/noDangerouslySetInnerHtml: an SVG uqr renders from our own pairing link, no user markup
          dangerouslySetInnerHTML={{ __html: qr }}
        />
        <div className="space-y-2">
          <code
            className="block rounded-lg bg-zinc-100 px-3 py-2 font-mono text-lg tracking-widest text-zinc-900"
            data-testid="pairing-code"
          >
            /start {code.code}
          </code>
          <a
            className="block break-all text-brand-700 hover:underline"
            href={code.link}
            target="_blank"
            rel="noreferrer"
            data-testid="pairing-link"
          >
            {code.link}
          </a>
          <p className="text-xs text-zinc-500">Works once, until {formatDate(code.expiresAt)}.</p>
        </div>
      </div>
      <div className="flex justify-end">
        <Button onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
