// The bus into the log: one entry an event, its level and text from event-text.ts, its data as
// the JSON line's fields. An event below the logger's level costs a switch, not a line.
import type { EventBus } from '../events/bus.js';
import { eventLevel, eventText } from './event-text.js';
import type { Logger } from './logger.js';

export function logEvents(bus: EventBus, log: Logger): () => void {
  return bus.subscribe((e) => {
    const level = eventLevel(e);
    if (!log.enabled(level)) return;
    log.entry({ time: e.time, level, msg: eventText(e), event: e.topic, fields: e.data });
  });
}
