import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: './libs/api-client/openapi.json',
  output: { path: './libs/api-client/src/generated', postProcess: ['prettier'] },
  plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch', '@tanstack/react-query'],
});
