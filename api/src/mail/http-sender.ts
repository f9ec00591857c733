// The production mail sender: one HTTP mail API, Resend's `POST /emails` (any provider or relay that
// speaks it works: set MAIL_API_URL). Locally the run command's outbox speaks the same protocol.
import type { Settings } from "../config";
import { type MailSender, mailOff } from "../domain/mail";

const TIMEOUT_MS = 10_000;
/** MAIL_API_URL unset: Resend itself. */
const RESEND_API = "https://api.resend.com";

export function httpMailSender(s: Settings): MailSender {
  const key = s.MAIL_API_KEY;
  if (!key) return mailOff;
  const endpoint = `${(s.MAIL_API_URL ?? RESEND_API).replace(/\/+$/, "")}/emails`;
  return {
    async send(m) {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ from: s.MAIL_FROM, to: [m.to], subject: m.subject, text: m.text, html: m.html }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: "manual",
      });
      // The provider's body may echo the message (and its links): only the status is kept.
      if (!res.ok) throw new Error(`the mail API answered ${res.status}`);
      await res.body?.cancel();
    },
  };
}
