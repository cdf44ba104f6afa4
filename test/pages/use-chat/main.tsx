import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, type UIMessage } from 'ai';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

/** What the test gives the page before it loads (an init script): where the API is, who the user is, which model. */
interface PortalConfig {
  api: string;
  token: string;
  body: { provider: string; model?: string };
}
type ChatMessage = UIMessage<{ sessionId?: string }>;

const config = (window as unknown as { portalConfig: PortalConfig }).portalConfig;
const transport = new DefaultChatTransport<ChatMessage>({ api: `${config.api}/api/ui/chat`, headers: () => ({ Authorization: `Bearer ${config.token}` }), body: config.body });
const textOf = (message: ChatMessage) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

/** The README's recipe: the chat id is the session id the page kept, and a reload resumes its running reply. */
function Chat({ sessionId }: { sessionId: string | null }) {
  const { messages, sendMessage, status } = useChat<ChatMessage>({ id: sessionId ?? 'new-chat', transport, resume: Boolean(sessionId) });
  const [draft, setDraft] = useState('');
  // The session id arrives with the reply's first chunk: kept at once, so a reload mid-reply can resume it.
  const arrived = messages.findLast((message) => message.metadata?.sessionId)?.metadata?.sessionId;
  useEffect(() => {
    if (arrived) localStorage.setItem('sessionId', arrived);
  }, [arrived]);
  return (
    <main data-status={status}>
      <ol>
        {messages.map((message) => (
          <li key={message.id} data-role={message.role}>
            {textOf(message)}
          </li>
        ))}
      </ol>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void sendMessage({ text: draft });
          setDraft('');
        }}
      >
        <input aria-label="message" value={draft} onChange={(event) => setDraft(event.target.value)} />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<Chat sessionId={localStorage.getItem('sessionId')} />);
