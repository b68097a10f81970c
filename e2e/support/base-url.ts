/** Set by global-setup: where the webhooker under test listens. */
export const BASE_URL_VAR = 'WEBHOOKER_E2E_BASE_URL';

export function baseUrl(): string {
  const url = process.env[BASE_URL_VAR];
  if (!url)
    throw new Error(`${BASE_URL_VAR} is not set: run the tests with jest --config e2e/jest.config.js`);
  return url;
}
