import type { ModelMessage } from 'ai';
import type { ChatMessage, ContentPart } from '../types';

/** Our messages → AI SDK model messages (images become image parts; the SDK handles data URLs and downloads). */
export function toModelMessages(messages: ChatMessage[]): ModelMessage[] {
  return messages.map((m): ModelMessage => {
    if (m.role === 'system') return { role: 'system', content: textOf(m.content) };
    if (m.role === 'assistant') return { role: 'assistant', content: textOf(m.content) };
    if (typeof m.content === 'string') return { role: 'user', content: m.content };
    return {
      role: 'user',
      content: m.content.map((p) =>
        p.type === 'text' ? { type: 'text' as const, text: p.text } : { type: 'image' as const, image: p.image, mediaType: p.mediaType }),
    };
  });
}

export function textOf(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content;
  return content.filter((p): p is Extract<ContentPart, { type: 'text' }> => p.type === 'text').map((p) => p.text).join('\n');
}

export function hasImages(messages: ChatMessage[]): boolean {
  return messages.some((m) => typeof m.content !== 'string' && m.content.some((p) => p.type === 'image'));
}
