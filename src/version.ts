import pkg from '../package.json' with { type: 'json' }

/** The ccproxy version, from package.json (embedded into the compiled binary at build time). */
export const VERSION: string = pkg.version
