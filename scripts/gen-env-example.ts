// Writes .env.example from the settings schema: bun scripts/gen-env-example.ts
import { renderEnvExample } from '../src/config/env-example'

await Bun.write(new URL('../.env.example', import.meta.url), renderEnvExample())
