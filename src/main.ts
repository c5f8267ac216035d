#!/usr/bin/env bun
import { runCli } from './cli/run'

process.exit(await runCli(Bun.argv.slice(2)))
