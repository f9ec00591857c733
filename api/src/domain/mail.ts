// What AutoClaw writes to people: the messages, and the one interface every sender implements (the
// HTTP mail API in production and locally, where the run command's outbox receives it).
import { DomainError } from "./errors";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The links the message asks its reader to follow, in order (the outbox prints the first). */
  links: string[];
}

export interface MailSender {
  /** Delivers one message or throws; never logs the message's links (they carry tokens). */
  send(message: MailMessage): Promise<void>;
}

/** Mail is off (no MAIL_API_KEY): saying so is the honest answer to anything that needs it. */
export const mailOff: MailSender = {
  send: async () => {
    throw new DomainError("PRECONDITION_FAILED", "Email is not set up on this AutoClaw deployment (MAIL_API_KEY)");
  },
};

/** Names come from people: no line breaks in a subject, no markup in a body. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function message(to: string, subject: string, paragraphs: string[], action: { label: string; url: string }): MailMessage {
  const text = [...paragraphs, `${action.label}: ${action.url}`, "", "— AutoClaw"].join("\n\n");
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`,
    "<p>— AutoClaw</p>",
  ].join("\n");
  return { to, subject: oneLine(subject), text, html, links: [action.url] };
}

export function verificationMail(to: string, name: string, url: string): MailMessage {
  return message(
    to,
    "Verify your email for AutoClaw",
    [`Hi ${oneLine(name)},`, "Confirm that this address is yours to accept invitations to teams. The link works for 24 hours."],
    { label: "Verify my email", url },
  );
}

export function invitationMail(to: string, inviter: string, team: string, role: string, url: string, expiresAt: Date): MailMessage {
  return message(
    to,
    `${oneLine(inviter)} invited you to ${oneLine(team)} on AutoClaw`,
    [
      `${oneLine(inviter)} invited you to join the team "${oneLine(team)}" as ${role === "admin" ? "an admin" : "a member"}.`,
      `Sign in (or sign up) with this address, verify it, and accept under Invitations. The invitation is open until ${expiresAt.toUTCString()}.`,
    ],
    { label: "See the invitation", url },
  );
}
