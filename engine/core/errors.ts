/**
 * Every failure the deck can show is an `AttributionError` with a stable code and a
 * one-line message meant for the person in front of the slide.
 */
export type AttributionErrorCode
  = | 'bad-request' // malformed request JSON or options
    | 'empty-input' // empty prompt, empty target, no features
    | 'too-long' // prompt + target longer than the model's context or the memory budget
    | 'template' // template placeholders do not match the values
    | 'missing-model' // a model file is absent
    | 'corrupt-model' // a model file is truncated or malformed
    | 'unsupported' // e.g. KernelShap with a single feature (Captum raises too)
    | 'backend' // no usable runtime backend, lost GPU device
    | 'cancelled' // the run was aborted through its AbortSignal

export class AttributionError extends Error {
  readonly code: AttributionErrorCode
  constructor(code: AttributionErrorCode, message: string) {
    super(message)
    this.name = 'AttributionError'
    this.code = code
  }
}

/** Throws `cancelled` when the signal has fired. Call it between batches. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted)
    throw new AttributionError('cancelled', 'The attribution was cancelled.')
}
