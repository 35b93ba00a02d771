// Times on the review desk are in the street's configured zone (TIMEZONE on the server), whatever
// the zone of the browser that shows them. The server sends instants in UTC (ISO 8601).
let zone = "Asia/Shanghai";
let formatter = null;

/** Use the zone the server is configured with (from /api/v1/review/context). */
export function setTimeZone(name) {
  if (name && name !== zone) {
    zone = name;
    formatter = null;
  }
}

function parts(date) {
  formatter ||= new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  return Object.fromEntries(formatter.formatToParts(date).map((p) => [p.type, p.value]));
}

/** "YYYY-MM-DD HH:MM" in the configured zone, or "" when there is no time. */
export function localDateTime(iso) {
  if (!iso) return "";
  const p = parts(new Date(iso));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** "HH:MM" in the configured zone, or "". */
export function localTime(iso) {
  return iso ? localDateTime(iso).slice(11) : "";
}

/** The calendar day ("YYYY-MM-DD") in the configured zone, offset by whole days. */
export function localDay(offset = 0) {
  const p = parts(new Date(Date.now() + offset * 86400000));
  return `${p.year}-${p.month}-${p.day}`;
}
