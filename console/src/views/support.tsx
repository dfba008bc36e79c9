import { useState } from "preact/hooks";
import { call, errorText, type MeOrg, type Page, type SupportTicket } from "../api";
import { fmtDate, useLoad } from "../hooks";

/** The org's support tickets: open one, close one, filter by status. */
export function SupportTickets({ org }: { org: MeOrg }) {
  const [status, setStatus] = useState("");
  const { data, error, reload } = useLoad<Page<SupportTicket>>(
    () => call("GET /v1/orgs/{org_id}/support-tickets", { org_id: org.org_id }, { query: { status, limit: 100 } }),
    [org.org_id, status],
  );
  const [subject, setSubject] = useState("");
  const [severity, setSeverity] = useState("normal");
  const [said, say] = useState<{ ok: boolean; text: string } | null>(null);
  async function open(event: Event) {
    event.preventDefault();
    say(null);
    try {
      await call("POST /v1/orgs/{org_id}/support-tickets", { org_id: org.org_id }, { body: { subject, severity } });
      say({ ok: true, text: "Ticket opened." });
      setSubject("");
      reload();
    } catch (e) {
      say({ ok: false, text: errorText(e) });
    }
  }
  async function close(ticket: SupportTicket) {
    try {
      await call("POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close", { org_id: org.org_id, ticket_id: ticket.ticket_id }, { body: {} });
      say({ ok: true, text: `Closed "${ticket.subject}".` });
      reload();
    } catch (e) {
      say({ ok: false, text: errorText(e) });
    }
  }
  return (
    <>
      <h1>Support tickets</h1>
      <div class="toolbar">
        <label for="ticket-status">Status</label>
        <select id="ticket-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
          <option value="">All</option>
          <option value="open">Open</option>
          <option value="closed">Closed</option>
        </select>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      {said && <p role={said.ok ? "status" : "alert"} class={said.ok ? "ok" : "error"}>{said.text}</p>}
      {data && data.items.length === 0 && <p>No tickets.</p>}
      <ul class="feed" id="tickets">
        {data?.items.map((t) => (
          <li key={t.ticket_id} data-status={t.status}>
            <div>
              <strong>{t.subject}</strong> <span class={`pill status-${t.status === "open" ? "pending" : "active"}`}>{t.status}</span>{" "}
              <span class="muted small">{t.severity} · opened {fmtDate(t.created_at)} by {t.opened_by}{t.closed_at ? ` · closed ${fmtDate(t.closed_at)}` : ""}</span>
            </div>
            {t.status === "open" && <button type="button" class="secondary" onClick={() => close(t)} aria-label={`Close ${t.subject}`}>Close</button>}
          </li>
        ))}
      </ul>
      <form class="card" onSubmit={open} aria-labelledby="open-ticket-title">
        <h2 id="open-ticket-title">Open a ticket</h2>
        <label for="ticket-subject">Subject</label>
        <input id="ticket-subject" required maxLength={200} value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} />
        <label for="ticket-severity">Severity</label>
        <select id="ticket-severity" value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
          <option value="low">Low</option>
          <option value="normal">Normal</option>
          <option value="high">High</option>
        </select>
        <button type="submit" id="open-ticket">Open ticket</button>
      </form>
    </>
  );
}
