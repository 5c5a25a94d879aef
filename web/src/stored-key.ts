// The API key kept in this browser's localStorage (the banner's key field
// sets it; index.html's early requests and the API client read it).
export const KEY_STORAGE = 'stepstream.apiKey';

export function storedKey(): string | null {
  try { return localStorage.getItem(KEY_STORAGE); } catch { return null; }
}
