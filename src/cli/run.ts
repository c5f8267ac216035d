import { existsSync, readFileSync } from 'node:fs'
import { parseArgs, type ParsedArgs } from './args'
import { helpText } from './help'
import { VERSION } from '../version'
import { loadConfig, describeConfig, parseDotEnv } from '../config/load'
import type { Config } from '../config/schema'
import { serve } from './serve'
import { runCode } from './code'
import { runDoctor } from './doctor'

/** Runs one command line; resolves with the exit code (a server resolves only when it stops). */
export async function runCli(argv: string[]): Promise<number> {
  let args: ParsedArgs
  try {
    args = parseArgs(argv)
  } catch (e) {
    console.error(`ccproxy: ${(e as Error).message}`)
    return 2
  }
  if (args.command === 'help') {
    process.stdout.write(helpText())
    return 0
  }
  if (args.command === 'version') {
    console.log(VERSION)
    return 0
  }
  const config = readConfig(args, args.command === 'doctor' ? '✗ settings: ' : 'ccproxy: ')
  if (!config) return args.command === 'doctor' ? 1 : 2
  if (args.command === 'config') {
    console.log(describeConfig(config))
    return 0
  }
  if (args.command === 'doctor') return runDoctor(config)
  if (args.command === 'code') return runCode(config, args.rest, { envFile: args.envFile })
  return serve(config, { envFile: args.envFile })
}

/** Loads the settings, printing one line per problem; undefined when any is bad. */
function readConfig(args: ParsedArgs, prefix: string): Config | undefined {
  let dotenv: Record<string, string> = {}
  const file = args.envFile ?? '.env'
  if (args.envFile && !existsSync(file)) {
    console.error(`ccproxy: --env-file ${file}: no such file`)
    return undefined
  }
  if (existsSync(file)) {
    try {
      dotenv = parseDotEnv(readFileSync(file, 'utf8'))
    } catch (e) {
      console.error(`ccproxy: cannot read ${file}: ${(e as Error).message}`)
      return undefined
    }
  }
  const result = loadConfig({ flags: args.flags, env: process.env, dotenv })
  if (!result.ok) {
    for (const line of result.errors) console.error(`${prefix}${line}`)
    return undefined
  }
  return result.config
}
