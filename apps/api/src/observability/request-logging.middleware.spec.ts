import { describe, expect, it } from '@jest/globals';
import { redactUrl } from './request-logging.middleware.js';

describe('redactUrl', () => {
  it.each([
    ['/api/chat/sessions/1/stream?token=eyJ.a.b', '/api/chat/sessions/1/stream?token=[redacted]'],
    ['/x?access_token=eyJ.a.b&limit=5', '/x?access_token=[redacted]&limit=5'],
    ['/x?API_KEY=sk-1&Key=k2&apikey=k3', '/x?API_KEY=[redacted]&Key=[redacted]&apikey=[redacted]'],
    ['/x?token=a&token=b&token=c', '/x?token=[redacted]&token=[redacted]&token=[redacted]'],
    ['/x?ac%63ess_token=eyJ.a.b', '/x?ac%63ess_token=[redacted]'],
    ['/x?access%5Ftoken=eyJ.a.b', '/x?access%5Ftoken=[redacted]'],
    ['/x?token[]=a&token%5B0%5D=b', '/x?token[]=[redacted]&token%5B0%5D=[redacted]'],
    ['/x?token%3DeyJ.a.b', '/x?[redacted]=[redacted]'],
    ['/x?%E0%A4%A=secret', '/x?%E0%A4%A=[redacted]'],
    ['/x?lastEventId=abc:1&limit=20', '/x?lastEventId=abc:1&limit=20'],
    ['/api/auth/oidc/callback?code=c1&state=s1&iss=https%3A%2F%2Fidp', '/api/auth/oidc/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp'],
    ['/x?CODE=c1&state[]=s1&session_state=s2&codes=1', '/x?CODE=[redacted]&state[]=[redacted]&session_state=s2&codes=1'],
    ['/api/health', '/api/health'],
  ])('%s → %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
