// The banner over the page: the server cannot be reached (retrying), or it
// wants an API key (a field; the key is kept in this browser's localStorage).
import type { ConnectionStatus } from './api.js';
import { KEY_STORAGE, storedKey } from './stored-key.js';

export class Banner {
  private downSince: number | null = null;
  private needsKey = false;

  constructor(private readonly el: HTMLElement, private readonly onKey: (key: string) => void) {}

  connection(s: ConnectionStatus): void {
    if (s.kind === 'ok') {
      if (this.downSince !== null) { this.downSince = null; if (!this.needsKey) this.hide(); }
      return;
    }
    this.downSince ??= Date.now();
    if (this.needsKey) return;
    this.el.className = 'banner down';
    this.el.dataset['kind'] = 'down';
    this.el.textContent = `Cannot reach the server: ${s.reason}. Retrying in ${Math.ceil(s.retryInMs / 1000)} s…`;
    this.el.hidden = false;
  }

  /** 401/403: ask for a key (`message` is the server's reason). */
  askKey(message: string): void {
    this.needsKey = true;
    this.el.className = 'banner key';
    this.el.dataset['kind'] = 'key';
    const text = document.createElement('span');
    text.textContent = `API key needed: ${message} `;
    const input = document.createElement('input');
    input.type = 'password';
    input.placeholder = 'API key';
    input.name = 'api-key';
    input.value = storedKey() ?? '';
    const save = document.createElement('button');
    save.textContent = 'Use key';
    const submit = () => {
      const key = input.value.trim();
      try { if (key) localStorage.setItem(KEY_STORAGE, key); else localStorage.removeItem(KEY_STORAGE); } catch { /* storage off: the key lasts for this page */ }
      this.needsKey = false;
      this.hide();
      this.onKey(key);
    };
    save.addEventListener('click', submit);
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') submit(); });
    this.el.replaceChildren(text, input, save);
    this.el.hidden = false;
  }

  private hide(): void {
    this.el.hidden = true;
    this.el.dataset['kind'] = '';
    this.el.replaceChildren();
  }
}
