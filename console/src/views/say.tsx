// The line a form shows after it acted: what happened, or why it did not.
export type Status = { ok: boolean; text: string } | null;

export const Say = ({ status }: { status: Status }) =>
  status ? <p role={status.ok ? "status" : "alert"} class={status.ok ? "ok" : "error"}>{status.text}</p> : null;
