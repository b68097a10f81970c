import { listApiKeysOptions, type ApiKeyDto } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { RelativeTime } from '../components/RelativeTime';
import { Cell, Table, TableMessage } from '../components/Table';
import { errorMessage } from '../lib/problem';
import { CreateApiKeyDialog } from './api-keys/CreateApiKeyDialog';
import { RevokeApiKeyDialog } from './api-keys/RevokeApiKeyDialog';

const COLUMNS = ['Name', 'Prefix', 'Created', 'Last used', ''];

export function ApiKeysPage() {
  const apiKeys = useQuery(listApiKeysOptions());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyDto>();

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let scripts and CI pipelines call the API as you, with “Authorization: Bearer whk_…”."
        action={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create API key
          </Button>
        }
      />
      <Card flush>
        <Table columns={COLUMNS}>
          {apiKeys.isPending && <TableMessage columns={COLUMNS.length}>Loading…</TableMessage>}
          {apiKeys.isError && (
            <TableMessage columns={COLUMNS.length}>{errorMessage(apiKeys.error)}</TableMessage>
          )}
          {apiKeys.data?.items.length === 0 && (
            <TableMessage columns={COLUMNS.length}>
              No API keys yet. Create one to call the API from a script.
            </TableMessage>
          )}
          {apiKeys.data?.items.map((apiKey) => (
            <tr key={apiKey.id}>
              <Cell className="font-medium text-slate-900">{apiKey.name}</Cell>
              <Cell label="Prefix" className="font-mono text-xs">
                {apiKey.prefix}…
              </Cell>
              <Cell label="Created">
                <RelativeTime value={apiKey.createdAt} />
              </Cell>
              <Cell label="Last used">
                {apiKey.lastUsedAt ? <RelativeTime value={apiKey.lastUsedAt} /> : 'Never'}
              </Cell>
              <Cell className="text-right">
                <Button
                  size="sm"
                  variant="ghost-danger"
                  aria-label={`Revoke ${apiKey.name}`}
                  onClick={() => setRevoking(apiKey)}
                >
                  Revoke
                </Button>
              </Cell>
            </tr>
          ))}
        </Table>
        {apiKeys.data?.nextCursor && (
          <p className="border-t border-slate-100 px-4 py-3 text-xs text-slate-500 sm:px-6">
            Showing the {apiKeys.data.items.length} newest keys.
          </p>
        )}
      </Card>
      {creating && <CreateApiKeyDialog onClose={() => setCreating(false)} />}
      {revoking && <RevokeApiKeyDialog apiKey={revoking} onClose={() => setRevoking(undefined)} />}
    </>
  );
}
