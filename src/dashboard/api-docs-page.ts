/**
 * The API docs page served at GET /swagger: Swagger UI from the `swagger-ui-dist` package, embedded into the binary,
 * so the page needs no network beyond this server. It reads the OpenAPI document at /swagger/json. The two large
 * assets are imported as files (paths into node_modules from source, into the binary once compiled) and read when
 * asked for, so their 1.5 MB is not held in memory by a proxy whose docs page nobody opens.
 */
import SWAGGER_UI_BUNDLE_FILE from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import SWAGGER_UI_CSS_FILE from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }

/** One asset: its body (text, or an embedded file read per request) and content type. */
export interface ApiDocsAsset { body: string | Blob; type: string }

/** The page's assets by file name, with their content types (served under /swagger/assets/). */
export const API_DOCS_ASSETS: Readonly<Record<string, ApiDocsAsset>> = {
  'swagger-ui-bundle.js': { body: Bun.file(SWAGGER_UI_BUNDLE_FILE), type: 'text/javascript; charset=utf-8' },
  'swagger-ui.css': { body: Bun.file(SWAGGER_UI_CSS_FILE), type: 'text/css; charset=utf-8' },
  // validatorUrl null: Swagger UI would otherwise load a badge from a public validator.
  'swagger-init.js': {
    body: `window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true,
  displayRequestDuration: true, defaultModelsExpandDepth: 0, docExpansion: 'list', tryItOutEnabled: false });\n`,
    type: 'text/javascript; charset=utf-8',
  },
}

/** The HTML of GET /swagger. */
export const API_DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccproxy API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/swagger/assets/swagger-ui.css">
<style>
body { margin: 0; background: #fff; }
@media (prefers-color-scheme: dark) {
  body { background: #1b1b1d; }
  .swagger-ui { filter: invert(92%) hue-rotate(180deg); }
  .swagger-ui .microlight { filter: invert(100%) hue-rotate(180deg); }
}
</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger/assets/swagger-ui-bundle.js"></script>
<script src="/swagger/assets/swagger-init.js"></script>
</body>
</html>
`
