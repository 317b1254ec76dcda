import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { Public } from '../auth/auth.guard.js';
import { CONSOLE_CSS, CONSOLE_HTML } from './console-page.js';

// The browser script is a plain JavaScript file next to this one: the build (swc) carries it into dist/
// with the rest of the sources. Its source-map comment is dropped: no map is served.
let script: string | null = null;
function consoleScript(): string {
  script ??= readFileSync(new URL('./assets/app.js', import.meta.url), 'utf8').replace(
    /\n\/\/# sourceMappingURL=.*\s*$/,
    '\n',
  );
  return script;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The admin console: one static page, its script and its stylesheet. Serving them needs no key; every
 * call the page makes is signed in the browser with the admin key the operator types in (kept in
 * sessionStorage, never sent to the server except as an HMAC signature), exactly like any API client.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  @Get()
  @Public()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('content-security-policy', CSP)
  @Header('x-frame-options', 'DENY')
  @Header('referrer-policy', 'no-referrer')
  @Header('x-content-type-options', 'nosniff')
  page(): string {
    return CONSOLE_HTML;
  }

  @Get('app.js')
  @Public()
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  script(): string {
    return consoleScript();
  }

  @Get('app.css')
  @Public()
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  stylesheet(): string {
    return CONSOLE_CSS;
  }
}
