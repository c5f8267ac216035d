import { expect, test } from 'bun:test'
import { parseArgs } from '../../src/cli/args'

test('serve is the default command', () => {
  expect(parseArgs([]).command).toBe('serve')
})

test('flags become setting overrides', () => {
  const a = parseArgs(['--host', '0.0.0.0', '--port=8082', '--env-file', 'x.env'])
  expect(a.flags).toEqual({ HOST: '0.0.0.0', PORT: '8082' })
  expect(a.envFile).toBe('x.env')
})

test('--help and --version win over the command', () => {
  expect(parseArgs(['config', '--help']).command).toBe('help')
  expect(parseArgs(['--version']).command).toBe('version')
  expect(parseArgs(['config']).command).toBe('config')
})

test('unknown options and missing values are one-line errors', () => {
  expect(() => parseArgs(['--nope'])).toThrow('unknown option "--nope"')
  expect(() => parseArgs(['--port'])).toThrow('--port needs a value')
  expect(() => parseArgs(['frobnicate'])).toThrow('unknown command "frobnicate"')
})

test('everything after `code` is passed to claude untouched', () => {
  const a = parseArgs(['--port', '9000', 'code', '-p', 'hello', '--model', 'opus', '--help'])
  expect(a.command).toBe('code')
  expect(a.flags.PORT).toBe('9000')
  expect(a.rest).toEqual(['-p', 'hello', '--model', 'opus', '--help'])
})

test('doctor is a command', () => {
  expect(parseArgs(['doctor']).command).toBe('doctor')
})
