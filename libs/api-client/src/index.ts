export * from './generated';
export * from './generated/@tanstack/react-query.gen';
export { client } from './generated/client.gen';
