/**
 * Command-line flags for our scripts, through `node:util` parseArgs (strict): an unknown
 * flag or a missing value prints one line and the usage on stderr and exits 2; `--help`
 * prints the usage and exits 0.
 *
 * @example
 * const flags = parseFlags('usage: npm run bake -- [--out dir]', { out: { type: 'string', default: 'public/baked' } })
 * flags.out // 'public/baked'
 */
import type { ParseArgsConfig } from 'node:util'
import process from 'node:process'
import { parseArgs } from 'node:util'

type FlagOptions = NonNullable<ParseArgsConfig['options']>

export function parseFlags<const O extends FlagOptions>(usage: string, options: O, argv: string[] = process.argv.slice(2)) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage)
    process.exit(0)
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values
  }
  catch (e) {
    usageError(usage, (e as Error).message)
  }
}

/** One line on stderr, then the usage, and exit 2 (a bad flag value found after parsing). */
export function usageError(usage: string, message: string): never {
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n${usage}\n`)
  process.exit(2)
}

/** A flag's number, or a usage error naming the flag. */
export function numberFlag(usage: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined)
    return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    usageError(usage, `--${name} takes a positive number (got "${value}")`)
  return n
}
