/** What one history message holds: who sent it, its type and channel weights, and its content (§4, §9b). */
import type { Rng } from './random.js';
import * as T from './text.js';
import type { ContactVariant } from './world.js';

export const SENT_BY = [
  ['customer', 45],
  ['operator', 40],
  ['bot', 15],
] as const;
export const TYPES = [
  ['text', 70],
  ['audio', 8],
  ['image', 8],
  ['document', 4],
  ['video', 3],
  ['location', 2],
  ['contact', 1],
  ['interactive', 1],
  ['button_reply', 2],
  ['list_reply', 1],
] as const;
export const CHANNELS = [
  ['whatsapp', 85],
  ['instagram', 8],
  ['telegram', 4],
  ['messenger', 3],
] as const;
const MEDIA: Record<string, [string, string, string]> = {
  audio: ['oga', 'audio/ogg', 'medias-whatsapp'],
  image: ['jpg', 'image/jpeg', 'medias'],
  document: ['pdf', 'application/pdf', 'medias'],
  video: ['mp4', 'video/mp4', 'medias'],
};

/** A message's content: text, a system event (raw control characters for some contacts) or media as URL-encoded JSON. */
export function messageContent(
  rng: Rng,
  sentBy: string,
  type: string,
  variant: ContactVariant,
  j: number,
): string {
  const media = MEDIA[type];
  if (media) {
    const [ext, mimetype, folder] = media;
    const name = `arquivo_${j}_${rng.hex(6)}.${ext}`;
    const file = {
      file_name: name,
      file_path: `${folder}/${rng.hex(24)}/${name}`,
      file_extension: ext,
      mimetype,
    };
    return encodeURIComponent(JSON.stringify(file));
  }
  if (sentBy === 'bot') {
    if (rng.chance(0.4)) {
      const event = rng.pick(T.SYSTEM_EVENTS);
      // Live system events carry raw control characters, even U+0000 (§4 "Validity").
      return variant.controlChars ? `${event}\u0001\t\u001f\u0000` : event;
    }
    return rng.pick(T.BOT_LINES);
  }
  const line = rng.pick(sentBy === 'customer' ? T.CUSTOMER_LINES : T.OPERATOR_LINES);
  const quoted = rng.chance(0.1) ? `${line} Ele disse "ok".` : line;
  const text = variant.charset === 'utf-8' && rng.chance(0.1) ? `${quoted} 👍` : quoted;
  // §9b: some accounts open operator messages with the operator's name on a line of its own. Chosen by
  // position, not by a draw, so the rest of the world stays as it was.
  return sentBy === 'operator' && j % 4 === 1
    ? `*${T.FIRST_NAMES[j % T.FIRST_NAMES.length]}:*\n${text}`
    : text;
}
