#!/usr/bin/env bun
import { runCli } from './cli/run'

process.exitCode = await runCli(Bun.argv.slice(2))
