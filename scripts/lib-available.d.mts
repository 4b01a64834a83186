/** Adds a model folder name to <modelsDir>/available.json (the deck's list of optional models). */
export function markAvailable(modelsDir: string, name: string): void
