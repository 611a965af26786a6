import helmet from 'helmet';

/**
 * helmet's headers on every response, X-Powered-By removed. Its default CSP lets the Swagger UI
 * at /docs run (scripts and styles from /docs itself, icons as data: URLs, one inline style
 * allowed) but for `upgrade-insecure-requests`: served over plain HTTP from any host but
 * localhost, it sends the browser to https:// for every asset, and the page stays blank.
 */
export const securityHeaders = () =>
  helmet({
    contentSecurityPolicy: {
      directives: { upgradeInsecureRequests: null },
    },
  });
