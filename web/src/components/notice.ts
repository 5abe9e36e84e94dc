import { ApiError } from '../api.js';
import { h } from '../dom.js';

/** Friendlier words for the codes a shopper can cause; the code itself is always shown too. */
const HINTS: Record<string, string> = {
  UNSUPPORTED_IMAGE_TYPE: 'That file is not an image we can read. Try a JPEG, PNG or WebP photo.',
  CORRUPT_IMAGE: 'That image looks damaged. Try another photo.',
  EMPTY_IMAGE: 'That file is empty.',
  IMAGE_TOO_LARGE: 'That image is too large. Try a smaller photo.',
  PAYLOAD_TOO_LARGE: 'That upload is too large. Try a smaller photo.',
  IMAGE_FETCH_FAILED: 'We could not download an image from that address.',
  INVALID_URL: 'That does not look like an image address (http:// or https://).',
  PRODUCT_NOT_FOUND: 'This product is not in the catalog (any more).',
  NETWORK_ERROR: 'The shoplens server did not answer.',
};

export function errorBox(err: unknown, testId: string, onRetry?: () => void): HTMLElement {
  const code = err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
  const message = err instanceof Error ? err.message : String(err);
  const hint = HINTS[code];
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert', 'data-testid': testId, 'data-error-code': code },
    h('p', { class: 'notice-title' }, hint ?? 'Something went wrong.'),
    h('p', { class: 'notice-detail' }, h('code', { class: 'error-code' }, code), ' ', message),
    onRetry && isRetryable(err) ? h('button', { type: 'button', class: 'btn btn-small', on: { click: onRetry } }, 'Try again') : null,
  );
}

export function emptyState(title: string, detail: string): HTMLElement {
  return h('div', { class: 'notice notice-empty', role: 'status' }, h('p', { class: 'notice-title' }, title), h('p', { class: 'notice-detail' }, detail));
}

/** Retrying helps only when the server or the network failed, not when the input was refused. */
function isRetryable(err: unknown): boolean {
  return !(err instanceof ApiError) || err.status === 0 || err.status >= 500;
}
