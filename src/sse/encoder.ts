/** Serialises one Anthropic stream event as `event: <type>\ndata: <json>\n\n`. */
export function encodeEvent(ev: { type: string }): string {
  return 'event: ' + ev.type + '\ndata: ' + JSON.stringify(ev) + '\n\n'
}

/** Serialises several events into one string, ready for a single write. */
export function encodeEvents(events: readonly { type: string }[]): string {
  let s = ''
  for (let i = 0; i < events.length; i++) s += encodeEvent(events[i])
  return s
}

/** The keep-alive event Anthropic sends during long gaps; clients skip it. */
export const PING_EVENT = 'event: ping\ndata: {"type":"ping"}\n\n'
