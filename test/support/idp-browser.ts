// The headless browser `cavra trial run` runs for each sign-in in the tests (idp.sign_in_command):
// it signs in at the test IdP as CAVRA_SIGN_IN_USER and follows the redirect to CAVRA's
// loopback callback, as a person's browser would. Tests bundle it (bundledScript) and run it with node.
import { signInOverHttp } from './idp-sign-in';

const url = process.env.CAVRA_SIGN_IN_URL;
const user = process.env.CAVRA_SIGN_IN_USER;
if (!url || !user) {
  process.stderr.write('CAVRA_SIGN_IN_URL and CAVRA_SIGN_IN_USER are required\n');
  process.exit(1);
}
const callback = await signInOverHttp(url, user);
const response = await fetch(callback);
if (!response.ok) {
  process.stderr.write(`the callback answered ${response.status}: ${(await response.text()).slice(0, 500)}\n`);
  process.exit(1);
}
