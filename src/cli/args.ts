/** Parsed command line: the command, setting overrides from flags, and the env file to read. */
export interface ParsedArgs {
  command: 'serve' | 'config' | 'help' | 'version' | 'code' | 'doctor'
  flags: Record<string, string>
  envFile?: string
  /** Arguments after the command that belong to it. */
  rest: string[]
}

const FLAG_TO_SETTING: Record<string, string> = { '--host': 'HOST', '--port': 'PORT' }
const COMMANDS = new Set(['serve', 'config', 'help', 'version', 'code', 'doctor'])

/** Parses argv (without the executable); throws an Error with a one-line message on bad usage. */
export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { command: 'serve', flags: {}, rest: [] }
  let commandSeen = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined
    const value = () => {
      if (inline !== undefined) return inline
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value (see ccproxy --help)`)
      return v
    }
    if (name === '--help' || name === '-h') out.command = 'help'
    else if (name === '--version' || name === '-v' || name === '-V') out.command = 'version'
    else if (name === '--env-file') out.envFile = value()
    else if (FLAG_TO_SETTING[name]) out.flags[FLAG_TO_SETTING[name]] = value()
    else if (!commandSeen && !arg.startsWith('-') && COMMANDS.has(arg)) {
      commandSeen = true
      if (out.command === 'serve') out.command = arg as ParsedArgs['command']
      if (arg === 'code') {
        // Everything after `code` belongs to claude.
        out.rest = argv.slice(i + 1)
        break
      }
    } else throw new Error(`unknown ${arg.startsWith('-') ? 'option' : 'command'} "${arg}" (see ccproxy --help)`)
  }
  return out
}
